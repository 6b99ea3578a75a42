//! Account -> Email preferences and the unsubscribe link over HTTP: turning optional mail off and
//! on, a link's page that changes nothing until its button is pressed, and the one-click POST a
//! mail program sends by itself (RFC 8058): no session, no same-origin headers, only the signed
//! token. Nothing else accepts a cross-site POST.

#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use common::*;
use http::Request;
use tessera_server::mail::Topic;

const PREFERENCES: &str = "/api/account/email-preferences";
const UNSUBSCRIBE: &str = "/api/unsubscribe";
const CHECKBOX: &str = "name=\"topics[0]\" value=\"grace-reminders\"";

async fn reminders_on(t: &TestApp, user_id: i64) -> bool {
    !t.tessera.store.opted_out_topics(user_id).await.unwrap().iter().any(|x| x == "grace-reminders")
}

#[tokio::test]
async fn optional_mail_is_turned_off_on_the_preferences_page_or_by_its_link() {
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    let ada_id = t.tessera.store.credentials_by_email("ada@example.org").await.unwrap().unwrap().user_id;

    let page = t.get("/account/email-preferences", Some(&ada)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(CHECKBOX) && page.body.contains("checked"), "{}", page.body);
    assert!(page.body.contains("name=\"topics[1]\" value=\"weekly-digest\""), "owners read the activity log");
    assert!(page.body.contains("Security mail cannot be turned off"));
    assert!(t.get("/account/security", Some(&ada)).await.body.contains("href=\"/account/email-preferences\""));

    // Nothing ticked: reminders off, and on the record.
    let saved = t.post(PREFERENCES, &[], Some(&ada)).await;
    assert_eq!(saved.location(), Some("/account/email-preferences?saved"));
    assert!(!reminders_on(&t, ada_id).await);
    let page = t.get("/account/email-preferences?saved", Some(&ada)).await;
    assert!(page.body.contains("Your email preferences are saved") && !page.body.contains("checked"));
    let back = t.post(PREFERENCES, &[("topics[0]", "grace-reminders")], Some(&ada)).await;
    assert!(back.status.is_redirection());
    assert!(reminders_on(&t, ada_id).await);
    let events = t.tessera.store.recent_audit(None, 10).await.unwrap();
    let changes: Vec<_> =
        events.iter().filter(|e| e.action == "mail.preference_changed").map(|e| e.detail.clone().unwrap()).collect();
    assert_eq!(
        changes,
        [
            "reminders to set up MFA turned on",
            "weekly security digest turned off",
            "reminders to set up MFA turned off"
        ]
    );

    // The link's page asks, and changes nothing by being opened.
    let link = t.tessera.unsubscribe_link(ada_id, Topic::GraceReminders);
    let path = &link["http://127.0.0.1:3000".len()..];
    let token = path.split("token=").nth(1).unwrap().to_string();
    let ask = t.get(path, None).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("Turn them off") && ask.body.contains("ada@example.org"), "{}", ask.body);
    assert!(reminders_on(&t, ada_id).await, "opening the link changed nothing");

    // One click in a mail program: a cross-site POST to the link, no cookie, no Origin.
    let one_click = Request::post(format!("/unsubscribe?token={token}"))
        .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from("List-Unsubscribe=One-Click"))
        .unwrap();
    let r = t.send(one_click).await;
    assert!(r.status.is_redirection() || r.status.is_success(), "{} {}", r.status, r.body);
    assert!(!reminders_on(&t, ada_id).await);
    let done = t.get("/unsubscribe?done=grace-reminders", None).await;
    assert!(done.body.contains("turned off. Security mail still reaches you."));

    // The page's button does the same, as a plain form.
    t.post(PREFERENCES, &[("topics[0]", "grace-reminders")], Some(&ada)).await;
    let pressed = t.post(UNSUBSCRIBE, &[("token", &token)], None).await;
    assert_eq!(pressed.location(), Some("/unsubscribe?done=grace-reminders"));
    assert!(!reminders_on(&t, ada_id).await);

    // A link Tessera did not sign names nobody.
    let forged = format!("{ada_id}.grace-reminders.{}", "0".repeat(32));
    assert_eq!(t.get(&format!("/unsubscribe?token={forged}"), None).await.status, StatusCode::NOT_FOUND);
    let r = t.island(UNSUBSCRIBE, &[("token", &forged)], None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::NOT_FOUND, "link"));

    // No other path takes a cross-site POST.
    let elsewhere = Request::post(PREFERENCES)
        .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(http::header::COOKIE, &ada)
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.send(elsewhere).await.status, StatusCode::FORBIDDEN);
}
