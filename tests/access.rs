//! The access table over HTTP: every page and every server function in every session state and
//! role, the same-origin check, security headers, and what malformed input gets.

#![cfg(feature = "ssr")]

mod common;

use common::*;

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let t = app().await;
    t.create_org().await;
    for (origin, fetch_site) in [
        (Some("https://evil.example"), None),
        (None, Some("cross-site")),
        (None, Some("same-site")),
        (Some(ORIGIN), Some("cross-site")),
        (None, None),
    ] {
        let mut b = Request::post(LOGIN_EMAIL).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        if let Some(s) = fetch_site {
            b = b.header("sec-fetch-site", s);
        }
        let r = t.send(b.body(Body::from("email=ada%40example.org")).unwrap()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin:?} {fetch_site:?}");
    }
    // The same request from our own origin passes.
    let ok = Request::post(LOGIN_EMAIL)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, BROWSER_ACCEPT)
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from("email=ada%40example.org"))
        .unwrap();
    assert_eq!(t.send(ok).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_matching_nonce() {
    let t = app().await;
    let r = t.get("/login", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'") && !csp.contains("unsafe-inline")
    );
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(r.body.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")));
    assert_eq!(r.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(r.headers[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    assert!(r.body.contains("autocomplete=\"username\""));
    let again = t.get("/login", None).await;
    assert_ne!(
        again.headers[header::CONTENT_SECURITY_POLICY],
        r.headers[header::CONTENT_SECURITY_POLICY],
        "a fresh nonce per response"
    );
}

#[tokio::test]
async fn health_and_readiness() {
    let t = app().await;
    let r = t.get("/healthz", None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
    let r = t.get("/readyz", None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ready"));
    // Asked to stop: no longer ready, so a load balancer sends nothing new, but what it still
    // sends is served.
    t.tessera.start_draining();
    let r = t.get("/readyz", None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "draining"));
    assert_eq!(t.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(t.get("/login", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_route_answers_each_role_and_keeps_organisations_apart() {
    let t = app().await;
    let [ada, _adam, hal, bob, _zed] = two_organisations(&t).await;
    // What each role may open among the settings pages (GET), with a member of Acme as {id}.
    let table: [(&str, &[&str]); 5] = [
        (
            "ada@example.org",
            &[
                "/settings/team",
                "/settings/team/invite",
                "/settings/team/invite/list",
                "/settings/team/{id}",
                "/settings/team/{id}/access-code",
                "/settings/roles",
                "/settings/security",
                "/settings/security/require",
                "/settings/security/email-codes",
                "/settings/security/sign-in",
                "/settings/activity",
                "/settings/activity.csv",
                "/settings/email",
                "/settings/email/{kind}",
                "/settings/email/{kind}/versions",
                "/settings/email/{kind}/preview",
                "/settings/applications",
            ],
        ),
        (
            "adam@example.org",
            &[
                "/settings/team",
                "/settings/team/invite",
                "/settings/team/invite/list",
                "/settings/team/{id}",
                "/settings/team/{id}/access-code",
                "/settings/activity",
                "/settings/activity.csv",
                "/settings/applications",
            ],
        ),
        ("hal@example.org", &["/settings/team", "/settings/team/{id}", "/settings/team/{id}/access-code"]),
        ("bob@example.org", &[]),
        // Another organisation's owner: their own team, but never Acme's member.
        (
            "zed@example.org",
            &[
                "/settings/team",
                "/settings/team/invite",
                "/settings/team/invite/list",
                "/settings/roles",
                "/settings/security",
                "/settings/security/require",
                "/settings/security/email-codes",
                "/settings/security/sign-in",
                "/settings/activity",
                "/settings/activity.csv",
                "/settings/email",
                "/settings/email/{kind}",
                "/settings/email/{kind}/versions",
                "/settings/email/{kind}/preview",
                "/settings/applications",
            ],
        ),
    ];
    for (email, allowed) in table {
        for r in ROUTES.iter().filter(|r| r.path.starts_with("/settings/")) {
            let cookie = cookie_of(&t, email).await;
            let target = if r.path.contains("{id}") && email == "bob@example.org" { hal } else { bob };
            let reply = t.call(r.method, &concrete(r.path, target), Some(&cookie)).await;
            assert!(
                reply.status != StatusCode::INTERNAL_SERVER_ERROR && reply.status != StatusCode::UNAUTHORIZED,
                "{email} {} {} -> {}",
                r.method,
                r.path,
                reply.status
            );
            if r.method == "GET" && r.path != "/settings/team/{id}/reset-mfa" {
                let opened = reply.status == StatusCode::OK;
                assert_eq!(opened, allowed.contains(&r.path), "{email} GET {} -> {}", r.path, reply.status);
            }
            if allowed.is_empty() || (email == "zed@example.org" && r.path.contains("{id}")) {
                // Nothing changes hands: refused (403), not found (404) or a bad form (4xx).
                assert!(reply.status.is_client_error(), "{email} {} {} -> {}", r.method, r.path, reply.status);
            }
            if email == "zed@example.org" && r.path.starts_with("/settings/team/{id}") && r.method == "GET" {
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "GET {}: Acme's member does not exist for zed", r.path);
            }
            assert!(email != "zed@example.org" || !reply.body.contains("bob@example.org"));
        }
    }
    // Nobody can reset their own MFA or the owner's through the team pages.
    let hal_cookie = cookie_of(&t, "hal@example.org").await;
    for (target, why) in [(ada, "refused owner"), (hal, "refused own-account")] {
        let r = t.island(RESET_MFA, &[("member", &target.to_string())], Some(&hal_cookie)).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, why));
    }
    // Acme's members do not exist for another organisation's owner, whatever the form.
    let zed = cookie_of(&t, "zed@example.org").await;
    let bob_id = bob.to_string();
    for path in [RESET_MFA, CHANGE_ROLE, SET_DISABLED] {
        let r = t.island(path, &[("member", &bob_id), ("role", "1"), ("disabled", "true")], Some(&zed)).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::NOT_FOUND, "not-found"), "{path}");
    }
    // Ids that are not numbers name nobody: a clear 404, not a 500.
    assert_eq!(t.get("/settings/team/bob", Some(&hal_cookie)).await.status, StatusCode::NOT_FOUND);
    let r = t.island(RESET_MFA, &[("member", "bob")], Some(&hal_cookie)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::NOT_FOUND, "not-found"));
}

/// Who calls, in the every-route test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// Password right, code owed.
    Challenge,
    /// Signed in, but a role that requires MFA confines them to enrolment.
    Confined,
    /// Signed in, but their password expired: a new one first.
    Expired,
    Owner,
    Admin,
    HelpDesk,
    Member,
    /// The owner of another organisation.
    OtherOwner,
}

const EVERYONE: [Who; 9] = [
    Who::Anonymous,
    Who::Challenge,
    Who::Confined,
    Who::Expired,
    Who::Owner,
    Who::Admin,
    Who::HelpDesk,
    Who::Member,
    Who::OtherOwner,
];

/// The gate's own refusals, as an island reads them.
const GATE_REFUSALS: [&str; 5] = ["sign-in", "challenge", "enrol", "password-expired", "refused permission"];

/// Acme as `two_organisations` makes it, plus pat (a member with MFA, for the challenge) and cy
/// (a member whose role requires MFA and who has none: confined). Returns the session of `who`.
struct World {
    t: TestApp,
    bob: i64,
    pat_secret: tessera_server::totp::TotpSecret,
}

impl World {
    async fn new() -> World {
        use tessera_server::clock::Clock;
        let t = app().await;
        let [_ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
        t.tessera
            .add_user("Acme", "pat@example.org", None, tessera_server::model::Role::Member, Some(OTHER_PASSWORD))
            .await
            .unwrap();
        let pat = cookie_of(&t, "pat@example.org").await;
        let pat_secret = enrol_with(&t, &pat).await;
        let cy = t
            .tessera
            .add_user("Acme", "cy@example.org", None, tessera_server::model::Role::Member, Some(OTHER_PASSWORD))
            .await
            .unwrap();
        let org = t.tessera.store.find_organisation_by_name("Acme").await.unwrap().unwrap().id;
        let strict = t
            .tessera
            .store
            .create_role(org, "Contractors", tessera_server::roles::Permissions::NONE, true, t.clock.now())
            .await
            .unwrap();
        let member_role = t.tessera.store.member(org, cy.user_id).await.unwrap().unwrap().role.id;
        assert!(t.tessera.store.set_member_role(org, cy.user_id, member_role, strict).await.unwrap());
        // exp: the owner of an organisation whose passwords expire after 30 days, 30 days on.
        t.tessera
            .create_organisation("Expiring", OrgKind::Standard, "exp@example.org", None, Some(OTHER_PASSWORD))
            .await
            .unwrap();
        t.tessera.set_password_expiry_by_operator("Expiring", Some(30)).await.unwrap();
        t.clock.advance(Duration::from_secs(30 * 86_400));
        World { t, bob, pat_secret }
    }

    async fn session(&self, who: Who) -> Option<String> {
        let t = &self.t;
        let email = match who {
            Who::Anonymous => return None,
            Who::Challenge => {
                let r = t.sign_in("pat@example.org", OTHER_PASSWORD).await;
                assert_eq!(r.location(), Some("/login/mfa"));
                return r.cookie("tessera_session");
            }
            Who::Confined => "cy@example.org",
            Who::Expired => "exp@example.org",
            Who::Owner => "ada@example.org",
            Who::Admin => "adam@example.org",
            Who::HelpDesk => "hal@example.org",
            Who::Member => "bob@example.org",
            Who::OtherOwner => "zed@example.org",
        };
        Some(cookie_of(t, email).await)
    }

    /// Whether the table lets `who` through to `route` (the use case may still say no).
    async fn admitted(&self, route: &RouteSpec, who: Who, cookie: Option<&str>) -> bool {
        match (route.access, who) {
            (Access::Public, _) => true,
            (Access::PasswordOk, w) => w == Who::Challenge,
            (_, Who::Anonymous | Who::Challenge) => false,
            (Access::NewPassword, _) => true,
            (_, Who::Expired) => false,
            (Access::Enrolment, _) => true,
            (Access::Full, Who::Confined) => false,
            (Access::Full, _) => {
                let token = cookie.unwrap().split('=').nth(1).unwrap().to_string();
                let s = self.t.tessera.session(&token).await.unwrap().unwrap();
                route.need.met_by(|p| s.can(p))
            }
        }
    }
}

#[tokio::test]
async fn every_route_and_every_server_function_answers_every_session_state() {
    let w = World::new().await;
    let t = &w.t;
    let _ = &w.pat_secret;
    for r in ROUTES {
        for who in EVERYONE {
            // A fresh session each time: signing out ends the one it is given.
            let cookie = w.session(who).await;
            let path = concrete(r.path, w.bob);
            let admitted = w.admitted(r, who, cookie.as_deref()).await;
            let what = format!("{who:?} {} {}", r.method, r.path);
            if r.is_server_fn() {
                let reply = t.island(&path, &[], cookie.as_deref()).await;
                assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{what}: {}", reply.body);
                let refused = GATE_REFUSALS.contains(&reply.body.as_str());
                assert_eq!(!refused, admitted, "{what} -> {} {}", reply.status, reply.body);
                if refused {
                    assert!(matches!(reply.status.as_u16(), 401 | 403), "{what} -> {}", reply.status);
                }
                // Without JavaScript, a refusal sends the person to the step they are at, or
                // shows the page again with the reason; never a 500.
                let cookie = w.session(who).await;
                let form = t.post(&path, &[], cookie.as_deref()).await;
                assert!(form.status.is_redirection() || form.status.is_client_error(), "{what}: {}", form.status);
                continue;
            }
            let reply = t.call(r.method, &path, cookie.as_deref()).await;
            assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
            if r.access == Access::Public {
                continue;
            }
            // Where a refused page sends the person, without the return address.
            let to = reply.location().map(|l| l.split_once('?').map_or(l, |(page, _)| page));
            let sent_back = matches!(
                to,
                Some("/login")
                    | Some("/login/mfa")
                    | Some("/account/security/enrol-required")
                    | Some("/account/security/password-expired")
            );
            let forbidden =
                reply.status == StatusCode::FORBIDDEN && reply.body.contains("Your role does not allow this");
            let unauthorised = reply.status == StatusCode::UNAUTHORIZED;
            let refused =
                sent_back || forbidden || unauthorised || reply.status == StatusCode::FORBIDDEN && r.method == "POST";
            assert_eq!(!refused, admitted, "{what} -> {} {:?}", reply.status, reply.location());
            if !admitted && r.method == "GET" {
                let step = match who {
                    // The challenge is only for a half-finished sign-in: anyone else starts over.
                    _ if r.access == Access::PasswordOk => Some("/login"),
                    Who::Anonymous => Some("/login"),
                    Who::Challenge => Some("/login/mfa"),
                    Who::Confined => Some("/account/security/enrol-required"),
                    Who::Expired => Some("/account/security/password-expired"),
                    _ => None,
                };
                match step {
                    Some(step) => assert_eq!(to, Some(step), "{what}"),
                    None => assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}"),
                }
            }
            // Signed out, a page of ours is asked for again after signing in.
            let ours = path.starts_with("/settings/") || path.starts_with("/account/");
            if who == Who::Anonymous && r.method == "GET" && !admitted && ours {
                let back = serde_urlencoded::to_string([("next", path.as_str())]).unwrap();
                assert_eq!(reply.location(), Some(format!("/login?{back}").as_str()), "{what}");
            }
            // Another organisation's member does not exist for zed.
            if who == Who::OtherOwner && r.path.contains("{id}") && r.method == "GET" {
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{what}");
                assert!(!reply.body.contains("bob@example.org"));
            }
        }
    }
}

#[tokio::test]
async fn the_access_table_lists_exactly_the_registered_server_functions() {
    // The same check refuses to start `tessera serve`; its failures are unit-tested in `routes`.
    assert_eq!(app::http::check_server_fns(), Ok(()));
    let listed = ROUTES.iter().filter(|r| r.is_server_fn()).count();
    assert_eq!(listed, leptos::server_fn::axum::server_fn_paths().count());
    for r in ROUTES.iter().filter(|r| r.is_server_fn()) {
        assert!(r.path.starts_with("/api/") && r.method == "POST", "{} {}", r.method, r.path);
        assert!(!r.path.chars().any(|c| c.is_ascii_digit()), "{}: a stable path, not a hash", r.path);
    }
}

#[tokio::test]
async fn malformed_input_to_any_server_function_gets_a_clear_4xx() {
    let w = World::new().await;
    let t = &w.t;
    let big = "x".repeat(300 * 1024);
    let medium = "x".repeat(100 * 1024);
    for r in ROUTES.iter().filter(|r| r.is_server_fn()) {
        let who = match r.access {
            Access::PasswordOk => Who::Challenge,
            Access::Public => Who::Anonymous,
            _ => Who::Owner,
        };
        let what = r.path.to_string();
        let cookie = w.session(who).await;
        let send = |b: http::request::Builder, body: String| {
            let mut b = b.header(header::ORIGIN, ORIGIN).header(header::ACCEPT, "text/plain");
            if let Some(c) = &cookie {
                b = b.header(header::COOKIE, c);
            }
            t.send(b.body(Body::from(body)).unwrap())
        };
        let form = |b: http::request::Builder| b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        // A GET to a function that takes a POST.
        let get = send(Request::get(r.path), String::new()).await;
        assert_eq!((get.status, get.body.as_str()), (StatusCode::METHOD_NOT_ALLOWED, "method"), "{what}");
        assert_eq!(get.headers[header::ALLOW], "POST");
        // A browser reloading it (after a form failed without JavaScript) gets a page that
        // leads back to the form.
        let Kind::ServerFn { page, .. } = r.kind else { unreachable!() };
        let reload =
            t.send(Request::get(r.path).header(header::ACCEPT, BROWSER_ACCEPT).body(Body::empty()).unwrap()).await;
        assert_eq!(reload.status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
        assert!(reload.body.contains("Nothing to show here") && reload.body.contains("Back to the form"), "{what}");
        let back = page(&[]).replace('&', "&amp;");
        assert!(reload.body.contains(&format!("href=\"{back}\"")), "{what}: back to {back}: {}", reload.body);
        // The answers of server functions carry the same security headers as pages.
        assert_eq!(get.headers[header::X_FRAME_OPTIONS], "DENY", "{what}");
        assert_eq!(get.headers[header::CACHE_CONTROL], "no-store", "{what}");
        // JSON where a form is expected.
        let json =
            send(Request::post(r.path).header(header::CONTENT_TYPE, "application/json"), "{\"code\":1}".into()).await;
        assert_eq!((json.status, json.body.as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "media-type"), "{what}");
        // Too big.
        let large = send(form(Request::post(r.path)), format!("name={big}")).await;
        assert_eq!((large.status, large.body.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "too-large"), "{what}");
        // Only the template editor takes more than 64 KiB: two bodies of 20,000 characters.
        let medium = send(form(Request::post(r.path)), format!("name={medium}")).await;
        let editor = r.path.ends_with("/email-templates/preview") || r.path.ends_with("/email-templates/save");
        assert_eq!(medium.status == StatusCode::PAYLOAD_TOO_LARGE, !editor, "{what}: 100 KiB -> {}", medium.status);
        // Duplicated fields, wrong types, bytes that are no form at all, a value far too long.
        for body in [
            "code=1&code=2&email=a&email=b&password=x&password=y&member=1&member=2".to_string(),
            "member=twelve&role=admin&requires_mfa=perhaps&grace_days=-1".to_string(),
            "%ZZ=%%&&==".to_string(),
            format!("email={}&name={}&reason={}", "e".repeat(5000), "n".repeat(5000), "r".repeat(5000)),
        ] {
            let cookie = w.session(who).await;
            let mut b = form(Request::post(r.path)).header(header::ORIGIN, ORIGIN).header(header::ACCEPT, "text/plain");
            if let Some(c) = &cookie {
                b = b.header(header::COOKIE, c);
            }
            let reply = t.send(b.body(Body::from(body.clone())).unwrap()).await;
            assert!(
                reply.status.is_client_error() || reply.status.is_success(),
                "{what} with {:.40}: {} {}",
                body,
                reply.status,
                reply.body
            );
            // Whatever the answer, it is one of the fixed codes, never a library's text.
            if !reply.status.is_success() {
                let e = app::error::AppError::decode(&reply.body);
                assert_eq!(e.encode(), reply.body, "{what}: {}", reply.body);
                assert_ne!(e, app::error::AppError::Internal, "{what}");
            }
        }
    }
}

#[tokio::test]
async fn a_password_step_without_its_field_counts_against_the_failure_budget() {
    let t = app().await;
    t.create_org().await;
    let login = t.post(LOGIN_EMAIL, &[("email", "ada@example.org")], None).await.cookie("tessera_login").unwrap();
    for _ in 0..5 {
        let r = t.island(LOGIN_PASSWORD, &[], Some(&login)).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::UNAUTHORIZED, "credentials"));
    }
    // The budget is spent: the right password must wait, like after five wrong ones.
    let r = t.island(LOGIN_PASSWORD, &[("password", PASSWORD)], Some(&login)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::TOO_MANY_REQUESTS, "waiting 1"));
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
}

#[tokio::test]
async fn a_forged_err_query_string_puts_nothing_an_attacker_wrote_on_a_page() {
    let t = app().await;
    t.create_org().await;
    let cookie = t.session_cookie().await;
    let attacker = "Your account is locked. Call +1 555 0100 now";
    let encoded: String = serde_urlencoded::to_string([("__err", attacker), ("__path", LOGIN_EMAIL)]).unwrap();
    // Leptos puts a server function's error into `__err` as base64 of its encoding.
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE.encode(format!("invalid email=missing {attacker}"))
    };
    for (path, session) in [
        ("/login", None),
        ("/login/password", None),
        ("/", Some(cookie.as_str())),
        ("/account/security", Some(cookie.as_str())),
        ("/settings/team", Some(cookie.as_str())),
    ] {
        for query in [encoded.clone(), format!("__err={b64}&__path={LOGIN_EMAIL}")] {
            let r = t.get(&format!("{path}?{query}"), session).await;
            assert!(!r.body.contains("Call +1 555"), "{path}?{query}");
            assert!(!r.body.contains("locked"), "{path}?{query}");
        }
    }
}

