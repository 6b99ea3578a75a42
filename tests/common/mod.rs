//! The harness of the HTTP tests: the real router in-process, the real store (SQLite in a temp
//! dir), a fixed clock; requests as a browser sends them with and without the WASM; and the
//! accounts and steps several areas' tests share.

// Each test binary uses its own part of the harness.
#![allow(dead_code, unused_imports)]

pub use std::net::SocketAddr;
pub use std::sync::Arc;
pub use std::time::Duration;

pub use app::http::{router, Access, AppState, Kind, RouteSpec, ROUTES};
pub use axum::body::Body;
pub use axum::extract::ConnectInfo;
pub use axum::Router;
pub use http::{header, Request, Response, StatusCode};
pub use http_body_util::BodyExt;
pub use tessera_server::clock::{FixedClock, Timestamp};
pub use tessera_server::config::Config;
pub use tessera_server::model::OrgKind;
pub use tessera_server::password::PasswordHasher;
pub use tessera_server::rate_limit::RateLimit;
pub use tessera_server::secret::SecretKey;
pub use tessera_server::Tessera;
pub use tower::ServiceExt;

/// The test sign-in provider, shared with the server's tests.
#[path = "../../server/tests/common/idp.rs"]
pub mod idp;

pub const ORIGIN: &str = "http://127.0.0.1:3000";

/// What Chromium sends with a form submission.
pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

// The server functions the tests call by path, as a form's `action` names them.
pub const LOGIN_EMAIL: &str = "/api/login/email";
pub const LOGIN_PASSWORD: &str = "/api/login/password";
pub const LOGIN_MFA: &str = "/api/login/mfa";
pub const LOGOUT: &str = "/api/logout";
pub const SETUP: &str = "/api/setup";
pub const SET_PASSWORD: &str = "/api/set-password";
pub const MFA_START: &str = "/api/mfa/start";
pub const MFA_CONFIRM: &str = "/api/mfa/confirm";
pub const STEP_UP: &str = "/api/mfa/verify";
pub const SEND_EMAIL_CODE: &str = "/api/mfa/email-code";
pub const SEND_SIGN_IN_CODE: &str = "/api/login/email-code";
pub const SET_EMAIL_CODES: &str = "/api/policy/email-codes";
pub const REGENERATE_CODES: &str = "/api/mfa/recovery-codes";
pub const DISABLE_MFA: &str = "/api/mfa/disable";
pub const SET_POLICY: &str = "/api/policy/mfa";
pub const SET_HOURS: &str = "/api/policy/hours";
pub const INVITE: &str = "/api/team/invite";
pub const INVITE_LIST: &str = "/api/team/invite-list";
pub const RESEND_ALL_INVITATIONS: &str = "/api/team/invitations/resend-all";
pub const CHANGE_ROLE: &str = "/api/team/role";
pub const SET_DISABLED: &str = "/api/team/disable";
pub const RESET_MFA: &str = "/api/team/reset-mfa";
pub const CREATE_ROLE: &str = "/api/roles/create";
pub const ROLE_MFA: &str = "/api/roles/mfa";
pub const RESEND_INVITATION: &str = "/api/team/invitation/resend";
pub const REVOKE_INVITATION: &str = "/api/team/invitation/revoke";
pub const FORGOT_PASSWORD: &str = "/api/password/forgot";
pub const RESET_PASSWORD: &str = "/api/password/reset";
pub const CHANGE_EMAIL: &str = "/api/account/email";
pub const CONFIRM_EMAIL: &str = "/api/account/email/confirm";

pub const PASSWORD: &str = "plum tractor sings quietly tonight";

pub struct TestApp {
    pub router: Router,
    pub tessera: Arc<Tessera>,
    pub clock: Arc<FixedClock>,
    pub _dir: tempfile::TempDir,
}

pub struct Options {
    pub base_url: &'static str,
    pub rate: RateLimit,
    pub reset_rate: RateLimit,
    pub hasher: (usize, usize),
    /// `TESSERA_TRUSTED_PROXIES` (the tests' requests come from 192.0.2.7).
    pub trusted_proxies: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        // The test clock stands still, so nothing refills: room for every request of a test.
        let lax = RateLimit { burst: 100_000, refill: Duration::from_millis(1) };
        Options { base_url: ORIGIN, rate: lax, reset_rate: lax, hasher: (2, 64), trusted_proxies: "" }
    }
}

pub async fn app_with(o: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(
        |k| match k {
            "TESSERA_BASE_URL" => Some(o.base_url.to_string()),
            "TESSERA_DATA_DIR" => Some(dir.path().display().to_string()),
            "TESSERA_TRUSTED_PROXIES" => Some(o.trusted_proxies.to_string()),
            _ => None,
        },
        "127.0.0.1:3000",
    )
    .unwrap();
    config.signin_rate = o.rate;
    config.reset_rate = o.reset_rate;
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

pub async fn app() -> TestApp {
    app_with(Options::default()).await
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
    }

    /// `name=value` of a cookie this reply sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap().to_string())
    }
}

