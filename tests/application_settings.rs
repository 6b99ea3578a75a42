//! Settings -> Applications over HTTP: who may open it, step-up before every change, what a bad
//! form is told, the client secret shown once, and disabling and removing an application.

#![cfg(feature = "ssr")]

mod common;

use common::*;

const ADD: &str = "/api/applications/add";
const ROTATE: &str = "/api/applications/rotate-secret";
const DISABLE: &str = "/api/applications/disable";
const REMOVE: &str = "/api/applications/remove";

/// A fresh second factor for `cookie` (an emailed code: the test's people have no app).
async fn step_up(t: &TestApp, cookie: &str, back: &str) {
    assert!(t.post(SEND_EMAIL_CODE, &[("next", back)], Some(cookie)).await.status.is_redirection());
    let done = t.post(STEP_UP, &[("code", &t.emailed_code()), ("next", back)], Some(cookie)).await;
    assert_eq!(done.location(), Some(back));
}

fn wiki(redirect: &str) -> Vec<(&str, &str)> {
    vec![
        ("name", "Wiki"),
        ("kind", "confidential"),
        ("redirect_uris", redirect),
        ("logout_uris", ""),
        ("roles[0]", "Administrator"),
        ("require_mfa", "true"),
    ]
}

/// The client id in a location `/settings/applications/ID?...`.
fn client_id_in(location: &str) -> String {
    location.trim_start_matches("/settings/applications/").split('?').next().unwrap().to_string()
}

