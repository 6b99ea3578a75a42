//! Three instances of the real binary on one PostgreSQL database, behind a real HAProxy that
//! health-checks `/readyz`: every rule holds across instances as on one. Requests go to a
//! chosen instance where the point is "accepted by one, refused by another" (an authenticator's
//! code, a recovery code, an emailed code, a temporary access code, a reset link, an
//! application's authorisation code and refresh token, the state and nonce of a sign-in with a
//! provider; the codes and links also sent to all three at once), and through the load balancer where the point is the balancer's (spreading,
//! draining an instance).
//!
//! Needs PostgreSQL (`TESSERA_TEST_POSTGRES_URL`, as `make test` provides) and `haproxy` on the
//! PATH (`make tools-test` installs it); without PostgreSQL it says so and passes, like the
//! other PostgreSQL tests.

#![cfg(feature = "ssr")]

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use tessera_server::audit::RequestMeta;
use tessera_server::clock::{Clock, SystemClock};
use tessera_server::model::OrgKind;
use tessera_server::password::PasswordHasher;
use tessera_server::secret::SecretKey;
use tessera_server::sign_in::SignInStep;
use tessera_server::Tessera;

const PASSWORD: &str = "plum tractor sings quietly tonight";
const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Instance {
    child: Child,
    port: u16,
    /// Its data directory: mail goes to `outbox/` there.
    data: tempfile::TempDir,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Cluster {
    instances: Vec<Instance>,
    lb: Child,
    lb_port: u16,
    url: String,
    key_hex: String,
    http: reqwest::Client,
    /// The balancer's configuration and the operator's data directory.
    dir: std::path::PathBuf,
    /// How many client addresses the test has used.
    clients: std::sync::atomic::AtomicU32,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.lb.kill();
        let _ = self.lb.wait();
    }
}

