//! "Forgot your password?" over HTTP: the same answer for every address, links only to the
//! address on record and only from the base URL, whatever the request says; the reset page and
//! form with and without JavaScript; and the per-IP limit.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use tessera_server::clock::Clock;

const NEW_PASSWORD: &str = "copper lantern hums beside rivers";

fn reset_token(mail: &str) -> String {
    token_after(mail, "/reset-password?token=")
}

/// Everything an answer shows, to compare two byte for byte.
fn whole(r: &Reply) -> String {
    // Each answer's own request id is random, the same for every kind of address.
    let mut headers: Vec<String> = r
        .headers
        .iter()
        .filter(|(k, v)| *k != "x-request-id" || v.len() != 24)
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
        .collect();
    headers.sort();
    format!("{}\n{}\n\n{}", r.status, headers.join("\n"), r.body)
}

/// The background work of a request that sends nothing has no signal to wait for.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn the_answer_is_the_same_for_every_kind_of_address() {
    let t = app().await;
    let [_ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
    // hal: MFA; bob: disabled; zed: locked out by wrong passwords; adam: plain; and nobody.
    let hal_cookie = cookie_of(&t, "hal@example.org").await;
    enrol_with(&t, &hal_cookie).await;
    let (acme, role) = t.tessera.store.primary_membership(bob).await.unwrap().unwrap();
    t.tessera.store.set_member_disabled(acme.id, bob, role.id, true, t.clock.now()).await.unwrap();
    for _ in 0..6 {
        t.sign_in("zed@example.org", "wrong wrong wrong").await;
    }
    settle().await;
    let before = t.outbox().len();
    let addresses = ["nobody@example.org", "bob@example.org", "zed@example.org", "hal@example.org", "adam@example.org"];
    let mut forms = Vec::new();
    let mut islands = Vec::new();
    for email in addresses {
        forms.push(whole(&t.post(FORGOT_PASSWORD, &[("email", email)], None).await));
        islands.push(whole(&t.island(FORGOT_PASSWORD, &[("email", email)], None).await));
    }
    for (i, email) in addresses.iter().enumerate() {
        assert_eq!(forms[i], forms[0], "{email}: the form's answer differs");
        assert_eq!(islands[i], islands[0], "{email}: the island's answer differs");
    }
    assert!(forms[0].starts_with("303") && forms[0].contains("location: /forgot-password/sent"), "{}", forms[0]);
    // The page it leads to says the same to everyone, and promises nothing about the account.
    let sent = t.get("/forgot-password/sent", None).await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(sent.body.contains("If an account exists for that address, we have sent it a link"));

    // Mail went only to the usable accounts (the locked one too: the link may be why it waits),
    // one each, the island's request inside the minute of the form's.
    t.outbox_of(before + 3).await;
    settle().await;
    let mut to: Vec<String> =
        t.outbox()[before..].iter().map(|m| m.lines().find(|l| l.starts_with("To: ")).unwrap().to_string()).collect();
    to.sort();
    assert_eq!(to, ["To: adam@example.org", "To: hal@example.org", "To: zed@example.org"]);
}

#[tokio::test]
async fn links_come_from_the_base_url_whatever_the_request_says() {
    let t = app().await;
    t.create_org().await;
    for (i, (name, value)) in
        [("host", "evil.example"), ("x-forwarded-host", "evil.example"), ("forwarded", "host=evil.example;proto=https")]
            .into_iter()
            .enumerate()
    {
        let r = Request::post(FORGOT_PASSWORD)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, BROWSER_ACCEPT)
            .header(header::ORIGIN, ORIGIN)
            .header(name, value)
            .body(Body::from("email=ada%40example.org"))
            .unwrap();
        assert_eq!(t.send(r).await.status, StatusCode::SEE_OTHER, "{name}");
        let mail = t.outbox_of(i + 1).await.pop().unwrap();
        assert!(mail.contains(&format!("{ORIGIN}/reset-password?token=")), "{name}: {mail}");
        assert!(!mail.contains("evil.example"), "{name}");
        // The next request may send again.
        t.clock.advance(Duration::from_secs(61));
    }
}

#[tokio::test]
async fn polluted_parameters_send_at_most_one_mail_to_the_address_on_record() {
    let t = app().await;
    two_organisations(&t).await;
    settle().await;
    let bodies = [
        "email[]=ada%40example.org",
        "email=ada%40example.org&email=bob%40example.org",
        "email=bob%40example.org&email=ada%40example.org",
        "email=ada%40example.org%2Cbob%40example.org",
        "email=ada%40example.org%0D%0ABcc%3A%20evil%40example.net",
        "email=ada%40example.org%0ABcc%3Aevil%40example.net",
        "email=evil%40example.net%3E%2C%3Cada%40example.org",
    ];
    for body in bodies {
        let before = t.outbox().len();
        let r = Request::post(FORGOT_PASSWORD)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, BROWSER_ACCEPT)
            .header(header::ORIGIN, ORIGIN)
            .body(Body::from(body))
            .unwrap();
        let reply = t.send(r).await;
        assert!(reply.status == StatusCode::SEE_OTHER || reply.status.is_client_error(), "{body}: {}", reply.status);
        settle().await;
        let new = &t.outbox()[before..];
        assert!(new.len() <= 1, "{body}: {} mails", new.len());
        for m in new {
            let to: Vec<&str> = m.lines().filter(|l| l.starts_with("To:") || l.starts_with("Bcc:")).collect();
            assert!(to == ["To: ada@example.org"] || to == ["To: bob@example.org"], "{body}: {to:?}");
            assert!(!m.contains("evil@example.net"), "{body}");
        }
        // Each request may send (the per-account minute has passed).
        t.clock.advance(Duration::from_secs(61));
    }
}

