//! Settings -> Email templates over HTTP, as a browser without JavaScript uses it (and the same
//! functions as an island calls them): the list, the editor with its variables, a preview kept
//! as the draft, refusals with their line, saving after a fresh confirmation that comes back to
//! the draft, the next mail, the activity log leading to the version a change replaced, and going
//! back to the default.

#![cfg(feature = "ssr")]

mod common;

use common::*;

const PREVIEW: &str = "/api/email-templates/preview";
const SAVE: &str = "/api/email-templates/save";
const DEFAULT: &str = "/api/email-templates/default";
const EDITOR: &str = "/settings/email/password-reset";

const SUBJECT: &str = "Acme: a new password for {{ name }}";
const TEXT: &str = "Hi {{ name }}, pick a new password at {{ link }} (Acme IT)";
const HTML: &str = "<h1>Acme IT</h1><p>Hi {{ name }}</p><p><a href=\"{{ link }}\">New password</a></p>";

fn form<'a>(subject: &'a str, text: &'a str, html: &'a str) -> [(&'static str, &'a str); 4] {
    [("kind", "password-reset"), ("subject", subject), ("text", text), ("html", html)]
}

#[tokio::test]
async fn an_owner_previews_saves_and_the_next_reset_mail_uses_the_template() {
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;

    let list = t.get("/settings/email", Some(&ada)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("href=\"/settings/email/password-reset\"") && list.body.contains("Tessera's default"));
    let editor = t.get(EDITOR, Some(&ada)).await;
    assert!(editor.body.contains("value=\"Tessera: Reset your password\""), "the default, to start from");
    assert!(editor.body.contains("{{ link }}") && editor.body.contains("(required)"));
    assert!(editor.body.contains("it cannot be turned off"), "the footer Tessera adds is shown");

    // A preview checks the template and shows it with sample data, from the draft.
    let preview = t.post(PREVIEW, &form(SUBJECT, TEXT, HTML), Some(&ada)).await;
    assert_eq!(preview.location(), Some("/settings/email/password-reset?draft#preview"), "{}", preview.body);
    let shown = t.get("/settings/email/password-reset?draft", Some(&ada)).await;
    assert!(shown.body.contains("Acme: a new password for Ada Lovelace"), "{}", shown.body);
    assert!(shown.body.contains(r#"sandbox="" src="/settings/email/password-reset/preview""#), "{}", shown.body);
    // The frame's document is the mail as it will look: inline styles (the footer's) apply there
    // and nowhere else, no script runs, and only Tessera's own pages may frame it.
    let frame = t.get("/settings/email/password-reset/preview", Some(&ada)).await;
    assert_eq!(frame.status, StatusCode::OK);
    let csp = frame.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("style-src 'unsafe-inline'") && csp.contains("frame-ancestors 'self'") && csp.contains("sandbox")
    );
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    assert_eq!(frame.headers[header::X_FRAME_OPTIONS], "SAMEORIGIN");
    assert!(frame.body.contains("Acme: a new password") || frame.body.contains("Ada Lovelace"), "{}", frame.body);
    assert!(frame.body.contains("style=\"color:#555"), "the footer's style, as in the mail: {}", frame.body);
    assert!(shown.body.contains("Your draft, not saved yet"));

    // A template that breaks a rule comes back with the line and the reason, as typed.
    let broken = "Hi {{ name }}\n{{ passwrd }} {{ link }}";
    let refused = t.post(PREVIEW, &form(SUBJECT, broken, HTML), Some(&ada)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Line 2: It uses a variable this mail does not have"), "{}", refused.body);
    assert!(refused.body.contains("{{ passwrd }}"), "what was typed is kept");
    let island = t.island(PREVIEW, &form(SUBJECT, broken, HTML), Some(&ada)).await;
    assert_eq!(
        (island.status, island.body.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid text=template:unknown-variable:2")
    );
    let no_link = t.island(SAVE, &form(SUBJECT, TEXT, "<p>Hi</p>"), Some(&ada)).await;
    assert_eq!(no_link.body, "invalid html=template:missing-link:0");
    let unknown = t
        .island(SAVE, &[("kind", "../../etc"), ("subject", SUBJECT), ("text", TEXT), ("html", HTML)], Some(&ada))
        .await;
    assert_eq!((unknown.status, unknown.body.as_str()), (StatusCode::NOT_FOUND, "not-found"));

    // Saving needs a fresh confirmation: what was typed waits as the draft, and the step-up
    // comes back to it.
    let early = t.post(SAVE, &form(SUBJECT, TEXT, HTML), Some(&ada)).await;
    let next = "/settings/email/password-reset?draft";
    let step_up = format!("/account/security/verify?{}", serde_urlencoded::to_string([("next", next)]).unwrap());
    assert_eq!(early.location(), Some(step_up.as_str()));
    assert!(t.post(SEND_EMAIL_CODE, &[("next", next)], Some(&ada)).await.status.is_redirection());
    let verified = t.post(STEP_UP, &[("code", &t.emailed_code()), ("next", next)], Some(&ada)).await;
    assert_eq!(verified.location(), Some(next));
    let back = t.get(next, Some(&ada)).await;
    assert!(back.body.contains("Acme IT") && back.body.contains("Your draft, not saved yet"));
    let saved = t.post(SAVE, &form(SUBJECT, TEXT, HTML), Some(&ada)).await;
    assert_eq!(saved.location(), Some("/settings/email/password-reset?saved"), "{}", saved.body);
    let page = t.get("/settings/email/password-reset?saved", Some(&ada)).await;
    assert!(
        page.body.contains("The template is saved") && page.body.contains("Your organisation's template is in use")
    );

    // The next reset mail uses it, with its link and Tessera's ending.
    let before = t.outbox().len();
    assert!(t.post(FORGOT_PASSWORD, &[("email", "ada@example.org")], None).await.status.is_redirection());
    let mail = t.outbox_of(before + 1).await.into_iter().rev().find(|m| m.contains("/reset-password?token=")).unwrap();
    assert!(mail.contains("Subject: Acme: a new password for Ada"), "{mail}");
    assert!(mail.contains("pick a new password at http://127.0.0.1:3000/reset-password?token="));
    assert!(mail.contains("it cannot be turned off") && mail.contains("If this was not you, ignore this mail"));

    // The activity log leads to the version the change replaced: Tessera's default.
    let log = t.get("/settings/activity", Some(&ada)).await;
    assert!(log.body.contains("Password reset link: saved"), "the mail by the name people see: {}", log.body);
    let at = log.body.find("/settings/email/password-reset/versions?at=").expect("a link to the versions");
    let href: String = log.body[at..].chars().take_while(|c| *c != '"').collect();
    let versions = t.get(&href, Some(&ada)).await;
    assert_eq!(versions.status, StatusCode::OK);
    assert!(versions.body.contains("This change") && versions.body.contains("Before this change"));
    assert!(versions.body.contains("Acme IT"), "the saved version");

    // Back to the default; the organisation's stays in the versions.
    let restored = t.post(DEFAULT, &[("kind", "password-reset")], Some(&ada)).await;
    assert_eq!(restored.location(), Some("/settings/email/password-reset?default"));
    let editor = t.get(EDITOR, Some(&ada)).await;
    assert!(editor.body.contains("value=\"Tessera: Reset your password\""));
    let versions = t.get("/settings/email/password-reset/versions", Some(&ada)).await;
    assert!(versions.body.contains("Back to Tessera") && versions.body.contains("Acme IT"));
}

#[tokio::test]
async fn people_without_the_permission_cannot_see_or_change_templates() {
    let t = app().await;
    let [_ada, _adam, _hal, _bob, _zed] = two_organisations(&t).await;
    for email in ["adam@example.org", "hal@example.org", "bob@example.org"] {
        let cookie = cookie_of(&t, email).await;
        assert_eq!(t.get("/settings/email", Some(&cookie)).await.status, StatusCode::FORBIDDEN, "{email}");
        let r = t.island(SAVE, &form(SUBJECT, TEXT, HTML), Some(&cookie)).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, "refused permission"), "{email}");
        let nav = t.get("/", Some(&cookie)).await;
        assert!(!nav.body.contains("href=\"/settings/email\""), "{email}: not offered");
    }
    let ada = cookie_of(&t, "ada@example.org").await;
    assert!(t.get("/", Some(&ada)).await.body.contains("href=\"/settings/email\""), "offered to owners");
}
