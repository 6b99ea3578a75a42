//! Signing in and out, first-run setup and one-time links, over HTTP: what a browser sees with
//! and without the WASM, cookies, limits and enumeration resistance.

#![cfg(feature = "ssr")]

mod common;

use common::*;

#[tokio::test]
async fn first_run_setup_then_sign_out_and_in_username_first() {
    let t = app().await;
    let link = t.tessera.setup_link_if_empty().await.unwrap().unwrap();
    let path = link.trim_start_matches(ORIGIN);
    let token = path.split("token=").nth(1).unwrap();

    let page = t.get(path, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Set up Tessera") && page.body.contains("name=\"org_name\""));

    // A weak password: 422, the reason, the other fields kept, the password never echoed.
    let weak = "password password";
    let form = [
        ("token", token),
        ("org_name", "Acme Health"),
        ("org_kind", "healthcare"),
        ("display_name", "Ada"),
        ("email", "ada@example.org"),
    ];
    let mut bad = form.to_vec();
    bad.push(("password", weak));
    let r = t.post(SETUP, &bad, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("too easy to guess") || r.body.contains("at least 15"), "{}", r.body);
    assert!(r.body.contains("value=\"Acme Health\""));
    assert!(r.body.contains("<option value=\"healthcare\" selected"));
    assert!(!r.body.contains(weak));
    assert!(
        r.body.contains(
            r#"id="password" name="password" type="password" autocomplete="new-password" required autofocus"#
        ),
        "focus goes to the field with the problem"
    );
    assert!(!r.body.contains(r#"id="org_name" name="org_name" type="text" autocomplete="organization" value="Acme Health" required autofocus"#));

    // A standard organisation (healthcare owners go straight to enrolment: see below).
    let mut good: Vec<(&str, &str)> =
        form.iter().map(|(k, v)| if *k == "org_kind" { (*k, "standard") } else { (*k, *v) }).collect();
    good.push(("password", PASSWORD));
    let r = t.post(SETUP, &good, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/"));
    let cookie = r.cookie("tessera_session").unwrap();
    let home = t.get("/", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Welcome, Ada") && home.body.contains("Acme Health") && home.body.contains("Owner"));
    assert_eq!(home.headers[header::CACHE_CONTROL], "no-store");

    // The link is spent.
    assert_eq!(t.get(path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.post(SETUP, &good, None).await.status, StatusCode::NOT_FOUND);

    // Sign out ends the session on the server.
    let out = t.post(LOGOUT, &[], Some(&cookie)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), Some("/login?signed-out"));
    assert!(out.set_cookies().iter().any(|c| c.starts_with("tessera_session=;") && c.contains("Max-Age=0")));
    assert!(t.get("/login?signed-out", None).await.body.contains("You have signed out."));
    let after = t.get("/", Some(&cookie)).await;
    assert_eq!((after.status, after.location()), (StatusCode::SEE_OTHER, Some("/login")));

    // Username-first sign-in.
    let r = t.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/")));
    let cookie = r.cookie("tessera_session").unwrap();
    assert_ne!(cookie.len(), "tessera_session=".len());
    assert!(r.set_cookies().iter().any(|c| c.starts_with("tessera_login=;")), "the remembered email is cleared");
    assert_eq!(t.get("/", Some(&cookie)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_accounts_and_wrong_passwords_get_the_same_answer() {
    let t = app().await;
    t.create_org().await;
    let wrong = t.sign_in("ada@example.org", "not the password at all").await;
    let unknown = t.sign_in("zed@example.org", "not the password at all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Incorrect email or password."));
    assert_eq!(
        without_nonce(&wrong).replace("ada@example.org", "EMAIL"),
        without_nonce(&unknown).replace("zed@example.org", "EMAIL"),
        "the pages differ only by the email typed"
    );
    let mut wh: Vec<_> = wrong.headers.keys().map(|k| k.as_str().to_string()).collect();
    let mut uh: Vec<_> = unknown.headers.keys().map(|k| k.as_str().to_string()).collect();
    wh.sort();
    uh.sort();
    assert_eq!(wh, uh, "same headers");
    assert!(wrong.set_cookies().is_empty() && unknown.set_cookies().is_empty());
    // The first step never tells either.
    let a = t.post(LOGIN_EMAIL, &[("email", "ada@example.org")], None).await;
    let b = t.post(LOGIN_EMAIL, &[("email", "zed@example.org")], None).await;
    assert_eq!((a.status, a.location()), (b.status, b.location()));
}

#[tokio::test]
async fn a_spent_failure_budget_says_how_long_to_wait_alike_for_every_address() {
    let t = app().await;
    t.create_org().await;
    let mut last = Vec::new();
    for email in ["ada@example.org", "zed@example.org"] {
        for _ in 0..5 {
            assert_eq!(t.sign_in(email, "not the password at all").await.status, StatusCode::UNAUTHORIZED);
        }
        // Even the right password is told to wait, with the real wait: not "incorrect".
        let r = t.sign_in(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert_eq!(r.headers[header::RETRY_AFTER], "1");
        assert!(r.body.contains("Too many attempts to sign in to this account. Try again in 1 second"), "{}", r.body);
        assert!(!r.body.contains("Incorrect email or password."));
        last.push(r);
    }
    assert_eq!(
        without_nonce(&last[0]).replace("ada@example.org", "EMAIL"),
        without_nonce(&last[1]).replace("zed@example.org", "EMAIL"),
        "known and unknown addresses wait alike"
    );
    t.clock.advance(Duration::from_secs(1));
    assert_eq!(t.sign_in("ada@example.org", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_time_out_on_the_server_clock() {
    let t = app().await;
    t.create_org().await;
    let cookie = t.session_cookie().await;
    t.clock.advance(Duration::from_secs(59 * 60));
    assert_eq!(t.get("/", Some(&cookie)).await.status, StatusCode::OK);
    t.clock.advance(Duration::from_secs(60 * 60));
    let r = t.get("/", Some(&cookie)).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/login")), "idle for an hour");

    let cookie = t.session_cookie().await;
    for _ in 0..23 {
        t.clock.advance(Duration::from_secs(30 * 60));
        assert_eq!(t.get("/", Some(&cookie)).await.status, StatusCode::OK);
    }
    t.clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(t.get("/", Some(&cookie)).await.status, StatusCode::SEE_OTHER, "12 hours after sign-in");
}

#[tokio::test]
async fn https_deployments_use_host_prefixed_secure_cookies() {
    let t = app_with(Options { base_url: "https://id.example.org", ..Options::default() }).await;
    t.create_org().await;
    let step1 = t
        .send(
            Request::post(LOGIN_EMAIL)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, BROWSER_ACCEPT)
                .header(header::ORIGIN, "https://id.example.org")
                .body(Body::from("email=ada%40example.org"))
                .unwrap(),
        )
        .await;
    let login = step1.cookie("__Host-tessera_login").expect("host-prefixed login cookie");
    let r = t
        .send(
            Request::post(LOGIN_PASSWORD)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, BROWSER_ACCEPT)
                .header(header::ORIGIN, "https://id.example.org")
                .header(header::COOKIE, &login)
                .body(Body::from(serde_urlencoded::to_string([("password", PASSWORD)]).unwrap()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set = r.set_cookies().into_iter().find(|c| c.starts_with("__Host-tessera_session=")).unwrap();
    for attr in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(set.contains(attr), "{set} lacks {attr}");
    }
    assert!(!set.contains("Domain="), "__Host- cookies carry no Domain");
    assert!(r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    // And the token is long and random.
    let token = set.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert!(token.len() >= 43);
}

#[tokio::test]
async fn sign_in_endpoints_are_rate_limited_per_ip() {
    let t =
        app_with(Options { rate: RateLimit { burst: 3, refill: Duration::from_secs(10) }, ..Options::default() }).await;
    for _ in 0..3 {
        assert_eq!(t.post(LOGIN_EMAIL, &[("email", "ada@example.org")], None).await.status, StatusCode::SEE_OTHER);
    }
    let r = t.post(LOGIN_EMAIL, &[("email", "ada@example.org")], None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers[header::RETRY_AFTER], "10");
    t.clock.advance(Duration::from_secs(10));
    assert_eq!(t.post(LOGIN_EMAIL, &[("email", "ada@example.org")], None).await.status, StatusCode::SEE_OTHER);
}

/// A sign-in email step from the tests' peer (192.0.2.7) saying it forwards for `client`.
async fn email_step_forwarded_for(t: &TestApp, client: &str) -> StatusCode {
    let req = Request::post(LOGIN_EMAIL)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ORIGIN)
        .header(header::ACCEPT, BROWSER_ACCEPT)
        .header("x-forwarded-for", client)
        .body(Body::from("email=ada%40example.org"))
        .unwrap();
    t.send(req).await.status
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limit_is_per_client_and_a_forged_address_changes_nothing() {
    let strict = RateLimit { burst: 2, refill: Duration::from_secs(60) };
    let t = app_with(Options { rate: strict, trusted_proxies: "192.0.2.0/29", ..Options::default() }).await;
    for _ in 0..2 {
        assert_eq!(email_step_forwarded_for(&t, "203.0.113.1").await, StatusCode::SEE_OTHER);
    }
    assert_eq!(email_step_forwarded_for(&t, "203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    // Another person behind the same proxy is not held back by the first one's tries.
    assert_eq!(email_step_forwarded_for(&t, "203.0.113.2").await, StatusCode::SEE_OTHER);
    // The first client writing another address to the left of the proxy's gains nothing.
    assert_eq!(email_step_forwarded_for(&t, "198.51.100.9, 203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    // A header that names no address counts against the proxy itself, never against nobody.
    for _ in 0..2 {
        assert_eq!(email_step_forwarded_for(&t, "unknown").await, StatusCode::SEE_OTHER);
    }
    assert_eq!(email_step_forwarded_for(&t, "garbage").await, StatusCode::TOO_MANY_REQUESTS);

    // Not a proxy of ours: whatever it forwards for, the limit is its own.
    let t = app_with(Options { rate: strict, trusted_proxies: "198.51.100.0/24", ..Options::default() }).await;
    assert_eq!(email_step_forwarded_for(&t, "203.0.113.1").await, StatusCode::SEE_OTHER);
    assert_eq!(email_step_forwarded_for(&t, "203.0.113.2").await, StatusCode::SEE_OTHER);
    assert_eq!(email_step_forwarded_for(&t, "203.0.113.3").await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_flood_of_sign_ins_gets_503_with_retry_after_not_a_queue() {
    let t = app_with(Options { hasher: (1, 0), ..Options::default() }).await;
    t.create_org().await;
    let login = t.post(LOGIN_EMAIL, &[("email", "ada@example.org")], None).await.cookie("tessera_login").unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let router = t.router.clone();
        let login = login.clone();
        tasks.push(tokio::spawn(async move {
            let mut req = Request::post(LOGIN_PASSWORD)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, login)
                .body(Body::from("password=wrong+wrong+wrong"))
                .unwrap();
            req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 8], 1))));
            into_reply(router.oneshot(req).await.unwrap()).await
        }));
    }
    let mut busy = 0;
    for task in tasks {
        let r = task.await.unwrap();
        match r.status {
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(r.headers[header::RETRY_AFTER], "1");
            }
            // A wrong password that got a slot; on a loaded machine enough of them may get one
            // to spend the account's free tries, and the rest are told to wait.
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => assert!(r.headers.contains_key(header::RETRY_AFTER)),
            other => panic!("unexpected {other}"),
        }
    }
    assert!(busy > 0, "one hashing slot and no queue: parallel sign-ins must be turned away");
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx() {
    let t = app().await;
    let r = t.post(LOGIN_EMAIL, &[("email", "not-an-email")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Enter an email address like name@example.com.") && r.body.contains("value=\"not-an-email\"")
    );
    assert!(r.body.contains("aria-invalid=\"true\""));
    let r = t.post(LOGIN_EMAIL, &[], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A body over the limit.
    let big = "x".repeat(300 * 1024);
    let r = t.post(LOGIN_EMAIL, &[("email", big.as_str())], None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // The password step without the first step goes back to it.
    let r = t.post(LOGIN_PASSWORD, &[("password", "x")], None).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/login")));
    // Junk and expired links explain themselves.
    for uri in ["/setup", "/setup?token=junk", "/set-password?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let r = t.get(uri, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(r.body.contains("Link no longer valid"));
    }
    // Overlong passwords are refused, not truncated, and not an error page.
    let r = t.sign_in("ada@example.org", &"p".repeat(200)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t.get("/no/such/page", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn set_password_links_work_once() {
    let t = app().await;
    let created =
        t.tessera.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, None).await.unwrap();
    let link = created.set_password_link.unwrap();
    let path = link.trim_start_matches(ORIGIN);
    let token = path.split("token=").nth(1).unwrap();
    assert_eq!(t.get(path, None).await.status, StatusCode::OK);
    let r = t.post(SET_PASSWORD, &[("token", token), ("password", "short")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at least 15"));
    let r = t.post(SET_PASSWORD, &[("token", token), ("password", PASSWORD)], None).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/login?password-set")));
    assert_eq!(
        t.post(SET_PASSWORD, &[("token", token), ("password", PASSWORD)], None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.sign_in("ada@example.org", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_healthcare_owner_sets_up_mfa_before_anything_else() {
    let t = app().await;
    let link = t.tessera.setup_link_if_empty().await.unwrap().unwrap();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let form = [
        ("token", token.as_str()),
        ("org_name", "Clinic"),
        ("org_kind", "healthcare"),
        ("display_name", "Ada"),
        ("email", "ada@example.org"),
        // Twelve characters: enough where MFA is required.
        ("password", "Vq7#mZp2xL!w"),
    ];
    let r = t.post(SETUP, &form, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.cookie("tessera_session").unwrap();
    assert_eq!(t.get("/", Some(&cookie)).await.location(), Some("/account/security/enrol-required"));
    // The sign-in page, opened again, sends her to the step she owes rather than a sign-in form.
    let again = t.get("/login?next=/settings/team", Some(&cookie)).await;
    assert_eq!((again.status, again.location()), (StatusCode::SEE_OTHER, Some("/account/security/enrol-required")));
}

/// Signs in through both steps without JavaScript, carrying `next` as the login form does.
async fn sign_in_going_to(t: &TestApp, next: &str) -> Reply {
    let step1 = t.post(LOGIN_EMAIL, &[("email", "ada@example.org"), ("next", next)], None).await;
    assert_eq!(step1.location(), Some("/login/password"), "{}", step1.body);
    let login = step1.cookie("tessera_login").unwrap();
    assert!(!login.contains("settings") && !login.contains("evil"), "the cookie does not show the page either");
    t.post(LOGIN_PASSWORD, &[("password", PASSWORD)], Some(&login)).await
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for_and_never_to_another_site() {
    let t = app().await;
    t.create_org().await;
    // Signed out, a settings page sends to sign-in with the page to come back to.
    let r = t.get("/settings/activity?action=signin", None).await;
    assert_eq!(r.location(), Some("/login?next=%2Fsettings%2Factivity%3Faction%3Dsignin"));
    let page = t.get(r.location().unwrap(), None).await;
    assert!(page.body.contains(r#"<input type="hidden" name="next" value="/settings/activity?action=signin""#));
    let r = sign_in_going_to(&t, "/settings/activity?action=signin").await;
    assert_eq!(r.location(), Some("/settings/activity?action=signin"));
    assert_eq!(t.get("/", None).await.location(), Some("/login"), "home needs no return address");

    // Anything that is not one of Tessera's own pages lands on home.
    for bad in [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/settings/team",
        "http:evil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "/settings/%2F%2Fevil.example",
        "/settings//evil.example",
        "/settings/../../evil",
        "/settings/\tevil",
        "/login",
        "javascript:alert(1)",
        " /settings/team",
    ] {
        t.clock.advance(Duration::from_secs(10)); // the per-IP sign-in limit refills
        let link = format!("/login?{}", serde_urlencoded::to_string([("next", bad)]).unwrap());
        let page = t.get(&link, None).await;
        assert!(!page.body.contains(r#"name="next""#), "{bad:?} is offered as a return address");
        let r = sign_in_going_to(&t, bad).await;
        assert_eq!(r.location(), Some("/"), "{bad:?}");
    }
}

#[tokio::test]
async fn the_return_address_survives_the_mfa_challenge() {
    let t = app().await;
    t.create_org().await;
    let cookie = t.session_cookie().await;
    let secret = enrol_with(&t, &cookie).await;
    t.clock.advance(Duration::from_secs(60));
    let r = sign_in_going_to(&t, "/settings/team").await;
    assert_eq!(r.location(), Some("/login/mfa"));
    let pending = r.cookie("tessera_session").unwrap();
    let login = r.cookie("tessera_login").expect("the return address is kept, sealed, for the challenge");
    let r = t.post(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&format!("{pending}; {login}"))).await;
    assert_eq!(r.location(), Some("/settings/team"), "{}", r.body);
    assert!(r.set_cookies().iter().any(|c| c.starts_with("tessera_login=;")), "and then forgotten");
}

#[tokio::test]
async fn the_return_address_survives_encoded_queries_a_recovery_code_and_a_different_email() {
    let t = app().await;
    let (_, codes, _) = enrol_over_http(&t).await;
    t.clock.advance(Duration::from_secs(60));
    // An encoded character in the page's query no longer sends the person home.
    let r = t.get("/settings/team?q=Ada%20Smith", None).await;
    assert_eq!(r.location(), Some("/login?next=%2Fsettings%2Fteam%3Fq%3DAda%2520Smith"));
    let page = t.get(r.location().unwrap(), None).await;
    assert!(page.body.contains("Sign in to continue to Team."), "{}", page.body);
    assert!(page.body.contains(r#"<input type="hidden" name="next" value="/settings/team?q=Ada%20Smith""#));
    // "Use a different email" keeps it.
    let step1 =
        t.post(LOGIN_EMAIL, &[("email", "ada@example.org"), ("next", "/settings/team?q=Ada%20Smith")], None).await;
    let login = step1.cookie("tessera_login").unwrap();
    let password = t.get("/login/password", Some(&login)).await;
    assert!(
        password.body.contains(r#"href="/login?next=%2Fsettings%2Fteam%3Fq%3DAda%2520Smith""#),
        "{}",
        password.body
    );
    // A recovery code: the account security page first (a code is spent), then on to the page.
    let r = t.post(LOGIN_PASSWORD, &[("password", PASSWORD)], Some(&login)).await;
    assert_eq!(r.location(), Some("/login/mfa"));
    let pending = r.cookie("tessera_session").unwrap();
    let login = r.cookie("tessera_login").unwrap();
    let r = t.post(LOGIN_MFA, &[("kind", "recovery"), ("code", &codes[4])], Some(&format!("{pending}; {login}"))).await;
    let to = "/account/security?recovery-used&next=%2Fsettings%2Fteam%3Fq%3DAda%2520Smith";
    assert_eq!(r.location(), Some(to), "{}", r.body);
    let full = r.cookie("tessera_session").unwrap();
    let security = t.get(to, Some(&full)).await;
    assert!(security.body.contains("You signed in with a recovery code"));
    assert!(
        security.body.contains(r#"href="/settings/team?q=Ada%20Smith""#) && security.body.contains("Continue to Team"),
        "{}",
        security.body
    );
    // Only ever one of Tessera's own pages.
    let forged = t.get("/account/security?recovery-used&next=%2F%2Fevil.example", Some(&full)).await;
    assert!(!forged.body.contains("evil.example") && !forged.body.contains("Continue to"));
}

#[tokio::test]
async fn where_allowed_an_emailed_code_is_the_second_factor_of_someone_without_an_app() {
    use tessera_server::policy::MfaPolicy;
    let t = app().await;
    t.create_org().await;
    t.tessera.set_mfa_policy_by_operator("Acme", MfaPolicy::Required, None).await.unwrap();
    t.tessera.set_email_codes_by_operator("Acme", true, Some(&["Owner".to_string()])).await.unwrap();
    let r = t.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!(r.location(), Some("/login/mfa"), "the code, not enrolment, comes next");
    let pending = r.cookie("tessera_session").unwrap();
    let code = t.emailed_code();
    assert!(t.outbox().last().unwrap().contains("To: ada@example.org"));

    let page = t.get("/login/mfa", Some(&pending)).await;
    for said in [
        "We sent a code to ada@example.org",
        "Code from the email",
        "weaker than an authenticator app",
        "name=\"kind\" value=\"email\"",
        "autocomplete=\"one-time-code\"",
        "Send a new code",
    ] {
        assert!(page.body.contains(said), "{said}: {}", page.body);
    }
    assert!(!page.body.contains("Use a recovery code") && !page.body.contains("Use your authenticator app"));
    // One a minute: asking again at once says how long to wait and sends nothing.
    let mails = t.outbox().len();
    let again = t.island(SEND_SIGN_IN_CODE, &[], Some(&pending)).await;
    assert_eq!((again.status, again.body.as_str()), (StatusCode::TOO_MANY_REQUESTS, "resend-wait 60"));
    // Without JavaScript: the challenge again, the reason under the button, the field still there.
    let again = t.post(SEND_SIGN_IN_CODE, &[], Some(&pending)).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        again.body.contains("You can ask for a new code in 1 minute") && again.body.contains("Code from the email"),
        "{}",
        again.body
    );
    assert_eq!(t.outbox().len(), mails);
    // A wrong code is refused; the right one signs in, without JavaScript too.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let r = t.island(LOGIN_MFA, &[("code", wrong), ("kind", "email")], Some(&pending)).await;
    assert_eq!(r.body, "invalid code=wrong-code");
    let done = t.post(LOGIN_MFA, &[("code", &code), ("kind", "email")], Some(&pending)).await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);
    let full = done.cookie("tessera_session").unwrap();
    let home = t.get("/", Some(&full)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("a code we email you"), "{}", home.body);
    assert_eq!(t.get("/login/mfa", Some(&pending)).await.location(), Some("/login"), "the half-finished one is gone");
}

#[tokio::test]
async fn someone_with_an_app_is_offered_an_emailed_code_only_where_allowed() {
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    enrol_with(&t, &ada).await;
    t.clock.advance(Duration::from_secs(30));
    let r = t.sign_in("ada@example.org", PASSWORD).await;
    let pending = r.cookie("tessera_session").unwrap();
    let page = t.get("/login/mfa", Some(&pending)).await;
    assert!(page.body.contains("Authentication code") && !page.body.contains("Email me a code"), "{}", page.body);
    let refused = t.island(SEND_SIGN_IN_CODE, &[], Some(&pending)).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(!t.outbox().iter().any(|m| m.contains("Your Tessera code is")));

    t.tessera.set_email_codes_by_operator("Acme", true, Some(&["Owner".to_string()])).await.unwrap();
    let page = t.get("/login/mfa", Some(&pending)).await;
    assert!(
        page.body.contains("Email me a code instead") && page.body.contains("Use a recovery code"),
        "{}",
        page.body
    );
    let sent = t.post(SEND_SIGN_IN_CODE, &[], Some(&pending)).await;
    assert_eq!(sent.location(), Some("/login/mfa?email"));
    let page = t.get("/login/mfa?email", Some(&pending)).await;
    assert!(page.body.contains("Code from the email") && page.body.contains("Use your authenticator app"));
    let done = t.post(LOGIN_MFA, &[("code", &t.emailed_code()), ("kind", "email")], Some(&pending)).await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);
}

#[tokio::test]
async fn the_email_codes_setting_needs_a_fresh_second_factor_and_is_locked_in_healthcare() {
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    let page = t.get("/settings/security", Some(&ada)).await;
    assert!(
        page.body.contains("Allow email codes as a second factor")
            && page.body.contains("weaker than an authenticator app")
    );
    let org = t.tessera.store.find_organisation_by_name("Acme").await.unwrap().unwrap();
    let roles = t.tessera.store.roles(org.id).await.unwrap();
    let member = roles.iter().find(|r| r.name == "Member").unwrap().id.to_string();
    let r = t.post(SET_EMAIL_CODES, &[("allowed", "yes"), ("roles[0]", &member)], Some(&ada)).await;
    assert!(r.location().unwrap().starts_with("/account/security/verify"), "{:?}", r.location());
    assert!(!t.tessera.store.find_organisation_by_name("Acme").await.unwrap().unwrap().email_codes_allowed);
    t.post(SEND_EMAIL_CODE, &[], Some(&ada)).await;
    let verified = t.post(STEP_UP, &[("code", &t.emailed_code())], Some(&ada)).await;
    assert!(verified.status.is_redirection());
    let r = t.post(SET_EMAIL_CODES, &[("allowed", "yes"), ("roles[0]", &member)], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/security?email-codes"), "{}", r.body);
    assert!(t.tessera.store.find_organisation_by_name("Acme").await.unwrap().unwrap().email_codes_allowed);
    let page = t.get("/settings/security?email-codes", Some(&ada)).await;
    assert!(page.body.contains("Email codes are allowed as a second factor for: Member."));
    // A cleared checkbox sends nothing: off again.
    let r = t.post(SET_EMAIL_CODES, &[], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/security?email-codes"));
    assert!(!t.tessera.store.find_organisation_by_name("Acme").await.unwrap().unwrap().email_codes_allowed);

    t.tessera.create_organisation("Clinic", OrgKind::Healthcare, "cy@example.org", None, Some(PASSWORD)).await.unwrap();
    let cy = t.sign_in("cy@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
    enrol_with(&t, &cy).await;
    let page = t.get("/settings/security", Some(&cy)).await;
    assert!(page.body.contains("Healthcare organisations must use an authenticator app."), "{}", page.body);
    let r = t.island(SET_EMAIL_CODES, &[("allowed", "yes"), ("roles[0]", "1")], Some(&cy)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, "refused healthcare-app"));
}
