//! The HTTP surface in-process: the real router, the real store (SQLite in a temp dir), a fixed
//! clock. Cookies, status codes, timeouts, same-origin, enumeration resistance and the access table.

#![cfg(feature = "ssr")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::http::{router, Access, AppState, ROUTES};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use http::{header, Request, Response, StatusCode};
use http_body_util::BodyExt;
use tessera_server::clock::{FixedClock, Timestamp};
use tessera_server::config::Config;
use tessera_server::model::OrgKind;
use tessera_server::password::PasswordHasher;
use tessera_server::rate_limit::RateLimit;
use tessera_server::secret::SecretKey;
use tessera_server::Tessera;
use tower::ServiceExt;

const ORIGIN: &str = "http://127.0.0.1:3000";
const PASSWORD: &str = "plum tractor sings quietly tonight";

struct TestApp {
    router: Router,
    tessera: Arc<Tessera>,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

struct Options {
    base_url: &'static str,
    rate: RateLimit,
    hasher: (usize, usize),
}

impl Default for Options {
    fn default() -> Self {
        Options { base_url: ORIGIN, rate: RateLimit { burst: 1000, refill: Duration::from_millis(1) }, hasher: (2, 64) }
    }
}

async fn app_with(o: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(
        |k| match k {
            "TESSERA_BASE_URL" => Some(o.base_url.to_string()),
            "TESSERA_DATA_DIR" => Some(dir.path().display().to_string()),
            _ => None,
        },
        "127.0.0.1:3000",
    )
    .unwrap();
    config.signin_rate = o.rate;
    let store = tessera_server::store::connect(&config.database_url).await.unwrap();
    let clock = Arc::new(FixedClock::new(Timestamp(1_795_348_800_000)));
    let tessera = Arc::new(Tessera::new(
        store,
        clock.clone(),
        Arc::new(config),
        PasswordHasher::new(o.hasher.0, o.hasher.1),
        SecretKey::generate(),
    ));
    let leptos = leptos::config::LeptosOptions::builder().output_name("tessera").site_root("target/site").build();
    let router = router(AppState::new(tessera.clone(), leptos));
    TestApp { router, tessera, clock, _dir: dir }
}

async fn app() -> TestApp {
    app_with(Options::default()).await
}

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
    }

    /// `name=value` of a cookie this reply sets.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap().to_string())
    }
}

async fn into_reply(res: Response<Body>) -> Reply {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

impl TestApp {
    async fn send(&self, mut req: Request<Body>) -> Reply {
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 50_000))));
        into_reply(self.router.clone().oneshot(req).await.unwrap()).await
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, uri: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        let mut b = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, ORIGIN)
            .header("sec-fetch-site", "same-origin");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// A GET, or a POST of an empty form.
    async fn call(&self, method: &str, path: &str, cookie: Option<&str>) -> Reply {
        if method == "GET" {
            self.get(path, cookie).await
        } else {
            self.post(path, &[], cookie).await
        }
    }

    async fn create_org(&self) {
        self.tessera
            .create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD))
            .await
            .unwrap();
    }

    /// Both sign-in steps; returns the reply of the second.
    async fn sign_in(&self, email: &str, password: &str) -> Reply {
        let step1 = self.post("/login", &[("email", email)], None).await;
        assert_eq!(step1.status, StatusCode::SEE_OTHER, "{}", step1.body);
        assert_eq!(step1.location(), Some("/login/password"));
        let login_cookie = step1.cookie("tessera_login").expect("email remembered");
        self.post("/login/password", &[("password", password)], Some(&login_cookie)).await
    }

    async fn session_cookie(&self) -> String {
        let r = self.sign_in("ada@example.org", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        r.cookie("tessera_session").expect("session cookie")
    }
}

/// A route of the table with its `{id}` filled in.
fn concrete(path: &str, id: i64) -> String {
    path.replace("{id}", &id.to_string())
}