#[tokio::test]
async fn the_reset_page_and_form_work_without_javascript_and_do_not_sign_in() {
    let t = app().await;
    t.create_org().await;
    let old_session = t.session_cookie().await;
    // The sign-in pages offer the way in.
    assert!(t.get("/login", None).await.body.contains("href=\"/forgot-password\""));
    let step = t.post(LOGIN_EMAIL, &[("email", "ada@example.org")], None).await;
    let step_cookie = step.cookie("tessera_login").unwrap();
    let password_page = t.get("/login/password", Some(&step_cookie)).await;
    assert!(password_page.body.contains("Forgot your password?"));
    // The address typed at the first step is filled in.
    let forgot = t.get("/forgot-password", Some(&step_cookie)).await;
    assert!(forgot.body.contains("value=\"ada@example.org\"") && forgot.body.contains("Send reset link"));

    assert_eq!(t.post(FORGOT_PASSWORD, &[("email", "ada@example.org")], None).await.status, StatusCode::SEE_OTHER);
    let token = reset_token(&t.outbox_of(1).await[0]);
    let page = t.get(&format!("/reset-password?token={token}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    assert!(page.body.contains("Email address the link was sent to") && page.body.contains("At least 15 characters"));
    assert!(page.body.contains("autocomplete=\"new-password\"") && page.body.contains("name=\"password_again\""));
    let bad = t.get("/reset-password?token=not-a-token", None).await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    assert!(bad.body.contains("Ask for a new link") && bad.body.contains("href=\"/forgot-password\""));

    // A mistake: the page again, with the reason, the address kept and no password shown back.
    let send = |email: &'static str, again: &'static str| {
        let token = token.clone();
        let t = &t;
        async move {
            let form =
                [("token", token.as_str()), ("email", email), ("password", NEW_PASSWORD), ("password_again", again)];
            t.post(RESET_PASSWORD, &form, None).await
        }
    };
    let mismatch = send("ada@example.org", "copper lantern").await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.body.contains("The two passwords are different"));
    assert!(mismatch.body.contains("value=\"ada@example.org\"") && !mismatch.body.contains(NEW_PASSWORD));
    let other = send("bob@example.org", NEW_PASSWORD).await;
    assert!(other.body.contains("That is not the address this link was sent to"));
    // Through the island: the same rule, as a code.
    let pairs = [("token", token.as_str()), ("email", "ada@example.org"), ("password", "x"), ("password_again", "x")];
    let island = t.island(RESET_PASSWORD, &pairs, None).await;
    assert_eq!(
        (island.status, island.body.starts_with("invalid password=short")),
        (StatusCode::UNPROCESSABLE_ENTITY, true)
    );

    let done = send("ada@example.org", NEW_PASSWORD).await;
    assert_eq!(done.location(), Some("/login?password-reset"), "{}", done.body);
    assert!(done.cookie("tessera_session").is_none(), "not signed in");
    let login = t.get("/login?password-reset", Some(&done.cookie("tessera_login").unwrap())).await;
    assert!(login.body.contains("Your password is changed") && login.body.contains("value=\"ada@example.org\""));
    assert_eq!(t.get("/", Some(&old_session)).await.location(), Some("/login"), "the old session ended");
    assert_eq!(t.sign_in("ada@example.org", NEW_PASSWORD).await.status, StatusCode::SEE_OTHER);
    let used = send("ada@example.org", NEW_PASSWORD).await;
    assert_eq!(used.status, StatusCode::NOT_FOUND);
    assert!(used.body.contains("Reset link no longer valid"));
    let used_island = t.island(RESET_PASSWORD, &pairs, None).await;
    assert_eq!(used_island.body, "reset-link");
}

#[tokio::test]
async fn one_network_cannot_flood_mailboxes() {
    let t = app_with(Options {
        reset_rate: RateLimit { burst: 3, refill: Duration::from_secs(600) },
        ..Options::default()
    })
    .await;
    t.create_org().await;
    for i in 0..3 {
        let r = t.post(FORGOT_PASSWORD, &[("email", &format!("someone{i}@example.org"))], None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let fourth = t.island(FORGOT_PASSWORD, &[("email", "ada@example.org")], None).await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(fourth.headers[header::RETRY_AFTER], "600");
    let page = t.post(FORGOT_PASSWORD, &[("email", "ada@example.org")], None).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("Too many attempts from your network"));
    settle().await;
    assert!(t.outbox().is_empty(), "nothing was sent for the refused requests");
}
