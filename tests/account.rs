//! Account security -> Change password over HTTP: it waits for a fresh confirmation (an emailed
//! code for someone without an app), checks the current password, ends the other sessions,
//! keeps this one under a new token, and mails a notice.

#![cfg(feature = "ssr")]

mod common;

use common::*;

const CHANGE_PASSWORD: &str = "/api/account/password";
const NEW_PASSWORD: &str = "copper lantern hums beside rivers";
const ANSWER_PROMPT: &str = "/api/account/password-prompt";

#[tokio::test]
async fn changing_the_password_needs_a_fresh_confirmation_and_the_current_password() {
    let t = app().await;
    t.create_org().await;
    let elsewhere = t.session_cookie().await;
    let ada = t.session_cookie().await;
    let security = t.get("/account/security", Some(&ada)).await;
    assert!(security.body.contains("href=\"/account/security/password\""));

    // Not confirmed yet: the page sends to the confirmation, and the function refuses.
    let page = t.get("/account/security/password", Some(&ada)).await;
    assert!(page.body.contains("needs a fresh confirmation") && !page.body.contains("name=\"current_password\""));
    let form = |current: &'static str, new: &'static str, again: &'static str| {
        [("current_password", current), ("password", new), ("password_again", again)]
    };
    let early = t.post(CHANGE_PASSWORD, &form(PASSWORD, NEW_PASSWORD, NEW_PASSWORD), Some(&ada)).await;
    assert_eq!(early.location(), Some("/account/security/verify?next=/account/security/password"));

    // Ada has no app: the code comes by email.
    let next = "/account/security/password";
    assert!(t.post(SEND_EMAIL_CODE, &[("next", next)], Some(&ada)).await.status.is_redirection());
    let verified = t.post(STEP_UP, &[("code", &t.emailed_code()), ("next", next)], Some(&ada)).await;
    assert_eq!(verified.location(), Some(next));
    let page = t.get(next, Some(&ada)).await;
    assert!(page.body.contains("autocomplete=\"current-password\"") && page.body.contains("At least 15 characters"));

    // Mistakes, each with its reason; no password is ever shown back.
    let wrong = t.post(CHANGE_PASSWORD, &form("not my password at all", NEW_PASSWORD, NEW_PASSWORD), Some(&ada)).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("That is not your current password"));
    assert!(!wrong.body.contains("not my password at all") && !wrong.body.contains(NEW_PASSWORD));
    let same = t.island(CHANGE_PASSWORD, &form(PASSWORD, PASSWORD, PASSWORD), Some(&ada)).await;
    assert_eq!(same.body, "invalid password=same-as-current");
    let differ = t.island(CHANGE_PASSWORD, &form(PASSWORD, NEW_PASSWORD, "copper lantern"), Some(&ada)).await;
    assert_eq!(differ.body, "invalid password_again=mismatch");

    // A reset link asked for earlier dies with the change.
    assert!(t.post(FORGOT_PASSWORD, &[("email", "ada@example.org")], None).await.status.is_redirection());
    let reset_mail = t.outbox_of(2).await.into_iter().find(|m| m.contains("/reset-password?token=")).unwrap();
    let reset_link = format!("/reset-password?token={}", token_after(&reset_mail, "/reset-password?token="));

    let done = t.post(CHANGE_PASSWORD, &form(PASSWORD, NEW_PASSWORD, NEW_PASSWORD), Some(&ada)).await;
    assert_eq!(done.location(), Some("/account/security/new-password?changed"), "{}", done.body);
    let renewed = done.cookie("tessera_session").expect("this session continues under a new token");
    assert_ne!(renewed, ada);
    // What about MFA: without an app, under a Visible policy, "set up an app" or "no thanks".
    let prompt = t.get("/account/security/new-password?changed", Some(&renewed)).await;
    assert!(prompt.body.contains("Your password is changed"), "{}", prompt.body);
    assert!(prompt.body.contains("Set up an authenticator app") && prompt.body.contains("No thanks"));
    assert!(!prompt.body.contains("Keep my existing codes"), "there are no codes to keep");
    let keep = t.island(ANSWER_PROMPT, &[("choice", "keep")], Some(&renewed)).await;
    assert_eq!(keep.status, StatusCode::FORBIDDEN, "not offered, not accepted");
    let answered = t.post(ANSWER_PROMPT, &[("choice", "no-thanks")], Some(&renewed)).await;
    assert_eq!(answered.location(), Some("/"));
    let again = t.get("/account/security/new-password?changed", Some(&renewed)).await;
    assert_eq!(again.location(), Some("/account/security?password-changed"), "asked once");
    let security = t.get("/account/security?password-changed", Some(&renewed)).await;
    assert!(security.body.contains("Your password is changed"));
    assert_eq!(t.get("/", Some(&ada)).await.location(), Some("/login"), "the old token is dead");
    assert_eq!(t.get("/", Some(&elsewhere)).await.location(), Some("/login"), "the other session ended");
    assert_eq!(t.get(&reset_link, None).await.status, StatusCode::NOT_FOUND);
    let notice = t.outbox_of(3).await.into_iter().find(|m| m.contains("Subject: Tessera: Your password was changed"));
    assert!(notice.expect("a notice").contains("every other session of your account was signed out"));
    assert_eq!(t.sign_in("ada@example.org", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.sign_in("ada@example.org", NEW_PASSWORD).await.status, StatusCode::SEE_OTHER);
    let events = t.tessera.store.recent_audit(None, 30).await.unwrap();
    let changes: Vec<(&str, Option<&str>)> = events
        .iter()
        .filter(|e| e.action == "password.changed")
        .map(|e| (e.outcome.as_str(), e.detail.as_deref()))
        .collect();
    assert_eq!(changes, [("success", Some("other sessions ended")), ("failure", Some("wrong current password"))]);
    let answer = events.iter().find(|e| e.action == "password.mfa_prompt_answered").expect("the answer, on record");
    assert_eq!(answer.detail.as_deref(), Some("no thanks"));
}