/// Pages differ per response only by their CSP nonce; take it out to compare two pages.
fn without_nonce(r: &Reply) -> String {
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    r.body.replace(nonce, "NONCE")
}

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
    let r = t.post("/setup", &bad, None).await;
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
    let r = t.post("/setup", &good, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/"));
    let cookie = r.cookie("tessera_session").unwrap();
    let home = t.get("/", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Welcome, Ada") && home.body.contains("Acme Health") && home.body.contains("Owner"));
    assert_eq!(home.headers[header::CACHE_CONTROL], "no-store");

    // The link is spent.
    assert_eq!(t.get(path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.post("/setup", &good, None).await.status, StatusCode::NOT_FOUND);

    // Sign out ends the session on the server.
    let out = t.post("/logout", &[], Some(&cookie)).await;
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
    let a = t.post("/login", &[("email", "ada@example.org")], None).await;
    let b = t.post("/login", &[("email", "zed@example.org")], None).await;
    assert_eq!((a.status, a.location()), (b.status, b.location()));
}

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
        let mut b = Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
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
    let ok = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from("email=ada%40example.org"))
        .unwrap();
    assert_eq!(t.send(ok).await.status, StatusCode::SEE_OTHER);
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
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, "https://id.example.org")
                .body(Body::from("email=ada%40example.org"))
                .unwrap(),
        )
        .await;
    let login = step1.cookie("__Host-tessera_login").expect("host-prefixed login cookie");
    let r = t
        .send(
            Request::post("/login/password")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
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
async fn every_route_enforces_its_session_state() {
    let t = app().await;
    t.create_org().await;
    for r in ROUTES {
        // A fresh session per route: POST /logout ends the one it is given.
        let full = t.session_cookie().await;
        let path = concrete(r.path, 1);
        let anonymous = t.call(r.method, &path, None).await;
        let signed_in = t.call(r.method, &path, Some(&full)).await;
        match r.access {
            Access::Public => {
                assert_ne!(anonymous.status, StatusCode::UNAUTHORIZED, "{} {} is public", r.method, r.path);
                assert!(anonymous.location() != Some("/login") || r.path.starts_with("/login") || r.path == "/logout");
            }
            Access::PasswordOk => {
                for reply in [&anonymous, &signed_in] {
                    let denied = reply.status == StatusCode::UNAUTHORIZED
                        || (reply.status == StatusCode::SEE_OTHER && reply.location() == Some("/login"));
                    assert!(denied, "{} {} is only for a pending challenge, got {}", r.method, r.path, reply.status);
                }
            }
            Access::Enrolment | Access::Full => {
                let denied = anonymous.status == StatusCode::UNAUTHORIZED
                    || (anonymous.status == StatusCode::SEE_OTHER && anonymous.location() == Some("/login"));
                assert!(denied, "{} {} must refuse an anonymous request, got {}", r.method, r.path, anonymous.status);
                // Served: whatever the handler answers (even a 4xx about the empty form), as long as
                // access control did not turn the session away.
                let served = signed_in.status != StatusCode::UNAUTHORIZED
                    && !matches!(signed_in.location(), Some("/login") | Some("/login/mfa"));
                assert!(served, "{} {} must serve a full session, got {}", r.method, r.path, signed_in.status);
            }
        }
    }
    // A forged or stale cookie is no session.
    let r = t.get("/", Some("tessera_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_endpoints_are_rate_limited_per_ip() {
    let t =
        app_with(Options { rate: RateLimit { burst: 3, refill: Duration::from_secs(10) }, ..Options::default() }).await;
    for _ in 0..3 {
        assert_eq!(t.post("/login", &[("email", "ada@example.org")], None).await.status, StatusCode::SEE_OTHER);
    }
    let r = t.post("/login", &[("email", "ada@example.org")], None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers[header::RETRY_AFTER], "10");
    t.clock.advance(Duration::from_secs(10));
    assert_eq!(t.post("/login", &[("email", "ada@example.org")], None).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_flood_of_sign_ins_gets_503_with_retry_after_not_a_queue() {
    let t = app_with(Options { hasher: (1, 0), ..Options::default() }).await;
    t.create_org().await;
    let login = t.post("/login", &[("email", "ada@example.org")], None).await.cookie("tessera_login").unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let router = t.router.clone();
        let login = login.clone();
        tasks.push(tokio::spawn(async move {
            let mut req = Request::post("/login/password")
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
            StatusCode::UNAUTHORIZED => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(busy > 0, "one hashing slot and no queue: parallel sign-ins must be turned away");
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx() {
    let t = app().await;
    let r = t.post("/login", &[("email", "not-an-email")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Enter an email address like name@example.com.") && r.body.contains("value=\"not-an-email\"")
    );
    assert!(r.body.contains("aria-invalid=\"true\""));
    let r = t.post("/login", &[], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A body over the limit.
    let big = "x".repeat(100 * 1024);
    let r = t.post("/login", &[("email", big.as_str())], None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // The password step without the first step goes back to it.
    let r = t.post("/login/password", &[("password", "x")], None).await;
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
async fn health_and_readiness() {
    let t = app().await;
    let r = t.get("/healthz", None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
    let r = t.get("/readyz", None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ready"));
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
    let r = t.post("/set-password", &[("token", token), ("password", "short")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at least 15"));
    let r = t.post("/set-password", &[("token", token), ("password", PASSWORD)], None).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/login?password-set")));
    assert_eq!(
        t.post("/set-password", &[("token", token), ("password", PASSWORD)], None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.sign_in("ada@example.org", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

// --- MFA ---------------------------------------------------------------------------------------------

fn code_now(t: &TestApp, secret: &tessera_server::totp::TotpSecret) -> String {
    use tessera_server::clock::Clock;
    tessera_server::totp::code_for_step(
        secret.expose_bytes(),
        tessera_server::totp::step_at(t.clock.now()),
        6,
        totp_rs::Algorithm::SHA1,
    )
    .unwrap()
}

/// The setup key shown on the enrolment page, read back from the HTML.
fn setup_key(html: &str) -> tessera_server::totp::TotpSecret {
    let start = html.find("id=\"setup-key\"").expect("setup key on the page");
    let text_start = html[start..].find('>').unwrap() + start + 1;
    let text_end = html[text_start..].find('<').unwrap() + text_start;
    tessera_server::totp::TotpSecret::from_base32(&html[text_start..text_end]).expect("base32 key")
}

/// Enrols ada through the pages; returns the secret, the recovery codes shown and the session.
async fn enrol_over_http(t: &TestApp) -> (tessera_server::totp::TotpSecret, Vec<String>, String) {
    t.create_org().await;
    let cookie = t.session_cookie().await;
    let page = t.get("/account/security", Some(&cookie)).await;
    assert!(page.body.contains("Enable MFA"));
    let r = t.post("/account/security/mfa/start", &[], Some(&cookie)).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/account/security/mfa")));
    let page = t.get("/account/security/mfa", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg") && page.body.contains("autocomplete=\"one-time-code\""));
    let secret = setup_key(&page.body);
    let wrong = t.post("/account/security/mfa/confirm", &[("code", "000000")], Some(&cookie)).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("MFA is still off"));
    let done = t.post("/account/security/mfa/confirm", &[("code", &code_now(t, &secret))], Some(&cookie)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let codes: Vec<String> =
        done.body.split("<li class=\"select-all\">").skip(1).map(|c| c[..c.find('<').unwrap()].to_string()).collect();
    assert_eq!(codes.len(), 10);
    assert!(
        done.body.contains("download=\"tessera-recovery-codes.txt\"") && done.body.contains("I have saved these codes")
    );
    t.clock.advance(Duration::from_secs(30));
    (secret, codes, cookie)
}

#[tokio::test]
async fn enrolment_then_sign_in_with_the_challenge() {
    let t = app().await;
    let (secret, codes, cookie) = enrol_over_http(&t).await;
    // The secret is never sent again.
    for path in ["/account/security", "/account/security/mfa", "/"] {
        let r = t.get(path, Some(&cookie)).await;
        assert!(!r.body.contains(&secret.to_base32()[..8]), "{path} leaks the key");
        assert!(!r.body.contains(&codes[0]), "{path} shows a recovery code again");
    }
    let status = t.get("/account/security", Some(&cookie)).await;
    assert!(status.body.contains("Recovery codes left") && status.body.contains(">10<"));

    // Password: a password_ok session that can do nothing but the challenge.
    let r = t.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/login/mfa")));
    let pending = r.cookie("tessera_session").unwrap();
    for path in ["/", "/account/security"] {
        let r = t.get(path, Some(&pending)).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/login/mfa")), "{path}");
    }
    let page = t.get("/login/mfa", Some(&pending)).await;
    assert!(page.body.contains("autocomplete=\"one-time-code\"") && page.body.contains("inputmode=\"numeric\""));
    let wrong = t.post("/login/mfa", &[("code", "000000")], Some(&pending)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("That code didn't work.") && wrong.body.contains("automatic date and time"));
    let code = code_now(&t, &secret);
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let ok = t.post("/login/mfa", &[("code", &spaced)], Some(&pending)).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, Some("/")));
    let full = ok.cookie("tessera_session").unwrap();
    assert_ne!(full, pending, "the token rotates");
    assert_eq!(t.get("/", Some(&full)).await.status, StatusCode::OK);
    assert_eq!(t.get("/login/mfa", Some(&pending)).await.status, StatusCode::SEE_OTHER, "old token is dead");

    // The same code again, from a new sign-in: refused like a wrong one.
    let pending = t.sign_in("ada@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
    let replay = t.post("/login/mfa", &[("code", &code)], Some(&pending)).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        without_nonce(&replay),
        without_nonce(&t.post("/login/mfa", &[("code", "111111")], Some(&pending)).await)
    );

    // A recovery code: accepted once, then the security page says how many are left.
    let page = t.get("/login/mfa?recovery", Some(&pending)).await;
    assert!(page.body.contains("Recovery code"));
    let ok = t.post("/login/mfa", &[("kind", "recovery"), ("code", &codes[2].to_lowercase())], Some(&pending)).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, Some("/account/security?recovery-used")));
    let full = ok.cookie("tessera_session").unwrap();
    let page = t.get("/account/security?recovery-used", Some(&full)).await;
    assert!(page.body.contains("You signed in with a recovery code") && page.body.contains(">9<"));
    assert!(!page.body.contains("recovery codes left. Generate a new set"));

    // Down to three codes: the page warns.
    let mut left = 9;
    for code in &codes[3..9] {
        let pending = t.sign_in("ada@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
        let ok = t.post("/login/mfa", &[("kind", "recovery"), ("code", code)], Some(&pending)).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        left -= 1;
        let full = ok.cookie("tessera_session").unwrap();
        let page = t.get("/account/security", Some(&full)).await;
        assert!(page.body.contains(&format!(">{left}<")));
        let warned = page.body.contains(&format!("Only {left} recovery codes left."));
        assert_eq!(warned, left <= 3, "{left} left");
    }
}

#[tokio::test]
async fn password_ok_sessions_can_only_answer_the_challenge() {
    let t = app().await;
    let (_secret, _codes, _) = enrol_over_http(&t).await;
    for r in ROUTES {
        let pending = t.sign_in("ada@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
        let reply = t.call(r.method, &concrete(r.path, 1), Some(&pending)).await;
        match r.access {
            Access::Enrolment | Access::Full => {
                let refused = reply.status == StatusCode::UNAUTHORIZED
                    || (reply.status == StatusCode::SEE_OTHER && reply.location() == Some("/login/mfa"));
                assert!(refused, "{} {} answered a password_ok session with {}", r.method, r.path, reply.status);
            }
            Access::PasswordOk => {
                assert_ne!(reply.location(), Some("/login"), "{} {}", r.method, r.path);
                assert!(reply.status != StatusCode::UNAUTHORIZED || reply.body.contains("That code didn't work."));
            }
            Access::Public => {}
        }
    }
    // And a full session cannot use the challenge.
    let anon = t.post("/login/mfa", &[("code", "123456")], None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sensitive_changes_ask_for_a_fresh_code_over_http() {
    let t = app().await;
    let (secret, codes, cookie) = enrol_over_http(&t).await;
    t.clock.advance(Duration::from_secs(6 * 60));
    for path in ["/account/security/recovery-codes", "/account/security/mfa/reset", "/account/security/mfa/disable"] {
        let r = t.post(path, &[], Some(&cookie)).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/account/security/verify")), "{path}");
    }
    let bad = t.post("/account/security/verify", &[("code", "000000")], Some(&cookie)).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let ok = t.post("/account/security/verify", &[("code", &codes[0])], Some(&cookie)).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, Some("/account/security?verified")));
    let regen = t.post("/account/security/recovery-codes", &[], Some(&cookie)).await;
    assert_eq!(regen.status, StatusCode::OK);
    assert!(
        regen.body.contains("The old ones no longer work.")
            && regen.body.contains(r#"name="then" value="regenerated""#)
    );
    let done =
        t.post("/account/security/mfa/finish", &[("saved", "yes"), ("then", "regenerated")], Some(&cookie)).await;
    assert_eq!(done.location(), Some("/account/security?regenerated"));
    assert!(t
        .get("/account/security?regenerated", Some(&cookie))
        .await
        .body
        .contains("Your new recovery codes are active."));
    // Disable with the same fresh step-up.
    let off = t.post("/account/security/mfa/disable", &[], Some(&cookie)).await;
    assert_eq!((off.status, off.location()), (StatusCode::SEE_OTHER, Some("/account/security?disabled")));
    assert!(t.get("/account/security", Some(&cookie)).await.body.contains("Enable MFA"));
    let r = t.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!(r.location(), Some("/"), "no challenge once MFA is off");
    let _ = secret;
}

// --- the organisation's MFA policy ---------------------------------------------------------------------

#[tokio::test]
async fn a_required_policy_confines_members_to_enrolment_until_done() {
    let t = app().await;
    t.create_org().await;
    let cookie = t.session_cookie().await;
    assert_eq!(t.get("/", Some(&cookie)).await.status, StatusCode::OK);

    // The operator requires MFA: the open session is confined at its next request.
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, None).await.unwrap();
    for path in ["/", "/account/security", "/settings/security", "/no-such-page-is-still-404"] {
        let r = t.get(path, Some(&cookie)).await;
        if path.starts_with("/no-such") {
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            continue;
        }
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, Some("/account/security/enrol-required")),
            "{path}"
        );
    }
    let page = t.get("/account/security/enrol-required", Some(&cookie)).await;
    assert!(page.body.contains("Your organisation requires two-step verification") && page.body.contains("Set up now"));
    for path in ["/account/security/recovery-codes", "/account/security/mfa/disable", "/settings/security"] {
        assert_eq!(t.post(path, &[], Some(&cookie)).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Signing out and in again lands in the same place.
    let again = t.session_cookie().await;
    assert_eq!(t.get("/", Some(&again)).await.location(), Some("/account/security/enrol-required"));

    // Enrolment stays open; once done, the product is.
    let r = t.post("/account/security/mfa/start", &[], Some(&again)).await;
    assert_eq!(r.location(), Some("/account/security/mfa"));
    let secret = setup_key(&t.get("/account/security/mfa", Some(&again)).await.body);
    let done = t.post("/account/security/mfa/confirm", &[("code", &code_now(&t, &secret))], Some(&again)).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(t.get("/", Some(&again)).await.status, StatusCode::OK);
    let security = t.get("/account/security", Some(&again)).await;
    assert!(security.body.contains("cannot be turned off") && !security.body.contains("Disable MFA"));
}

#[tokio::test]
async fn a_grace_period_reminds_before_it_confines() {
    let t = app().await;
    t.create_org().await;
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, Some(3)).await.unwrap();
    let cookie = t.session_cookie().await;
    let home = t.get("/", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Set it up within 3 days"), "{}", home.body);
    t.clock.advance(Duration::from_secs(2 * 86_400 + 1));
    let cookie = t.session_cookie().await;
    assert!(t.get("/", Some(&cookie)).await.body.contains("Set it up within 1 day;"));
    t.clock.advance(Duration::from_secs(86_400));
    let cookie = t.session_cookie().await;
    assert_eq!(t.get("/", Some(&cookie)).await.location(), Some("/account/security/enrol-required"));
}

#[tokio::test]
async fn owners_set_the_policy_with_a_fresh_second_factor() {
    let t = app().await;
    let (secret, _codes, cookie) = enrol_over_http(&t).await;
    t.tessera
        .add_user(
            "Acme",
            "bob@example.org",
            None,
            tessera_server::model::Role::Admin,
            Some("quiet amber lamps over rivers"),
        )
        .await
        .unwrap();
    // Not an owner: refused.
    let bob = t.sign_in("bob@example.org", "quiet amber lamps over rivers").await.cookie("tessera_session").unwrap();
    assert_eq!(t.get("/settings/security", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    let r = t.post("/settings/security", &[("policy", "hidden")], Some(&bob)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let last = &t.tessera.store.recent_audit(None, 1).await.unwrap()[0];
    assert_eq!((last.action.as_str(), last.outcome.as_str()), ("organisation.mfa_policy_changed", "failure"));

    // The owner, fresh from enrolment: saved, recorded, and bob is confined at once.
    let page = t.get("/settings/security", Some(&cookie)).await;
    assert!(page.body.contains("Required (recommended)"));
    let r = t.post("/settings/security", &[("policy", "required"), ("grace_days", "")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security?saved"), "{}", r.body);
    assert_eq!(t.get("/", Some(&bob)).await.location(), Some("/account/security/enrol-required"));
    // Bad input is explained.
    let r = t.post("/settings/security", &[("policy", "sometimes")], Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t.post("/settings/security", &[("policy", "required"), ("grace_days", "many")], Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Stale second factor: confirm first.
    t.clock.advance(Duration::from_secs(6 * 60));
    let r = t.post("/settings/security", &[("policy", "visible")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/account/security/verify"));
    let _ = secret;
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
    let r = t.post("/setup", &form, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.cookie("tessera_session").unwrap();
    assert_eq!(t.get("/", Some(&cookie)).await.location(), Some("/account/security/enrol-required"));
}

// --- the activity log ------------------------------------------------------------------------------------

#[tokio::test]
async fn the_activity_log_shows_filters_and_exports_one_organisation_only() {
    let t = app().await;
    t.create_org().await;
    t.tessera
        .create_organisation("Other", OrgKind::Standard, "zed@example.org", None, Some("quiet amber lamps over rivers"))
        .await
        .unwrap();
    t.tessera
        .add_user(
            "Acme",
            "bob@example.org",
            None,
            tessera_server::model::Role::Member,
            Some("quiet amber lamps over rivers"),
        )
        .await
        .unwrap();
    assert_eq!(t.sign_in("ada@example.org", "not the password at all").await.status, StatusCode::UNAUTHORIZED);
    let ada = t.session_cookie().await;

    let page = t.get("/settings/activity", Some(&ada)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Activity log") && page.body.contains("ada@example.org") && page.body.contains("Sign-in")
    );
    assert!(page.body.contains("bob@example.org"), "member added by an operator");
    assert!(!page.body.contains("zed@example.org"), "another organisation's events stay out");

    // Filter by action and actor.
    let only = t.get("/settings/activity?action=member.added", Some(&ada)).await;
    assert!(only.body.contains("py-2\">Member added</td>") && !only.body.contains("py-2\">Sign-in</td>"));
    let failures = t.get("/settings/activity?target=ada%40example.org&action=signin", Some(&ada)).await;
    assert!(failures.body.contains(">failure</td>") && failures.body.contains("wrong email or password"));
    let by_actor = t.get("/settings/activity?actor=ADA%40example.org&action=signin", Some(&ada)).await;
    assert!(by_actor.body.contains("ada@example.org"));
    let future = t.get("/settings/activity?from=2099-01-01", Some(&ada)).await;
    assert!(!future.body.contains("<td"), "nothing from the future");
    let bad = t.get("/settings/activity?from=yesterday", Some(&ada)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("YYYY-MM-DD"));
    assert_eq!(
        t.get("/settings/activity?action=drop+table", Some(&ada)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // CSV export of the same filter.
    let csv = t.get("/settings/activity.csv?action=signin", Some(&ada)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    assert!(csv.body.starts_with("time_utc,time_local,actor,target,action,outcome,ip,detail,reason,flags\r\n"));
    assert!(csv.body.contains(",signin,success,192.0.2.7,") && !csv.body.contains("member.added"));

    // Members may not read it; the other organisation's owner sees only theirs.
    let bob = t.sign_in("bob@example.org", "quiet amber lamps over rivers").await.cookie("tessera_session").unwrap();
    assert_eq!(t.get("/settings/activity", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/settings/activity.csv", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    let zed = t.sign_in("zed@example.org", "quiet amber lamps over rivers").await.cookie("tessera_session").unwrap();
    let theirs = t.get("/settings/activity.csv", Some(&zed)).await;
    assert!(theirs.body.contains("zed@example.org") && !theirs.body.contains("ada@example.org"));
}

// --- team, roles and permissions ------------------------------------------------------------------

const OTHER_PASSWORD: &str = "quiet amber lamps over rivers";

/// Enrols the account behind `cookie` through the pages; returns its secret.
async fn enrol_with(t: &TestApp, cookie: &str) -> tessera_server::totp::TotpSecret {
    let r = t.post("/account/security/mfa/start", &[], Some(cookie)).await;
    assert_eq!(r.location(), Some("/account/security/mfa"), "{}", r.body);
    let secret = setup_key(&t.get("/account/security/mfa", Some(cookie)).await.body);
    let done = t.post("/account/security/mfa/confirm", &[("code", &code_now(t, &secret))], Some(cookie)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    t.clock.advance(Duration::from_secs(30));
    secret
}

/// Acme (ada owner, adam admin, hal help desk, bob member) and Other (zed owner). Returns the
/// user ids of ada, adam, hal, bob and zed.
async fn two_organisations(t: &TestApp) -> [i64; 5] {
    use tessera_server::model::Role;
    t.create_org().await;
    for (email, role) in
        [("adam@example.org", Role::Admin), ("hal@example.org", Role::HelpDesk), ("bob@example.org", Role::Member)]
    {
        t.tessera.add_user("Acme", email, None, role, Some(OTHER_PASSWORD)).await.unwrap();
    }
    t.tessera
        .create_organisation("Other", OrgKind::Standard, "zed@example.org", None, Some(OTHER_PASSWORD))
        .await
        .unwrap();
    let mut ids = [0; 5];
    for (i, email) in ["ada@example.org", "adam@example.org", "hal@example.org", "bob@example.org", "zed@example.org"]
        .iter()
        .enumerate()
    {
        ids[i] = t.tessera.store.credentials_by_email(email).await.unwrap().unwrap().user_id;
    }
    ids
}

async fn cookie_of(t: &TestApp, email: &str) -> String {
    let password = if email == "ada@example.org" { PASSWORD } else { OTHER_PASSWORD };
    let r = t.sign_in(email, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{email}: {}", r.body);
    r.cookie("tessera_session").unwrap()
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
                "/settings/team/{id}",
                "/settings/roles",
                "/settings/security",
                "/settings/activity",
                "/settings/activity.csv",
            ],
        ),
        (
            "adam@example.org",
            &[
                "/settings/team",
                "/settings/team/invite",
                "/settings/team/{id}",
                "/settings/activity",
                "/settings/activity.csv",
            ],
        ),
        ("hal@example.org", &["/settings/team", "/settings/team/{id}"]),
        ("bob@example.org", &[]),
        // Another organisation's owner: their own team, but never Acme's member.
        (
            "zed@example.org",
            &[
                "/settings/team",
                "/settings/team/invite",
                "/settings/roles",
                "/settings/security",
                "/settings/activity",
                "/settings/activity.csv",
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
    assert_eq!(
        t.post(&format!("/settings/team/{ada}/reset-mfa"), &[], Some(&hal_cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post(&format!("/settings/team/{hal}/reset-mfa"), &[], Some(&hal_cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    // Ids that are not numbers are a clear 400, not a 500.
    assert_eq!(t.get("/settings/team/bob", Some(&hal_cookie)).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_confined_session_reaches_only_enrolment() {
    let t = app().await;
    let [_ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, None).await.unwrap();
    for r in ROUTES {
        let cookie = cookie_of(&t, "adam@example.org").await;
        let reply = t.call(r.method, &concrete(r.path, bob), Some(&cookie)).await;
        match (r.access, r.method) {
            (Access::Full, "GET") => {
                assert_eq!(reply.location(), Some("/account/security/enrol-required"), "GET {}", r.path)
            }
            (Access::Full, _) => assert_eq!(reply.status, StatusCode::FORBIDDEN, "POST {}", r.path),
            (Access::Enrolment, _) => {
                assert!(
                    reply.status != StatusCode::FORBIDDEN && reply.status != StatusCode::UNAUTHORIZED,
                    "{} {}",
                    r.method,
                    r.path
                )
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_help_desk_admin_resets_mfa_through_the_pages() {
    let t = app().await;
    let [ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
    let bob_cookie = cookie_of(&t, "bob@example.org").await;
    enrol_with(&t, &bob_cookie).await;
    let hal_cookie = cookie_of(&t, "hal@example.org").await;
    let hal_secret = enrol_with(&t, &hal_cookie).await;
    let ada_cookie = cookie_of(&t, "ada@example.org").await;
    enrol_with(&t, &ada_cookie).await;
    t.clock.advance(Duration::from_secs(6 * 60));

    // The list shows MFA status to the help desk, and filters by it.
    let list = t.get("/settings/team?mfa=enabled", Some(&hal_cookie)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("bob@example.org") && !list.body.contains("adam@example.org"), "{}", list.body);
    assert!(list.body.contains(">Enabled</td>"));
    let search = t.get("/settings/team?q=ADAM", Some(&hal_cookie)).await;
    assert!(search.body.contains("adam@example.org") && search.body.contains("1 member<"));
    assert_eq!(t.get("/settings/team?mfa=sometimes", Some(&hal_cookie)).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The member page offers the reset; the owner's does not.
    let page = t.get(&format!("/settings/team/{bob}"), Some(&hal_cookie)).await;
    assert!(page.body.contains("Security Settings") && page.body.contains(&format!("/settings/team/{bob}/reset-mfa")));
    let owner = t.get(&format!("/settings/team/{ada}"), Some(&hal_cookie)).await;
    assert!(!owner.body.contains("/reset-mfa") && owner.body.contains("Only an owner can reset"));
    assert!(!owner.body.contains("Change role"), "the help desk does not manage members");

    // The confirmation names the member; a stale session needs a code and keeps the reason.
    let confirm = t.get(&format!("/settings/team/{bob}/reset-mfa"), Some(&hal_cookie)).await;
    assert!(confirm.body.contains("Reset MFA for bob?") && confirm.body.contains("Yes, reset MFA"));
    assert!(confirm.body.contains("role=\"alertdialog\"") && confirm.body.contains("autocomplete=\"one-time-code\""));
    let path = format!("/settings/team/{bob}/reset-mfa");
    let r = t.post(&path, &[("reason", "Ticket 7: lost phone")], Some(&hal_cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"Ticket 7: lost phone\"") && r.body.contains("confirm it is you"));
    let r = t.post(&path, &[("reason", "Ticket 7: lost phone"), ("code", "000000")], Some(&hal_cookie)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let code = code_now(&t, &hal_secret);
    let r = t.post(&path, &[("reason", "Ticket 7: lost phone"), ("code", &code)], Some(&hal_cookie)).await;
    assert_eq!(r.location(), Some(format!("/settings/team/{bob}?reset").as_str()), "{}", r.body);
    let after = t.get(&format!("/settings/team/{bob}?reset"), Some(&hal_cookie)).await;
    assert!(after.body.contains("MFA was reset") && after.body.contains(">Not enabled</strong>"));

    // Bob's open session is over; the log has the reset with its reason.
    assert_eq!(t.get("/", Some(&bob_cookie)).await.location(), Some("/login"));
    let log = t.get("/settings/activity?action=mfa.reset_by_admin", Some(&ada_cookie)).await;
    assert!(log.body.contains("Ticket 7: lost phone") && log.body.contains("hal@example.org"), "{}", log.body);
}

#[tokio::test]
async fn owners_invite_members_and_define_roles_through_the_pages() {
    let t = app().await;
    let (secret, _codes, ada) = enrol_over_http(&t).await;
    let _ = secret;
    t.tessera
        .add_user("Acme", "bob@example.org", None, tessera_server::model::Role::Member, Some(OTHER_PASSWORD))
        .await
        .unwrap();
    let roles = t.tessera.store.roles(1).await.unwrap();
    let member = roles.iter().find(|r| r.name == "Member").unwrap().id.to_string();
    let admin = roles.iter().find(|r| r.name == "Administrator").unwrap().id.to_string();

    // Fresh from enrolment: an invitation goes out with no code asked.
    let page = t.get("/settings/team/invite", Some(&ada)).await;
    assert!(page.body.contains("Administrator (administrative)"));
    let r = t.post("/settings/team/invite", &[("email", "cy@example.org"), ("role", &member)], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/team?invited"), "{}", r.body);
    let r = t.post("/settings/team/invite", &[("email", "nope"), ("role", &member), ("name", "Dee")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"Dee\""), "what was typed stays");
    // Stale: an administrator needs a code.
    t.clock.advance(Duration::from_secs(6 * 60));
    let r = t.post("/settings/team/invite", &[("email", "dee@example.org"), ("role", &admin)], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("needs your code") && r.body.contains("value=\"dee@example.org\""));

    // Roles: the page lists the built-in ones; creating one needs a fresh factor first.
    let page = t.get("/settings/roles", Some(&ada)).await;
    assert!(page.body.contains("Help desk") && page.body.contains("Manage Multi-Factor Authentication"));
    let form = [
        ("name", "Auditors"),
        ("permissions", "view-activity-log"),
        ("permissions", "manage-mfa"),
        ("requires_mfa", "true"),
    ];
    let r = t.post("/settings/roles", &form, Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .post("/account/security/verify", &[("code", &code_now(&t, &secret)), ("next", "/settings/roles")], Some(&ada))
        .await;
    assert_eq!(r.location(), Some("/settings/roles"));
    let r = t.post("/settings/roles", &form, Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/roles?created"), "{}", r.body);
    let created = t.tessera.store.roles(1).await.unwrap().into_iter().find(|r| r.name == "Auditors").unwrap();
    assert!(created.requires_mfa);
    assert_eq!(created.permissions().to_ids(), "manage-mfa,view-activity-log");
    let r = t.post("/settings/roles", &[("name", "Bad"), ("permissions", "root")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Business hours: saved, shown back, and nonsense refused.
    let r =
        t.post("/settings/security/hours", &[("start", "09:00"), ("end", "17:30"), ("offset", "60")], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/security?hours"), "{}", r.body);
    let page = t.get("/settings/security?hours", Some(&ada)).await;
    assert!(
        page.body.contains("value=\"17:30\"") && page.body.contains("<option value=\"60\" selected>UTC+01:00</option>"),
        "{}",
        page.body
    );
    let r =
        t.post("/settings/security/hours", &[("start", "18:00"), ("end", "09:00"), ("offset", "0")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let log = t.get("/settings/activity", Some(&ada)).await;
    assert!(log.body.contains("Local time (UTC+01:00)"));
    // Step-up cannot be sent anywhere else.
    let r =
        t.post("/account/security/verify", &[("code", "123456"), ("next", "https://evil.example")], Some(&ada)).await;
    assert!(r.body.contains("value=\"/account/security?verified\""), "{}", r.status);
}

#[tokio::test]
async fn resetting_someone_elses_mfa_needs_your_own() {
    let t = app().await;
    let [_ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
    let bob_cookie = cookie_of(&t, "bob@example.org").await;
    enrol_with(&t, &bob_cookie).await;
    let adam = cookie_of(&t, "adam@example.org").await;
    let page = t.get(&format!("/settings/team/{bob}"), Some(&adam)).await;
    assert!(page.body.contains("turn on two-step verification for your account"), "{}", page.body);
    assert!(!page.body.contains("/reset-mfa\""));
    let confirm = t.get(&format!("/settings/team/{bob}/reset-mfa"), Some(&adam)).await;
    assert_eq!(confirm.location(), Some(format!("/settings/team/{bob}").as_str()));
    let r = t.post(&format!("/settings/team/{bob}/reset-mfa"), &[("reason", "x")], Some(&adam)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Set up two-step verification for your own account first"));
    assert!(t.tessera.store.totp_credential(bob).await.unwrap().is_some());
}