pub async fn into_reply(res: Response<Body>) -> Reply {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

impl TestApp {
    pub async fn send(&self, mut req: Request<Body>) -> Reply {
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 50_000))));
        into_reply(self.router.clone().oneshot(req).await.unwrap()).await
    }

    pub async fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// A form as a browser without the WASM submits it: it asks for HTML.
    pub async fn post(&self, uri: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        self.submit(uri, form, cookie, BROWSER_ACCEPT).await
    }

    /// The same form as an island sends it: the same body, asking for the function's answer.
    pub async fn island(&self, uri: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        self.submit(uri, form, cookie, "text/plain").await
    }

    async fn submit(&self, uri: &str, form: &[(&str, &str)], cookie: Option<&str>, accept: &str) -> Reply {
        let mut b = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, accept)
            .header(header::ORIGIN, ORIGIN)
            .header("sec-fetch-site", "same-origin");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// A GET, or a POST of an empty form.
    pub async fn call(&self, method: &str, path: &str, cookie: Option<&str>) -> Reply {
        if method == "GET" {
            self.get(path, cookie).await
        } else {
            self.post(path, &[], cookie).await
        }
    }

    pub async fn create_org(&self) {
        self.tessera
            .create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD))
            .await
            .unwrap();
    }

    /// Both sign-in steps; returns the reply of the second.
    pub async fn sign_in(&self, email: &str, password: &str) -> Reply {
        let step1 = self.post(LOGIN_EMAIL, &[("email", email)], None).await;
        assert_eq!(step1.status, StatusCode::SEE_OTHER, "{}", step1.body);
        assert_eq!(step1.location(), Some("/login/password"));
        let login_cookie = step1.cookie("tessera_login").expect("email remembered");
        // Opaque: no cookie carries what the person typed, plain or encoded.
        let encoded = serde_urlencoded::to_string([("e", email.trim())]).unwrap();
        assert!(
            !login_cookie.contains(email.trim())
                && !login_cookie.contains(&encoded[2..])
                && !login_cookie.contains('@'),
            "{login_cookie}"
        );
        self.post(LOGIN_PASSWORD, &[("password", password)], Some(&login_cookie)).await
    }

    /// The messages in the outbox, oldest first (quoted-printable soft breaks undone).
    pub fn outbox(&self) -> Vec<String> {
        outbox_in(&self._dir.path().join("outbox"))
    }

    /// The set-password token of the newest mail in the outbox.
    pub fn last_link_token(&self) -> String {
        token_after(&self.outbox().pop().expect("a mail"), "/set-password?token=")
    }

    /// Waits for the outbox to hold `n` messages (some mail is sent after the answer) and returns them.
    pub async fn outbox_of(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let mail = self.outbox();
            if mail.len() >= n {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("expected {n} mails, the outbox has {}", self.outbox().len());
    }

    /// The code of the newest "Your one-time code" mail in the outbox.
    pub fn emailed_code(&self) -> String {
        newest_code(self.outbox())
    }

    pub async fn session_cookie(&self) -> String {
        let r = self.sign_in("ada@example.org", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        r.cookie("tessera_session").expect("session cookie")
    }
}

/// The token of the first link in `mail` that starts with `link` (`"/reset-password?token="`).
/// The messages in an outbox directory, oldest first (quoted-printable soft breaks undone).
pub fn outbox_in(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => return Vec::new(),
    };
    files.sort();
    files.into_iter().map(|f| std::fs::read_to_string(f).unwrap().replace("=\r\n", "").replace("=3D", "=")).collect()
}

/// The code of the newest "Your one-time code" mail among `mails` (from its body: the subject
/// never carries it).
pub fn newest_code(mails: Vec<String>) -> String {
    let mail =
        mails.into_iter().rev().find(|m| m.contains("Subject: Tessera: Your one-time code")).expect("a code mail");
    let at = mail.find("Your Tessera code is: ").expect("the code") + "Your Tessera code is: ".len();
    mail[at..at + 6].to_string()
}

