//! Account security over HTTP. Change password: it waits for a fresh confirmation (an emailed
//! code for someone without an app), checks the current password, ends the other sessions,
//! keeps this one under a new token, and mails a notice. Change email address: only with an
//! app, through a link to the new address whose page changes nothing until its button is pressed.

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

#[tokio::test]
async fn the_email_address_changes_through_a_link_to_the_new_one_opened_anywhere() {
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    let security = t.get("/account/security", Some(&ada)).await;
    assert!(security.body.contains("href=\"/account/security/email\""));
    // Without an app: an emailed code cannot confirm it, and the page says what to do instead.
    let page = t.get("/account/security/email", Some(&ada)).await;
    assert!(
        page.body.contains("needs an authenticator app") && !page.body.contains("name=\"new_email\""),
        "{}",
        page.body
    );
    let refused = t.island(CHANGE_EMAIL, &[("new_email", "ada@example.net")], Some(&ada)).await;
    assert_eq!((refused.status, refused.body.as_str()), (StatusCode::FORBIDDEN, "refused needs-app"));

    // With an app, confirmed moments ago by setting it up.
    enrol_with(&t, &ada).await;
    let page = t.get("/account/security/email", Some(&ada)).await;
    assert!(page.body.contains("name=\"new_email\"") && page.body.contains("autocomplete=\"email\""));
    let same = t.island(CHANGE_EMAIL, &[("new_email", "ADA@example.org")], Some(&ada)).await;
    assert_eq!(same.body, "invalid new_email=same-as-current");
    let bad = t.post(CHANGE_EMAIL, &[("new_email", "ada at example")], Some(&ada)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Enter an email address like name@example.com") && bad.body.contains("ada at example"));
    let mails = t.outbox().len();
    let sent = t.post(CHANGE_EMAIL, &[("new_email", "ada@example.net")], Some(&ada)).await;
    assert_eq!(sent.location(), Some("/account/security/email?sent"), "{}", sent.body);
    let mail = t.outbox_of(mails + 2).await;
    let link = mail.iter().find(|m| m.contains("To: ada@example.net")).expect("a link to the new address");
    let token = token_after(link, "/account/email/confirm?token=");
    assert!(link.contains(&format!("{ORIGIN}/account/email/confirm?token=")), "built from the base URL");
    assert!(mail.iter().any(|m| m.contains("To: ada@example.org") && m.contains("asked to change its email address")));
    let again = t.island(CHANGE_EMAIL, &[("new_email", "ada@example.net")], Some(&ada)).await;
    assert_eq!((again.status, again.body.as_str()), (StatusCode::TOO_MANY_REQUESTS, "link-wait 60"));

    // Opening the link (in another browser, signed out) changes nothing; its button does.
    let confirm = format!("/account/email/confirm?token={token}");
    let page = t.get(&confirm, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ada@example.net") && page.body.contains("Use this address"), "{}", page.body);
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    let me = t.get("/account/security", Some(&ada)).await;
    assert!(me.body.contains("ada@example.org") && !me.body.contains("ada@example.net"));
    let done = t.post(CONFIRM_EMAIL, &[("token", &token)], None).await;
    assert_eq!(done.location(), Some("/login?email-changed"), "{}", done.body);
    let login = t.get("/login?email-changed", Some(&done.cookie("tessera_login").unwrap())).await;
    assert!(login.body.contains("Your email address is changed") && login.body.contains("value=\"ada@example.net\""));
    let me = t.get("/account/security", Some(&ada)).await;
    assert!(me.body.contains("ada@example.net"), "the session carries on with the new address");
    assert!(t
        .outbox()
        .iter()
        .any(|m| m.contains("To: ada@example.org") && m.contains("Your email address was changed")));
    // The link works once.
    let gone = t.get(&confirm, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(
        gone.body.contains("Confirmation link no longer valid")
            && gone.body.contains("your email address has not changed")
    );
    let twice = t.island(CONFIRM_EMAIL, &[("token", &token)], None).await;
    assert_eq!((twice.status, twice.body.as_str()), (StatusCode::NOT_FOUND, "email-link"));
}

#[tokio::test]
async fn an_expired_password_is_replaced_right_after_signing_in_before_anything_else() {
    const REPLACE: &str = "/api/account/password-expired";
    const SET_EXPIRY: &str = "/api/policy/password-expiry";
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    // The owner sets it on the security policy page, after a fresh confirmation; NIST's advice is there.
    let page = t.get("/settings/security", Some(&ada)).await;
    assert!(
        page.body.contains("Passwords expire after (days)") && page.body.contains("NIST (SP 800-63B) advises against")
    );
    t.post(SEND_EMAIL_CODE, &[], Some(&ada)).await;
    assert!(t.post(STEP_UP, &[("code", &t.emailed_code())], Some(&ada)).await.status.is_redirection());
    for wrong in ["29", "366", "soon", "-1"] {
        let r = t.island(SET_EXPIRY, &[("days", wrong)], Some(&ada)).await;
        assert_eq!(r.body, "invalid days=range", "{wrong}");
    }
    let saved = t.post(SET_EXPIRY, &[("days", "30")], Some(&ada)).await;
    assert_eq!(saved.location(), Some("/settings/security?password-expiry"), "{}", saved.body);
    let page = t.get("/settings/security?password-expiry", Some(&ada)).await;
    assert!(page.body.contains("Passwords now expire after 30 days.") && page.body.contains("value=\"30\""));

    // 30 days on, the open session is held to a new password first, pages and functions alike.
    t.clock.advance(Duration::from_secs(30 * 86_400 - 1));
    let ada = t.session_cookie().await;
    assert_eq!(t.get("/", Some(&ada)).await.status, StatusCode::OK, "not a second early");
    t.clock.advance(Duration::from_secs(1));
    let home = t.get("/", Some(&ada)).await;
    assert_eq!(home.location(), Some("/account/security/password-expired"));
    let enrol = t.island(MFA_START, &[], Some(&ada)).await;
    assert_eq!((enrol.status, enrol.body.as_str()), (StatusCode::FORBIDDEN, "password-expired"));
    // Signing in again leads straight there too.
    let r = t.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!(r.location(), Some("/account/security/password-expired"));
    let fresh = r.cookie("tessera_session").unwrap();
    let page = t.get("/account/security/password-expired", Some(&fresh)).await;
    assert!(page.body.contains("Your password has expired") && page.body.contains("every 30 days"), "{}", page.body);
    assert!(page.body.contains("autocomplete=\"new-password\"") && !page.body.contains("/settings/team\""));
    let same = t.island(REPLACE, &[("password", PASSWORD), ("password_again", PASSWORD)], Some(&fresh)).await;
    assert_eq!(same.body, "invalid password=same-as-current");
    let differ =
        t.island(REPLACE, &[("password", NEW_PASSWORD), ("password_again", "other words")], Some(&fresh)).await;
    assert_eq!(differ.body, "invalid password_again=mismatch");
    let done = t.post(REPLACE, &[("password", NEW_PASSWORD), ("password_again", NEW_PASSWORD)], Some(&fresh)).await;
    assert_eq!(done.location(), Some("/account/security/new-password?changed"), "{}", done.body);
    let renewed = done.cookie("tessera_session").unwrap();
    // Then the MFA question, the product again, and the other session is gone.
    let prompt = t.get("/account/security/new-password?changed", Some(&renewed)).await;
    assert!(prompt.body.contains("Set up an authenticator app"), "{}", prompt.body);
    assert_eq!(t.get("/", Some(&renewed)).await.status, StatusCode::OK);
    assert_eq!(t.get("/", Some(&ada)).await.location(), Some("/login"));
    assert_eq!(
        t.get("/account/security/password-expired", Some(&renewed)).await.location(),
        Some("/account/security/password")
    );
    let again = t.island(REPLACE, &[("password", "x"), ("password_again", "x")], Some(&renewed)).await;
    assert_eq!(again.body, "not-found", "nothing to replace");
    assert!(t.outbox().iter().any(|m| m.contains("Your password was changed")));
}