#[tokio::test]
async fn island_props_never_carry_a_secret() {
    let t = app().await;
    let link = t.tessera.setup_link_if_empty().await.unwrap().unwrap();
    let setup_path = link.trim_start_matches(ORIGIN).to_string();
    let setup_token = setup_path.split("token=").nth(1).unwrap().to_string();
    let (secret, codes, cookie) = enrol_over_http(&t).await;
    let session_token = cookie.split('=').nth(1).unwrap().to_string();
    let invite = t
        .tessera
        .add_user("Acme", "bob@example.org", None, tessera_server::model::Role::Member, None)
        .await
        .unwrap()
        .set_password_link
        .unwrap();
    let invite_path = invite.trim_start_matches(ORIGIN).to_string();
    let invite_token = invite_path.split("token=").nth(1).unwrap().to_string();
    let mut secrets: Vec<String> =
        vec![secret.to_base32(), setup_token, invite_token, session_token, PASSWORD.to_string()];
    secrets.extend(codes.iter().cloned());
    // Every page, as the owner; the one-time links' pages; a pending enrolment's page.
    t.post(MFA_START, &[], Some(&cookie)).await;
    let mut pages: Vec<String> = ROUTES
        .iter()
        .filter(|r| r.method == "GET" && matches!(r.kind, Kind::Page))
        .map(|r| concrete(r.path, 2))
        .collect();
    pages.extend([setup_path, invite_path]);
    let mut islands = 0;
    for path in &pages {
        let html = t.get(path, Some(&cookie)).await.body;
        for island in html.split("<leptos-island").skip(1) {
            islands += 1;
            let tag = &island[..island.find('>').unwrap_or(island.len())];
            for s in &secrets {
                assert!(!tag.contains(s.as_str()), "{path}: an island's attributes carry a secret");
            }
            assert!(!tag.contains("data-props"), "{path}: islands take no props: {tag}");
        }
    }
    assert!(islands > 0, "the pages have islands");
}