pub fn token_after(mail: &str, link: &str) -> String {
    let at = mail.find(link).unwrap_or_else(|| panic!("no {link} link in:\n{mail}")) + link.len();
    mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// A route of the table with its `{id}` filled in.
pub fn concrete(path: &str, id: i64) -> String {
    path.replace("{id}", &id.to_string()).replace("{kind}", "password-reset").replace("{provider}", "1")
}

/// Pages differ per response only by their CSP nonce; take it out to compare two pages.
pub fn without_nonce(r: &Reply) -> String {
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    r.body.replace(nonce, "NONCE")
}

// --- MFA ---------------------------------------------------------------------------------------------

pub fn code_now(t: &TestApp, secret: &tessera_server::totp::TotpSecret) -> String {
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
pub fn setup_key(html: &str) -> tessera_server::totp::TotpSecret {
    let start = html.find("id=\"setup-key\"").expect("setup key on the page");
    let text_start = html[start..].find('>').unwrap() + start + 1;
    let text_end = html[text_start..].find("</code>").unwrap() + text_start;
    // Its groups are spans of their own (they never break in the middle): the text between tags.
    let text: String = html[text_start..text_end].split('<').map(|p| p.split_once('>').map_or(p, |(_, t)| t)).collect();
    tessera_server::totp::TotpSecret::from_base32(&text).expect("base32 key")
}

/// The recovery codes a page shows, in order.
pub fn recovery_codes(html: &str) -> Vec<String> {
    html.split("<li class=\"select-all\">").skip(1).map(|c| c[..c.find('<').unwrap()].to_string()).collect()
}

/// Confirms the enrolment of the account behind `cookie` with the current code, then reads the
/// recovery codes on the page the confirmation leads to (shown once).
pub async fn confirm_and_read_codes(
    t: &TestApp,
    cookie: &str,
    secret: &tessera_server::totp::TotpSecret,
) -> Vec<String> {
    let done = t.post(MFA_CONFIRM, &[("code", &code_now(t, secret))], Some(cookie)).await;
    assert_eq!(
        (done.status, done.location()),
        (StatusCode::SEE_OTHER, Some("/account/security/recovery-codes")),
        "{}",
        done.body
    );
    let page = t.get("/account/security/recovery-codes", Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let codes = recovery_codes(&page.body);
    assert_eq!(codes.len(), 10);
    assert!(
        page.body.contains("download=\"tessera-recovery-codes-")
            && page.body.contains("Tessera%20recovery%20codes%20for%20")
            && page.body.contains("I have saved these codes")
    );
    // Shown once: a reload finds them gone.
    let again = t.get("/account/security/recovery-codes", Some(cookie)).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(recovery_codes(&again.body).is_empty());
    codes
}

/// Enrols ada through the pages; returns the secret, the recovery codes shown and the session.
pub async fn enrol_over_http(t: &TestApp) -> (tessera_server::totp::TotpSecret, Vec<String>, String) {
    t.create_org().await;
    let cookie = t.session_cookie().await;
    let page = t.get("/account/security", Some(&cookie)).await;
    assert!(page.body.contains("Enable MFA"));
    let r = t.post(MFA_START, &[], Some(&cookie)).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/account/security/mfa")));
    let page = t.get("/account/security/mfa", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg") && page.body.contains("autocomplete=\"one-time-code\""));
    // The page says how the entry will be named in the app: the organisation, and the account.
    assert!(page.body.contains(">Acme</strong>") && page.body.contains("Your app will list it as"), "{}", page.body);
    let secret = setup_key(&page.body);
    let wrong = t.post(MFA_CONFIRM, &[("code", "000000")], Some(&cookie)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("MFA is still off") && wrong.body.contains("That code didn't work."), "{}", wrong.body);
    let codes = confirm_and_read_codes(t, &cookie, &secret).await;
    t.clock.advance(Duration::from_secs(30));
    (secret, codes, cookie)
}

// --- team, roles and permissions ------------------------------------------------------------------

pub const OTHER_PASSWORD: &str = "quiet amber lamps over rivers";

/// Enrols the account behind `cookie` through the pages; returns its secret.
pub async fn enrol_with(t: &TestApp, cookie: &str) -> tessera_server::totp::TotpSecret {
    let r = t.post(MFA_START, &[], Some(cookie)).await;
    assert_eq!(r.location(), Some("/account/security/mfa"), "{}", r.body);
    let page = t.get("/account/security/mfa", Some(cookie)).await.body;
    let secret = setup_key(&page);
    // On a phone, the same key as a link that opens the authenticator app.
    assert!(page.contains("id=\"open-in-app\" href=\"otpauth://totp/"), "{page}");
    confirm_and_read_codes(t, cookie, &secret).await;
    t.clock.advance(Duration::from_secs(30));
    secret
}

/// Acme (ada owner, adam admin, hal help desk, bob member) and Other (zed owner). Returns the
/// user ids of ada, adam, hal, bob and zed.
pub async fn two_organisations(t: &TestApp) -> [i64; 5] {
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

pub async fn cookie_of(t: &TestApp, email: &str) -> String {
    let password = if email == "ada@example.org" { PASSWORD } else { OTHER_PASSWORD };
    let r = t.sign_in(email, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{email}: {}", r.body);
    r.cookie("tessera_session").unwrap()
}