#[tokio::test]
async fn owners_and_administrators_manage_applications_others_do_not() {
    let t = app().await;
    two_organisations(&t).await;
    for (who, status) in [
        ("ada@example.org", StatusCode::OK),
        ("adam@example.org", StatusCode::OK),
        ("hal@example.org", StatusCode::FORBIDDEN),
        ("bob@example.org", StatusCode::FORBIDDEN),
    ] {
        let cookie = cookie_of(&t, who).await;
        let page = t.get("/settings/applications", Some(&cookie)).await;
        assert_eq!(page.status, status, "{who}");
        // The navigation offers the page to exactly those who may open it.
        assert_eq!(page.body.contains(r#"href="/settings/applications""#), status == StatusCode::OK, "{who}");
        let r = t.island(ADD, &wiki("https://wiki.example.org/cb"), Some(&cookie)).await;
        if status == StatusCode::FORBIDDEN {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        }
    }
    assert!(t.tessera.applications_by_operator("Acme").await.unwrap().is_empty(), "nothing registered without step-up");
}

#[tokio::test]
async fn registering_needs_a_fresh_confirmation_and_says_what_is_wrong_with_the_form() {
    let t = app().await;
    two_organisations(&t).await;
    let ada = cookie_of(&t, "ada@example.org").await;
    t.clock.advance(Duration::from_secs(6 * 60));
    let page = t.get("/settings/applications", Some(&ada)).await;
    assert!(page.body.contains("No applications yet.") && page.body.contains("Changes here need a fresh confirmation"));
    // Without a fresh second factor: to step-up, and back to this page.
    let r = t.post(ADD, &wiki("https://wiki.example.org/cb"), Some(&ada)).await;
    assert_eq!(r.location(), Some("/account/security/verify?next=/settings/applications"));
    step_up(&t, &ada, "/settings/applications").await;
    // A bad line is named, with what to do; the form keeps what was typed (without JavaScript).
    let bad = "https://wiki.example.org/cb\nhttp://wiki.example.org/other";
    let r = t.post(ADD, &wiki(bad), Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Line 2: use https."), "{}", r.body);
    assert!(r.body.contains("http://wiki.example.org/other</textarea>"), "{}", r.body);
    let r = t.island(ADD, &wiki(""), Some(&ada)).await;
    assert!(r.status.is_client_error() && r.body.contains("redirect_uris"), "{}", r.body);
    // A role that is not offered is a forged form.
    let mut forged = wiki("https://wiki.example.org/cb");
    forged[4] = ("roles[0]", "Pilots");
    assert_eq!(t.island(ADD, &forged, Some(&ada)).await.status, StatusCode::BAD_REQUEST);

    // Registered: its page shows the client id and, this once, the secret.
    let r = t.post(ADD, &wiki("https://wiki.example.org/cb"), Some(&ada)).await;
    let to = r.location().unwrap().to_string();
    assert!(to.ends_with("?registered"), "{to}");
    let client_id = client_id_in(&to);
    let secret_cookie = r.cookie("tessera_secret").expect("the secret on its way to its page");
    let both = format!("{ada}; {secret_cookie}");
    let page = t.get(&to, Some(&both)).await;
    assert_eq!(page.status, StatusCode::OK);
    let at = page.body.find(r#"id="client-secret""#).expect("the secret shown");
    let secret: String = page.body[at..].split('>').nth(1).unwrap().chars().take_while(|c| *c != '<').collect();
    assert!(secret.len() >= 40, "{secret}");
    assert!(
        page.body.contains(&client_id)
            && page.body.contains("Administrator")
            && page.body.contains("Required for this application")
    );
    assert!(page.set_cookies().iter().any(|c| c.starts_with("tessera_secret=;")), "shown once");
    // The secret works, and is in no log.
    let app = t.tessera.authenticate_application(&client_id, &secret).await.unwrap();
    assert_eq!(app.map(|a| a.name).as_deref(), Some("Wiki"));
    let log = t.tessera.store.recent_audit(None, 50).await.unwrap();
    assert!(log.iter().any(|e| e.action == "application.added" && e.actor_user_id.is_some()));
    assert!(!log.iter().any(|e| e.detail.as_deref().unwrap_or_default().contains(&secret)));
    // Another session of the same person cannot show it again.
    let other = cookie_of(&t, "ada@example.org").await;
    let page = t.get(&to, Some(&format!("{other}; {secret_cookie}"))).await;
    assert!(!page.body.contains(r#"id="client-secret""#));
    // The owners are told.
    assert!(t.outbox_of(1).await.iter().any(|m| m.contains("The application Wiki was registered")));
    // The same name again is refused, under the name.
    let r = t.post(ADD, &wiki("https://wiki.example.org/cb"), Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The name is already taken."), "{}", r.body);
}

#[tokio::test]
async fn a_secret_is_replaced_an_application_disabled_enabled_and_removed() {
    let t = app().await;
    two_organisations(&t).await;
    t.tessera.ensure_signing_keys().await.unwrap();
    let adam = cookie_of(&t, "adam@example.org").await;
    step_up(&t, &adam, "/settings/applications").await;
    let r = t.post(ADD, &wiki("https://wiki.example.org/cb"), Some(&adam)).await;
    let client_id = client_id_in(r.location().unwrap());
    let page = format!("/settings/applications/{client_id}");
    // Replacing the secret: the new one is shown once, the old one stops working.
    let r = t.post(ROTATE, &[("client_id", &client_id)], Some(&adam)).await;
    assert_eq!(r.location(), Some(format!("{page}?rotated").as_str()));
    let shown =
        t.get(&format!("{page}?rotated"), Some(&format!("{adam}; {}", r.cookie("tessera_secret").unwrap()))).await;
    assert!(shown.body.contains(r#"id="client-secret""#) && shown.body.contains("the old one no longer works"));
    // Disabled: the application's sign-ins are refused as if it were not registered.
    let r = t.post(DISABLE, &[("client_id", &client_id), ("disabled", "true")], Some(&adam)).await;
    assert_eq!(r.location(), Some(format!("{page}?disabled").as_str()));
    let authorize = format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string([
            ("client_id", client_id.as_str()),
            ("redirect_uri", "https://wiki.example.org/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .unwrap()
    );
    assert_eq!(t.get(&authorize, Some(&adam)).await.status, StatusCode::BAD_REQUEST);
    assert!(t.get(&page, Some(&adam)).await.body.contains("Disabled: nobody can sign in to it"));
    let r = t.post(DISABLE, &[("client_id", &client_id), ("disabled", "false")], Some(&adam)).await;
    assert_eq!(r.location(), Some(format!("{page}?enabled").as_str()));
    // Enabled again: it takes adam on (through enrolment first: it requires MFA, he has none).
    assert_eq!(t.get(&authorize, Some(&adam)).await.location(), Some("/account/security/enrol-required"));
    // Another organisation's owner cannot see or touch it.
    let zed = cookie_of(&t, "zed@example.org").await;
    step_up(&t, &zed, "/settings/applications").await;
    assert_eq!(t.get(&page, Some(&zed)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.island(REMOVE, &[("client_id", &client_id)], Some(&zed)).await.status, StatusCode::NOT_FOUND);
    // Removed.
    let r = t.post(REMOVE, &[("client_id", &client_id)], Some(&adam)).await;
    assert_eq!(r.location(), Some("/settings/applications?removed"));
    assert_eq!(t.get(&page, Some(&adam)).await.status, StatusCode::NOT_FOUND);
    let actions: Vec<String> =
        t.tessera.store.recent_audit(None, 50).await.unwrap().into_iter().map(|e| e.action).collect();
    for a in [
        "application.added",
        "application.secret_rotated",
        "application.disabled",
        "application.enabled",
        "application.removed",
    ] {
        assert!(actions.contains(&a.to_string()), "{a}: {actions:?}");
    }
}