fn instance_command(url: &str, key_hex: &str, port: u16, lb_port: u16, data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tessera"));
    c.env("TESSERA_ADDR", format!("127.0.0.1:{port}"))
        .env("TESSERA_DATABASE_URL", url)
        .env("TESSERA_SECRET_KEY", key_hex)
        .env("TESSERA_DATA_DIR", data)
        .env("TESSERA_BASE_URL", format!("http://127.0.0.1:{lb_port}"))
        .env("TESSERA_TRUSTED_PROXIES", "127.0.0.1")
        .env("TESSERA_DRAIN_SECONDS", "1")
        // Five sign-in requests per address, then one every 12 seconds: the tests give each
        // request an address of its own (X-Forwarded-For, believed from 127.0.0.1) unless the
        // point is the limit.
        .env("TESSERA_SIGNIN_PER_MINUTE", "5")
        .env("TESSERA_SIGNIN_BURST", "5")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

async fn wait_ready(http: &reqwest::Client, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "instance on {port} never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn haproxy(lb_port: u16, ports: &[u16], dir: &Path) -> Child {
    let servers: String =
        ports.iter().enumerate().map(|(i, p)| format!("  server t{i} 127.0.0.1:{p} check\n")).collect();
    let config = format!(
        "global\n  maxconn 512\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n\
         \x20 option forwardfor\n  option redispatch\n  retries 3\n\
         frontend web\n  bind 127.0.0.1:{lb_port}\n  default_backend tessera\n\
         backend tessera\n  balance roundrobin\n  option httpchk GET /readyz\n\
         \x20 default-server inter 100ms fall 1 rise 2\n{servers}"
    );
    let file = dir.join("haproxy.cfg");
    std::fs::write(&file, config).unwrap();
    Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy on the PATH (make tools-test installs it)")
}

impl Cluster {
    /// Three instances started at once on an empty database, and the load balancer.
    async fn start(url: String, dir: &Path) -> Cluster {
        let dir = dir.to_path_buf();
        let key_hex = hex_key();
        let lb_port = free_port();
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let instances: Vec<Instance> = (0..3)
            .map(|_| {
                let port = free_port();
                let data = tempfile::tempdir().unwrap();
                let child = instance_command(&url, &key_hex, port, lb_port, data.path()).spawn().unwrap();
                Instance { child, port, data }
            })
            .collect();
        for i in &instances {
            wait_ready(&http, i.port).await;
        }
        let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
        let lb = haproxy(lb_port, &ports, &dir);
        wait_ready(&http, lb_port).await;
        Cluster { instances, lb, lb_port, url, key_hex, http, dir, clients: Default::default() }
    }

    fn base(&self, at: Target) -> String {
        match at {
            Target::Instance(i) => format!("http://127.0.0.1:{}", self.instances[i].port),
            Target::Balancer => format!("http://127.0.0.1:{}", self.lb_port),
        }
    }

    /// A client address no other request of the test used.
    fn someone(&self) -> String {
        let n = self.clients.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!("198.51.{}.{}", n / 250, n % 250 + 1)
    }

    async fn post(&self, at: Target, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Answer {
        self.post_from(&self.someone(), at, path, form, cookie).await
    }

    async fn post_from(
        &self,
        client: &str,
        at: Target,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Answer {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base(at)))
            .header("x-forwarded-for", client)
            .header("origin", format!("http://127.0.0.1:{}", self.lb_port))
            .header("accept", HTML)
            .form(form);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        Answer::of(req.send().await.unwrap()).await
    }

    async fn get(&self, at: Target, path: &str, cookie: Option<&str>) -> Answer {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base(at)))
            .header("x-forwarded-for", self.someone())
            .header("accept", HTML);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        Answer::of(req.send().await.unwrap()).await
    }

    /// The email step at `first`, the password step at `second`.
    async fn sign_in(&self, first: Target, second: Target, email: &str, password: &str) -> Answer {
        let step = self.post(first, "/api/login/email", &[("email", email)], None).await;
        assert_eq!(step.status, 303, "{}", step.body);
        let login = step.cookie("tessera_login").expect("the email step's cookie");
        self.post(second, "/api/login/password", &[("password", password)], Some(&login)).await
    }

    /// The code in the newest code mail instance `i` sent.
    fn mailed_code(&self, i: usize) -> String {
        common::newest_code(common::outbox_in(&self.instances[i].data.path().join("outbox")))
    }

    /// A request of an application's server to the token endpoint of instance `i`.
    async fn token(&self, i: usize, app: &(String, String), form: &[(&str, String)]) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(format!("{}/oauth2/token", self.base(At(i))))
            .basic_auth(&app.0, Some(&app.1))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or(serde_json::Value::Null))
    }

    /// The library on the same database and key, as an operator's command would be.
    async fn operator(&self) -> Arc<Tessera> {
        let store = tessera_server::store::connect(&self.url).await.unwrap();
        let data = self.dir.join("operator");
        let config = tessera_server::config::Config::from_lookup(
            |k| (k == "TESSERA_DATA_DIR").then(|| data.display().to_string()),
            "127.0.0.1:3000",
        )
        .unwrap();
        Arc::new(Tessera::new(
            store,
            Arc::new(SystemClock),
            Arc::new(config),
            PasswordHasher::new(1, 16),
            SecretKey::from_hex(&self.key_hex).unwrap(),
        ))
    }
}

#[derive(Clone, Copy, Debug)]
enum Target {
    Instance(usize),
    Balancer,
}
use Target::{Balancer, Instance as At};

struct Answer {
    status: u16,
    location: String,
    cookies: Vec<String>,
    body: String,
}

impl Answer {
    async fn of(r: reqwest::Response) -> Answer {
        let status = r.status().as_u16();
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let cookies = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .collect();
        Answer { status, location, cookies, body: r.text().await.unwrap_or_default() }
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find(|c| c.starts_with(&format!("{name}=")) && c.len() > name.len() + 1).cloned()
    }
}

fn hex_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn code_now(secret: &[u8]) -> String {
    use tessera_server::totp;
    totp::code_for_step(secret, totp::step_at(SystemClock.now()), 6, totp_rs::Algorithm::SHA1).unwrap()
}