#[tokio::test]
async fn after_a_reset_the_next_sign_in_asks_about_mfa_once() {
    let t = app().await;
    let (secret, _codes, _) = enrol_over_http(&t).await;
    let before = t.outbox().len();
    assert!(t.post(FORGOT_PASSWORD, &[("email", "ada@example.org")], None).await.status.is_redirection());
    let mail = t.outbox_of(before + 1).await.into_iter().rev().find(|m| m.contains("/reset-password?token=")).unwrap();
    let token = token_after(&mail, "/reset-password?token=");
    let form = [
        ("token", token.as_str()),
        ("email", "ada@example.org"),
        ("password", NEW_PASSWORD),
        ("password_again", NEW_PASSWORD),
    ];
    assert_eq!(t.post(RESET_PASSWORD, &form, None).await.location(), Some("/login?password-reset"));
    // The password step leads to the challenge; the prompt waits for the full sign-in.
    let step = t.sign_in("ada@example.org", NEW_PASSWORD).await;
    assert_eq!(step.location(), Some("/login/mfa"));
    let challenged = step.cookie("tessera_session").unwrap();
    assert_eq!(t.get("/account/security/new-password", Some(&challenged)).await.location(), Some("/login/mfa"));
    t.clock.advance(Duration::from_secs(30));
    let done = t.post(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&challenged)).await;
    assert_eq!(done.location(), Some("/account/security/new-password"), "{}", done.body);
    let session = done.cookie("tessera_session").unwrap();
    let prompt = t.get("/account/security/new-password", Some(&session)).await;
    for choice in ["Set up new authenticator codes", "Keep my existing codes", "No thanks"] {
        assert!(prompt.body.contains(choice), "{choice}");
    }
    assert_eq!(t.post(ANSWER_PROMPT, &[("choice", "keep")], Some(&session)).await.location(), Some("/"));
    // Asked once: the next sign-in goes where it was going.
    t.clock.advance(Duration::from_secs(30));
    let step = t.sign_in("ada@example.org", NEW_PASSWORD).await;
    let next =
        t.post(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&step.cookie("tessera_session").unwrap())).await;
    assert_eq!(next.location(), Some("/"));
}

#[tokio::test]
async fn choosing_new_authenticator_codes_after_a_change_starts_the_wizard() {
    let t = app().await;
    // Just enrolled: the session's second factor is fresh.
    let (_secret, _codes, ada) = enrol_over_http(&t).await;
    let form = [("current_password", PASSWORD), ("password", NEW_PASSWORD), ("password_again", NEW_PASSWORD)];
    let done = t.post(CHANGE_PASSWORD, &form, Some(&ada)).await;
    assert_eq!(done.location(), Some("/account/security/new-password?changed"), "{}", done.body);
    let session = done.cookie("tessera_session").unwrap();
    let prompt = t.get("/account/security/new-password?changed", Some(&session)).await;
    assert!(prompt.body.contains("Set up new authenticator codes") && prompt.body.contains("Keep my existing codes"));
    let chose = t.post(ANSWER_PROMPT, &[("choice", "new")], Some(&session)).await;
    assert_eq!(chose.location(), Some("/account/security/mfa"), "{}", chose.body);
    let wizard = t.get("/account/security/mfa", Some(&session)).await;
    assert!(wizard.body.contains("Your current authenticator app keeps working until the new one is confirmed"));
    let events = t.tessera.store.recent_audit(None, 10).await.unwrap();
    let answer = events.iter().find(|e| e.action == "password.mfa_prompt_answered").unwrap();
    assert_eq!(answer.detail.as_deref(), Some("chose to set up a new authenticator app"));
}
