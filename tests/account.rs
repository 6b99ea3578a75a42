//! Account security -> Change password over HTTP: it waits for a fresh confirmation (an emailed
//! code for someone without an app), checks the current password, ends the other sessions,
//! keeps this one under a new token, and mails a notice.

#![cfg(feature = "ssr")]

mod common;

use common::*;

const CHANGE_PASSWORD: &str = "/api/account/password";
const NEW_PASSWORD: &str = "copper lantern hums beside rivers";

fn emailed_code(t: &TestApp) -> String {
    let mail =
        t.outbox().into_iter().rev().find(|m| m.contains("Subject: Tessera: Your code is")).expect("a code mail");
    let at = mail.find("Your Tessera code is: ").expect("the code") + "Your Tessera code is: ".len();
    mail[at..at + 6].to_string()
}

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
    let verified = t.post(STEP_UP, &[("code", &emailed_code(&t)), ("next", next)], Some(&ada)).await;
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
    let at = reset_mail.find("/reset-password?token=").unwrap();
    let reset_link: String = reset_mail[at..].chars().take_while(|c| !c.is_whitespace()).collect();

    let done = t.post(CHANGE_PASSWORD, &form(PASSWORD, NEW_PASSWORD, NEW_PASSWORD), Some(&ada)).await;
    assert_eq!(done.location(), Some("/account/security?password-changed"), "{}", done.body);
    let renewed = done.cookie("tessera_session").expect("this session continues under a new token");
    assert_ne!(renewed, ada);
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
}