fn code_next(secret: &[u8]) -> String {
    use tessera_server::totp;
    totp::code_for_step(secret, totp::step_at(SystemClock.now()) + 1, 6, totp_rs::Algorithm::SHA1).unwrap()
}

async fn fresh_database() -> Option<(String, String, String)> {
    use sqlx::Connection;
    let server = std::env::var("TESSERA_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty())?;
    let mut c = sqlx::PgConnection::connect(&server).await.expect("PostgreSQL");
    let name = format!("tessera_instances_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
    let base = server.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(server.clone());
    Some((format!("{base}/{name}"), name, server))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_behind_haproxy_hold_every_rule_as_one() {
    let Some((url, name, server)) = fresh_database().await else {
        eprintln!("TESSERA_TEST_POSTGRES_URL is not set: the instances test needs PostgreSQL");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(url, dir.path()).await;
    let op = cluster.operator().await;
    let meta = RequestMeta::default();
    for (org, email) in [
        ("Acme", "ada@example.org"),
        ("Bobs", "bob@example.org"),
        ("Carols", "carol@example.org"),
        ("Daves", "dave@example.org"),
        ("Erins", "erin@example.org"),
        ("Finns", "finn@example.org"),
        ("Gwens", "gwen@example.org"),
    ] {
        op.create_organisation(org, OrgKind::Standard, email, None, Some(PASSWORD)).await.unwrap();
    }
    // Ada has an authenticator app.
    let SignInStep::Done(token) = op.sign_in("ada@example.org", PASSWORD, None, &meta).await.unwrap() else { panic!() };
    let s = op.session(token.expose()).await.unwrap().unwrap();
    let view = op.start_enrolment(&s, &meta).await.unwrap();
    let secret =
        tessera_server::totp::TotpSecret::from_base32(&view.setup_key_grouped).unwrap().expose_bytes().to_vec();
    let recovery = op.confirm_enrolment(&s, &code_now(&secret), &meta).await.unwrap();

    // An instance with another instance key refuses to start, saying why.
    let stranger = tempfile::tempdir().unwrap();
    let out =
        instance_command(&cluster.url, &hex_key(), free_port(), cluster.lb_port, stranger.path()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("sealed with another instance key"), "{said}");

    // A TOTP code accepted by one instance is refused by the others.
    let first = cluster.sign_in(At(0), At(1), "ada@example.org", PASSWORD).await;
    let second = cluster.sign_in(At(1), At(2), "ada@example.org", PASSWORD).await;
    assert_eq!((first.status, first.location.as_str()), (303, "/login/mfa"));
    let (p1, p2) = (first.cookie("tessera_session").unwrap(), second.cookie("tessera_session").unwrap());
    // The enrolment used this time step's code: the app's next one (accepted a step early, as
    // clocks drift) is one nobody used.
    let code = code_next(&secret);
    let ok = cluster.post(At(2), "/api/login/mfa", &[("code", &code)], Some(&p1)).await;
    assert_eq!((ok.status, ok.location.as_str()), (303, "/"), "{}", ok.body);
    let session = ok.cookie("tessera_session").unwrap();
    for at in [At(0), At(1)] {
        let replay = cluster.post(at, "/api/login/mfa", &[("code", &code)], Some(&p2)).await;
        assert_eq!(replay.status, 401, "{at:?}");
        assert!(replay.body.contains("already been used"), "{at:?}");
    }
    // A recovery code likewise.
    let rc = recovery[0].display();
    let ok = cluster.post(At(0), "/api/login/mfa", &[("kind", "recovery"), ("code", &rc)], Some(&p2)).await;
    assert_eq!((ok.status, ok.location.as_str()), (303, "/account/security?recovery-used"), "{}", ok.body);
    let third = cluster.sign_in(At(2), At(2), "ada@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
    let again = cluster.post(At(1), "/api/login/mfa", &[("kind", "recovery"), ("code", &rc)], Some(&third)).await;
    assert_eq!(again.status, 401, "a recovery code is good once, on any instance");

    // A session signed out on one instance is dead on the others at their next request.
    for at in [At(0), At(1), At(2)] {
        assert_eq!(cluster.get(at, "/", Some(&session)).await.status, 200, "{at:?}");
    }
    assert_eq!(cluster.post(At(1), "/api/logout", &[], Some(&session)).await.status, 303);
    for at in [At(0), At(2)] {
        let r = cluster.get(at, "/", Some(&session)).await;
        assert_eq!((r.status, r.location.as_str()), (303, "/login"), "{at:?}");
    }

    // The failure budget is one per account, claimed before the password is checked: six wrong
    // passwords at once, two per instance, count one by one, so the first five are wrong and
    // the sixth is told to wait (with a budget per instance all six would be merely wrong).
    let tries: Vec<_> = (0..6)
        .map(|i| {
            let c = &cluster;
            async move { c.sign_in(At(i % 3), At(i % 3), "bob@example.org", "wrong wrong wrong wrong").await.status }
        })
        .collect();
    let mut statuses = futures::future::join_all(tries).await;
    statuses.sort();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);

    // The per-IP limit is one across instances: five requests from one address, spread over the
    // three, spend its burst, and the sixth is refused wherever it lands.
    for i in 0..5 {
        let r = cluster
            .post_from("203.0.113.50", At(i % 3), "/api/login/email", &[("email", "eve@example.org")], None)
            .await;
        assert_eq!(r.status, 303, "request {i}");
    }
    for at in [At(2), At(0)] {
        let r = cluster.post_from("203.0.113.50", at, "/api/login/email", &[("email", "eve@example.org")], None).await;
        assert_eq!(r.status, 429, "{at:?}: the address spent its burst on the other instances");
    }
    let r = cluster.post_from("203.0.113.51", At(2), "/api/login/email", &[("email", "eve@example.org")], None).await;
    assert_eq!(r.status, 303, "another address is not held back");

    // A policy change reaches every instance at its next request.
    for at in [At(0), At(1), At(2)] {
        let r = cluster.sign_in(at, at, "carol@example.org", PASSWORD).await;
        assert_eq!((r.status, r.location.as_str()), (303, "/"), "{at:?}");
    }
    op.set_mfa_policy_by_operator("Carols", tessera_server::model::MfaPolicy::Required, None).await.unwrap();
    for at in [At(0), At(1), At(2)] {
        let r = cluster.sign_in(at, at, "carol@example.org", PASSWORD).await;
        assert_eq!(r.status, 303);
        assert_ne!(r.location, "/", "{at:?}: a member who must enrol is sent to enrol");
        assert!(r.location.starts_with("/mfa") || r.location.contains("enrol"), "{at:?}: {}", r.location);
    }

    // Each of the following codes and links is sent to all three instances at once: exactly one
    // takes it (one conditional update in the shared database), whichever that is.
    let once = |answers: Vec<Answer>, what: &str| {
        let taken: Vec<_> = answers.iter().filter(|a| a.status == 303).collect();
        assert_eq!(taken.len(), 1, "{what} is taken once: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
        assert!(
            answers.iter().all(|a| a.status == 303 || (400..500).contains(&a.status)),
            "{what}: refused with a 4xx"
        );
        taken[0].location.clone()
    };

    // An emailed sign-in code: mailed by the instance that took the password, good once anywhere.
    op.set_mfa_policy_by_operator("Erins", tessera_server::model::MfaPolicy::Required, None).await.unwrap();
    op.set_email_codes_by_operator("Erins", true, Some(&["Owner".to_string()])).await.unwrap();
    let pending = cluster.sign_in(At(0), At(0), "erin@example.org", PASSWORD).await;
    assert_eq!((pending.status, pending.location.as_str()), (303, "/login/mfa"), "{}", pending.body);
    let pending = pending.cookie("tessera_session").unwrap();
    let code = cluster.mailed_code(0);
    let answers = futures::future::join_all((0..3).map(|i| {
        let (c, code, pending) = (&cluster, &code, &pending);
        async move { c.post(At(i), "/api/login/mfa", &[("kind", "email"), ("code", code)], Some(pending)).await }
    }))
    .await;
    assert_eq!(once(answers, "an emailed code"), "/");

    // A temporary access code from an operator's MFA reset, likewise, each try in a sign-in of
    // its own.
    let SignInStep::Done(token) = op.sign_in("finn@example.org", PASSWORD, None, &meta).await.unwrap() else {
        panic!()
    };
    let s = op.session(token.expose()).await.unwrap().unwrap();
    let view = op.start_enrolment(&s, &meta).await.unwrap();
    let finn = tessera_server::totp::TotpSecret::from_base32(&view.setup_key_grouped).unwrap().expose_bytes().to_vec();
    op.confirm_enrolment(&s, &code_now(&finn), &meta).await.unwrap();
    op.set_mfa_policy_by_operator("Finns", tessera_server::model::MfaPolicy::Required, None).await.unwrap();
    let access = op.reset_mfa_by_operator("Finns", "finn@example.org", "lost phone").await.unwrap().unwrap();
    let mut held = Vec::new();
    for i in 0..3 {
        let r = cluster.sign_in(At(i), At(i), "finn@example.org", PASSWORD).await;
        assert_eq!((r.status, r.location.as_str()), (303, "/login/mfa"), "{}", r.body);
        held.push(r.cookie("tessera_session").unwrap());
    }
    let answers = futures::future::join_all(held.iter().enumerate().map(|(i, pending)| {
        let (c, access) = (&cluster, &access);
        async move { c.post(At(i), "/api/login/mfa", &[("code", access)], Some(pending)).await }
    }))
    .await;
    let to = once(answers, "a temporary access code");
    assert_ne!(to, "/", "the code leads to enrolment only");

    // A reset link, and the password it sets works on every instance.
    let link = op.reset_link_by_operator("Gwens", "gwen@example.org").await.unwrap();
    let reset = link.split_once("token=").unwrap().1.to_string();
    let new_password = "a whole new passphrase for gwen";
    let answers = futures::future::join_all((0..3).map(|i| {
        let (c, reset) = (&cluster, &reset);
        let form = [
            ("token", reset.as_str()),
            ("email", "gwen@example.org"),
            ("password", new_password),
            ("password_again", new_password),
        ];
        async move { c.post(At(i), "/api/password/reset", &form, None).await }
    }))
    .await;
    assert_eq!(once(answers, "a reset link"), "/login?password-reset");
    for at in [At(0), At(1), At(2)] {
        let r = cluster.sign_in(at, at, "gwen@example.org", new_password).await;
        assert_eq!(r.status, 303, "{at:?}: {}", r.body);
        assert!(r.cookie("tessera_session").is_some() && !r.location.starts_with("/login"), "{at:?}: {}", r.location);
    }

    // An application's authorisation code and refresh token (OpenID Connect): one instance sends
    // the person back with the code, the application redeems it at all three at once.
    let form = tessera_server::applications::ApplicationForm {
        name: "Wiki".into(),
        confidential: true,
        redirect_uris: vec!["https://wiki.example.org/callback".into()],
        logout_uris: vec![],
        roles: vec![],
        require_mfa: false,
        es256: false,
    };
    let registered = op.add_application_by_operator("Daves", &form).await.unwrap();
    let wiki = (registered.client_id.clone(), registered.client_secret.clone().unwrap());
    let verifier = "a-pkce-verifier-of-at-least-forty-three-characters-0123";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
    };
    let authorize = format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string([
            ("client_id", wiki.0.as_str()),
            ("redirect_uri", "https://wiki.example.org/callback"),
            ("response_type", "code"),
            ("scope", "openid email profile"),
            ("state", "st-1"),
            ("nonce", "no-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .unwrap()
    );
    let dave = cluster.sign_in(At(1), At(1), "dave@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
    let code_at = |at| {
        let (c, authorize, dave) = (&cluster, &authorize, &dave);
        async move {
            let back = c.get(at, authorize, Some(dave)).await;
            back.location
                .split_once("code=")
                .map(|(_, rest)| rest.split('&').next().unwrap().to_string())
                .unwrap_or_else(|| panic!("{} {} {}", back.status, back.location, back.body))
        }
    };
    let exchange = |code: String| {
        [
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("redirect_uri", "https://wiki.example.org/callback".to_string()),
            ("code_verifier", verifier.to_string()),
        ]
    };
    let renew = |token: &serde_json::Value| {
        [("grant_type", "refresh_token".to_string()), ("refresh_token", token.as_str().unwrap().to_string())]
    };
    let dead_everywhere = |form: [(&'static str, String); 2]| {
        let c = &cluster;
        let wiki = &wiki;
        async move {
            for i in 0..3 {
                let (status, json) = c.token(i, wiki, &form).await;
                assert_eq!((status, json["error"].as_str()), (400, Some("invalid_grant")), "instance {i}: {json}");
            }
        }
    };
    // A code redeemed at one instance is refused at another, and that second use revokes what
    // the first got, on every instance.
    let code = exchange(code_at(At(1)).await);
    let (status, first) = cluster.token(0, &wiki, &code).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = cluster.token(1, &wiki, &code).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
    dead_everywhere(renew(&first["refresh_token"])).await;
    // A refresh token renews once: used again at another instance it is refused and ends the
    // sign-in, so the renewed one dies too.
    let (_, tokens) = cluster.token(2, &wiki, &exchange(code_at(At(2)).await)).await;
    let (status, renewed) = cluster.token(1, &wiki, &renew(&tokens["refresh_token"])).await;
    assert_eq!(status, 200, "{renewed}");
    let (status, reused) = cluster.token(2, &wiki, &renew(&tokens["refresh_token"])).await;
    assert_eq!((status, reused["error"].as_str()), (400, Some("invalid_grant")));
    dead_everywhere(renew(&renewed["refresh_token"])).await;
    // Sent to all three at once, a code or a refresh token gives tokens at most once (a race's
    // loser revokes even the winner's, which is the safe way for it to end).
    for kind in ["code", "refresh token"] {
        let form = match kind {
            "code" => exchange(code_at(At(0)).await).to_vec(),
            _ => {
                let (_, tokens) = cluster.token(1, &wiki, &exchange(code_at(At(1)).await)).await;
                renew(&tokens["refresh_token"]).to_vec()
            }
        };
        let answers = futures::future::join_all((0..3).map(|i| cluster.token(i, &wiki, &form))).await;
        let given: Vec<_> = answers.iter().filter(|(status, _)| *status == 200).collect();
        assert!(given.len() <= 1, "a {kind} gives tokens once: {answers:?}");
        assert!(answers.iter().all(|(status, json)| *status == 200 || json["error"] == "invalid_grant"), "{answers:?}");
        if let Some((_, json)) = given.first() {
            dead_everywhere(renew(&json["refresh_token"])).await;
        }
    }

    // Signing in with a provider (Tessera as the relying party): the flow's state, and the nonce
    // bound to it, are good once on any instance. The provider answers every callback with a
    // good code, so only Tessera's own single use can tell the instances apart.
    let idp = common::idp::start_providers().await;
    let provider = op
        .add_sso_provider_by_operator(&tessera_server::sso::ProviderForm {
            kind: Some(tessera_server::sso::ProviderKind::Oidc),
            name: Some("Idp".into()),
            issuer: Some(format!("{}/idp", idp.origin)),
            client_id: common::idp::CLIENT.into(),
            client_secret: common::idp::CLIENT_SECRET.into(),
            tenants: vec![],
        })
        .await
        .unwrap()
        .id;
    op.allow_sso_provider_by_operator("Erins", "Idp", true, &[]).await.unwrap();
    {
        let key = common::idp::Key::new("k1");
        let mut script = idp.script.lock().unwrap();
        script.signer = Some(key.clone());
        script.published = vec![key];
    }
    // A flow started at instance `at`: the browser's binding cookie and the provider's
    // authorisation request's parameters.
    let start_at = |at| {
        let c = &cluster;
        async move {
            let r = c.get(at, &format!("/sso/{provider}/start"), None).await;
            assert_eq!(r.status, 303, "{at:?}: {}", r.body);
            let query = r.location.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
            let params: std::collections::HashMap<String, String> = serde_urlencoded::from_str(&query).unwrap();
            (r.cookie("tessera_sso").expect("the browser's binding"), params)
        }
    };
    // The provider's answer: an ID token with `nonce`, for the code asked with `challenge`.
    let answer = |nonce: &str, challenge: &str| {
        let now = SystemClock.now().0 / 1000;
        let mut script = idp.script.lock().unwrap();
        script.challenge = Some(challenge.to_string());
        script.claims = Some(serde_json::json!({
            "iss": format!("{}/idp", idp.origin), "sub": "idp-erin", "aud": common::idp::CLIENT,
            "exp": now + 300, "iat": now, "nonce": nonce, "email": "erin@idp.example", "email_verified": true,
        }));
    };
    let callback = |state: &str| format!("/sso/callback?code=good-code&state={state}");
    // The provider's account is not linked to anyone: a taken flow lands on "not linked", a flow
    // that is gone on "expired".
    let not_linked = format!("/login?sso=not-linked&with={provider}&next=%2Faccount%2Fsecurity");
    let (binding, params) = start_at(At(0)).await;
    answer(&params["nonce"], &params["code_challenge"]);
    let back = cluster.get(At(1), &callback(&params["state"]), Some(&binding)).await;
    assert_eq!((back.status, back.location.as_str()), (303, not_linked.as_str()), "{}", back.body);
    for at in [At(2), At(0), At(1)] {
        let again = cluster.get(at, &callback(&params["state"]), Some(&binding)).await;
        assert_eq!(again.location, "/login?sso=expired", "{at:?}: the same way back again");
    }
    // The same way back sent to all three at once: one instance takes the flow.
    let (binding, params) = start_at(At(2)).await;
    answer(&params["nonce"], &params["code_challenge"]);
    let way_back = callback(&params["state"]);
    let answers = futures::future::join_all((0..3).map(|i| cluster.get(At(i), &way_back, Some(&binding)))).await;
    let mut landed: Vec<_> = answers.iter().map(|a| a.location.as_str()).collect();
    landed.sort();
    assert_eq!(landed, ["/login?sso=expired", "/login?sso=expired", not_linked.as_str()]);
    // An ID token made for one flow (its nonce) is refused in another, wherever each started.
    let (_, first) = start_at(At(0)).await;
    let (binding, params) = start_at(At(1)).await;
    answer(&first["nonce"], &params["code_challenge"]);
    let r = cluster.get(At(2), &callback(&params["state"]), Some(&binding)).await;
    assert_eq!(r.location, format!("/login?sso=failed&with={provider}"), "another flow's nonce");
    assert!(r.cookie("tessera_session").is_none() && r.cookie("tessera_sso_link").is_none());

    // Sign-ins keep working through the balancer while one instance stops (SIGTERM): it says it
    // is draining, the balancer stops sending to it, it answers what it already has, and exits;
    // people keep signing in all along and after.
    let mut cluster = cluster;
    let (mut served, mut exited_at) = (0, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while exited_at.is_none_or(|at| served < at + 10) {
        if served == 8 {
            let pid = cluster.instances[2].child.id().to_string();
            assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        }
        let r = cluster.sign_in(Balancer, Balancer, "dave@example.org", PASSWORD).await;
        assert_eq!((r.status, r.location.as_str()), (303, "/"), "sign-in {served}: {}", r.body);
        assert!(r.cookie("tessera_session").is_some());
        served += 1;
        if exited_at.is_none() {
            if let Some(status) = cluster.instances[2].child.try_wait().unwrap() {
                assert!(status.success(), "a SIGTERM ends the instance cleanly: {status:?}");
                exited_at = Some(served);
            }
        }
        assert!(Instant::now() < deadline, "the stopped instance did not exit");
    }

    drop(cluster);
    drop(op);
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(&server).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
    }
}
