//! `make bench`: how fast Tessera is on the machine it runs on, measured against that machine's
//! own limit in the same run, and written to BENCHMARKS.md.
//!
//! The limit is the password hash: one argon2id verify of today's parameters takes `t_hash` of
//! CPU, so `R = cores / t_hash` sign-ins per second is all the machine can do, and every sign-in
//! figure is a ratio to `R` or to `t_hash`. Pages are compared with `/healthz` on the same run.
//! Nothing here is a pass/fail test: figures beside their goals, for people to read.
//!
//! It starts the release binary (`target/release/tessera`, built by `cargo leptos build
//! --release`) on SQLite and on PostgreSQL (`TESSERA_TEST_POSTGRES_URL`, else the local server),
//! seeds it through the same use cases the server runs, and drives it over HTTP/1.1 from this
//! process: a few async connections, so the load generator costs far less than the server.
//! The server's CPU time and memory are read from /proc.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tessera_server::clock::{Clock, SystemClock};
use tessera_server::model::OrgKind;
use tessera_server::password::{PasswordHasher, ARGON2_M_KIB, ARGON2_P, ARGON2_T};
use tessera_server::secret::SecretKey;
use tessera_server::sign_in::SignInStep;
use tessera_server::Tessera;

const PASSWORD: &str = "plum tractor sings quietly tonight";
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const BROWSER_ENCODING: &str = "gzip, deflate, br, zstd";
/// Accounts without MFA (sign-in benchmarks) and with an authenticator app (the MFA step).
const PLAIN_USERS: usize = 512;
const MFA_USERS: usize = 240;
/// Each figure is measured this many times; the table gives min / median / max.
const RUNS: usize = 3;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let root = workspace_root();
    let binary = root.join("target/release/tessera");
    assert!(
        binary.exists() && root.join("target/site/pkg").exists(),
        "build first: cargo leptos build --release --precompress (make bench does)"
    );
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let t_hash = measure_t_hash();
    let r = cores as f64 / t_hash.as_secs_f64();
    eprintln!("t_hash {:.2} ms on {cores} cores: R = {r:.0} sign-ins/s", ms(t_hash));
    let limit = Limit { cores, t_hash, r };
    let mut sections = Vec::new();
    let sqlite_dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", sqlite_dir.path().join("tessera.db").display());
    sections.push(("SQLite", run_backend(&binary, &root, &url, sqlite_dir.path(), &limit).await));
    let pg_server = std::env::var("TESSERA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match fresh_postgres(&pg_server).await {
        Ok((url, name)) => {
            let dir = tempfile::tempdir().unwrap();
            sections.push(("PostgreSQL", run_backend(&binary, &root, &url, dir.path(), &limit).await));
            drop_postgres(&pg_server, &name).await;
        }
        Err(e) => eprintln!("PostgreSQL skipped: {e}"),
    }
    let report = report(&limit, &sections);
    std::fs::write(root.join("BENCHMARKS.md"), &report).unwrap();
    println!("{report}");
}

struct Limit {
    cores: usize,
    t_hash: Duration,
    r: f64,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One argon2id verify of today's parameters, with the crate the server uses, in memory that is
/// reused (the pure computation, the floor a sign-in can reach): the median of 15.
fn measure_t_hash() -> Duration {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).unwrap();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = vec![Block::default(); params.block_count()];
    let mut out = [0u8; 32];
    let mut times = Vec::new();
    for i in 0..16 {
        let cpu = thread_cpu();
        argon.hash_password_into_with_memory(PASSWORD.as_bytes(), b"sixteen byte slt", &mut out, &mut memory).unwrap();
        if i > 0 {
            times.push(thread_cpu() - cpu);
        }
    }
    times.sort();
    times[times.len() / 2]
}

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec, which we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

// --- the server under test ---------------------------------------------------------------------

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User and system CPU time the server has used so far.
    fn cpu(&self) -> (Duration, Duration) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        // The command name may hold spaces: fields are counted after its closing parenthesis.
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        // SAFETY: sysconf only reads a constant of the system.
        let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        let secs = |i: usize| Duration::from_secs_f64(fields[i].parse::<f64>().unwrap() / tick);
        (secs(11), secs(12))
    }

    /// CPU time of all the server's threads so far, in nanoseconds (the scheduler's own count,
    /// finer than the clock ticks of `cpu`).
    fn cpu_precise(&self) -> Duration {
        let mut total = 0u64;
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid())) {
            for task in tasks.flatten() {
                if let Ok(s) = std::fs::read_to_string(task.path().join("schedstat")) {
                    total += s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
                }
            }
        }
        Duration::from_nanos(total)
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(binary: &Path, root: &Path, url: &str, data: &Path, key_hex: &str) -> (Server, Duration) {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    let child = Command::new(binary)
        .current_dir(root)
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("TESSERA_DATA_DIR", data)
        .env("TESSERA_DATABASE_URL", url)
        .env("TESSERA_SECRET_KEY", key_hex)
        .env("TESSERA_BASE_URL", format!("http://{addr}"))
        .env("TESSERA_SIGNIN_PER_MINUTE", "100000")
        .env("TESSERA_SIGNIN_BURST", "100000")
        .env("RUST_LOG", "error,tower_http=off")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start target/release/tessera");
    let server = Server { child, addr };
    // Ready is when it answers /readyz: listening and the database reachable.
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not become ready");
        std::thread::sleep(Duration::from_millis(1));
    }
    (server, started.elapsed())
}

// --- seeding ------------------------------------------------------------------------------------

struct Seeded {
    plain: Vec<String>,
    /// Address and authenticator secret.
    mfa: Vec<(String, Vec<u8>)>,
}

/// The accounts the benchmarks sign in as, made through the use cases (one organisation each, so
/// each is an owner with a password), and the signing keys, so the server's start is a warm one.
async fn seed(url: &str, data: &Path, key_hex: &str) -> Seeded {
    let store = tessera_server::store::connect(url).await.unwrap();
    let config = tessera_server::config::Config::from_lookup(
        |k| (k == "TESSERA_DATA_DIR").then(|| data.display().to_string()),
        "127.0.0.1:3000",
    )
    .unwrap();
    let app = Arc::new(Tessera::new(
        store,
        Arc::new(SystemClock),
        Arc::new(config),
        PasswordHasher::for_this_machine(),
        SecretKey::from_hex(key_hex).unwrap(),
    ));
    app.ensure_signing_keys().await.unwrap();
    let meta = tessera_server::audit::RequestMeta::new(None, None);
    let mut seeded = Seeded { plain: Vec::new(), mfa: Vec::new() };
    for i in 0..PLAIN_USERS + MFA_USERS {
        let email = format!("user{i}@bench.example");
        app.create_organisation(&format!("Bench {i}"), OrgKind::Standard, &email, None, Some(PASSWORD)).await.unwrap();
        if i < PLAIN_USERS {
            seeded.plain.push(email);
            continue;
        }
        let SignInStep::Done(token) = app.sign_in(&email, PASSWORD, None, &meta).await.unwrap() else {
            panic!("a new owner without MFA signs in with the password")
        };
        let s = app.session(token.expose()).await.unwrap().unwrap();
        let view = app.start_enrolment(&s, &meta).await.unwrap();
        let secret = tessera_server::totp::TotpSecret::from_base32(&view.setup_key_grouped).unwrap();
        let code = code_now(secret.expose_bytes());
        app.confirm_enrolment(&s, &code, &meta).await.unwrap();
        seeded.mfa.push((email, secret.expose_bytes().to_vec()));
    }
    seeded
}

fn code_now(secret: &[u8]) -> String {
    use tessera_server::totp;
    totp::code_for_step(secret, totp::step_at(SystemClock.now()), 6, totp_rs::Algorithm::SHA1).unwrap()
}

// --- HTTP ---------------------------------------------------------------------------------------

struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers.get_all(http::header::SET_COOKIE).iter().find_map(|v| {
            let pair = v.to_str().ok()?.split(';').next()?;
            let (n, value) = pair.split_once('=')?;
            (n == name && !value.is_empty()).then(|| pair.to_string())
        })
    }
}

impl Conn {
    fn new(addr: SocketAddr) -> Self {
        Conn { addr, sender: None }
    }

    async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<String>) -> Answer {
        for _ in 0..3 {
            if self.sender.is_none() {
                let stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
                tokio::spawn(connection);
                self.sender = Some(sender);
            }
            let mut req = http::Request::builder().method(method).uri(path).header("host", self.addr.to_string());
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let req = req.body(Full::new(Bytes::from(body.clone().unwrap_or_default()))).unwrap();
            let sender = self.sender.as_mut().unwrap();
            if sender.ready().await.is_err() {
                self.sender = None;
                continue;
            }
            match sender.send_request(req).await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let headers = res.headers().clone();
                    match res.into_body().collect().await {
                        Ok(b) => return Answer { status, headers, body: b.to_bytes() },
                        Err(_) => self.sender = None,
                    }
                }
                Err(_) => self.sender = None,
            }
        }
        panic!("{method} {path}: the connection failed three times");
    }

    async fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send("GET", path, headers, None).await
    }

    async fn form(&mut self, path: &str, form: &str, cookie: Option<&str>) -> Answer {
        let origin = format!("http://{}", self.addr);
        let mut headers = vec![
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", origin.as_str()),
            ("accept", BROWSER_ACCEPT),
        ];
        if let Some(c) = cookie {
            headers.push(("cookie", c));
        }
        self.send("POST", path, &headers, Some(form.to_string())).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    SignedIn,
    MfaAsked,
    Busy,
    /// 503 without Retry-After, 401, 429 or anything else: never expected with a right password.
    Wrong(u16),
}

/// Both sign-in steps with the right password.
async fn sign_in(conn: &mut Conn, email: &str) -> (Outcome, Option<String>) {
    let form = format!("email={}", email.replace('@', "%40"));
    let first = conn.form("/api/login/email", &form, None).await;
    let judge = |a: &Answer| {
        if a.status == 503 {
            return if a.headers.contains_key("retry-after") { Outcome::Busy } else { Outcome::Wrong(503) };
        }
        Outcome::Wrong(a.status)
    };
    let Some(login) = first.cookie("tessera_login").filter(|_| first.status == 303) else {
        return (judge(&first), None);
    };
    let second =
        conn.form("/api/login/password", &format!("password={}", PASSWORD.replace(' ', "+")), Some(&login)).await;
    let session = second.cookie("tessera_session");
    let location = second.headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or("");
    match (second.status, session) {
        (303, Some(s)) if location == "/login/mfa" => (Outcome::MfaAsked, Some(s)),
        (303, Some(s)) => (Outcome::SignedIn, Some(s)),
        _ => (judge(&second), None),
    }
}

// --- measurements -------------------------------------------------------------------------------

/// One measurement of a run: named figures.
type Figures = BTreeMap<&'static str, f64>;

/// What the server used while `work` ran: wall time, user and system CPU.
async fn metered<T>(server: &Server, work: impl std::future::Future<Output = T>) -> (T, Duration, Duration, Duration) {
    let (u0, s0) = server.cpu();
    let started = Instant::now();
    let out = work.await;
    let wall = started.elapsed();
    let (u1, s1) = server.cpu();
    (out, wall, u1 - u0, s1 - s0)
}

/// `concurrency` connections asking `path` back to back for `for_how_long`; answers per second
/// and server CPU per answer.
async fn page_rate(
    server: &Server,
    path: &str,
    headers: Vec<(&'static str, String)>,
    for_how_long: Duration,
    concurrency: usize,
) -> (f64, Duration) {
    let deadline = Instant::now() + for_how_long;
    let work = async {
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (addr, path, headers) = (server.addr, path.to_string(), headers.clone());
                tokio::spawn(async move {
                    let mut conn = Conn::new(addr);
                    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        let a = conn.get(&path, &h).await;
                        assert_eq!(a.status, 200, "{path}");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let mut n = 0;
        for t in tasks {
            n += t.await.unwrap();
        }
        n
    };
    let (n, wall, user, sys) = metered(server, work).await;
    (n as f64 / wall.as_secs_f64(), (user + sys) / n.max(1) as u32)
}

/// Closed loop: `concurrency` connections signing in back to back.
async fn sign_in_rate(
    server: &Server,
    users: &[String],
    for_how_long: Duration,
    concurrency: usize,
) -> (f64, Duration, Duration, u64) {
    let deadline = Instant::now() + for_how_long;
    let users = Arc::new(users.to_vec());
    let work = async {
        let tasks: Vec<_> = (0..concurrency)
            .map(|w| {
                let (addr, users) = (server.addr, users.clone());
                tokio::spawn(async move {
                    let mut conn = Conn::new(addr);
                    let (mut ok, mut busy, mut i) = (0u64, 0u64, w);
                    while Instant::now() < deadline {
                        match sign_in(&mut conn, &users[i % users.len()]).await.0 {
                            Outcome::SignedIn => ok += 1,
                            Outcome::Busy => busy += 1,
                            other => panic!("a right password got {other:?}"),
                        }
                        i += concurrency;
                    }
                    (ok, busy)
                })
            })
            .collect();
        let (mut ok, mut busy) = (0, 0);
        for t in tasks {
            let (o, b) = t.await.unwrap();
            ok += o;
            busy += b;
        }
        (ok, busy)
    };
    let ((ok, busy), wall, user, sys) = metered(server, work).await;
    let n = ok.max(1) as u32;
    (ok as f64 / wall.as_secs_f64(), user / n, sys / n, busy)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct OpenLoop {
    latencies: Vec<Duration>,
    outcomes: BTreeMap<Outcome, u64>,
}

/// Open loop: a new person (a new connection) every `1 / rate` seconds for `for_how_long`,
/// whatever the server's answers; each latency counts from the moment that person arrived.
async fn open_loop(server: &Server, users: &[String], rate: f64, for_how_long: Duration) -> OpenLoop {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let count = (for_how_long.as_secs_f64() * rate) as usize;
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let at = start + interval * i as u32;
        tokio::time::sleep_until(at).await;
        let (addr, email) = (server.addr, users[i % users.len()].clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr);
            let outcome = sign_in(&mut conn, &email).await.0;
            (outcome, at.elapsed())
        }));
    }
    let mut run = OpenLoop { latencies: Vec::new(), outcomes: BTreeMap::new() };
    for t in tasks {
        let (outcome, latency) = t.await.unwrap();
        *run.outcomes.entry(outcome).or_default() += 1;
        if outcome == Outcome::SignedIn {
            run.latencies.push(latency);
        }
    }
    run.latencies.sort();
    run
}

/// The sign-in page's latency, one request after another, until `stop`.
async fn watch_login(addr: SocketAddr, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut conn = Conn::new(addr);
    let mut times = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        let a = conn.get("/login", &[("accept-encoding", BROWSER_ENCODING)]).await;
        assert_eq!(a.status, 200);
        times.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    times.sort();
    times
}

/// The bytes a first visit to /login transfers with a browser's Accept-Encoding: the page and
/// the scripts, styles and WebAssembly it names.
async fn first_visit_bytes(addr: SocketAddr) -> u64 {
    let mut conn = Conn::new(addr);
    let enc = [("accept-encoding", BROWSER_ENCODING)];
    let page = conn.get("/login", &enc).await;
    let mut total = page.body.len() as u64;
    // The same page unencoded, to find what it names.
    let html = String::from_utf8_lossy(&conn.get("/login", &[]).await.body).into_owned();
    let mut seen = std::collections::BTreeSet::new();
    for piece in html.split("\"/pkg/").skip(1) {
        let path = format!("/pkg/{}", piece.split(['"', '\'']).next().unwrap());
        if seen.insert(path.clone()) {
            total += conn.get(&path, &enc).await.body.len() as u64;
        }
    }
    // The loader script fetches the module's .wasm by name beside the .js.
    for js in seen.clone().iter().filter(|p| p.ends_with(".js")) {
        let wasm = js.trim_end_matches(".js").to_string() + "_bg.wasm";
        if !seen.contains(&wasm) {
            let a = conn.get(&wasm, &enc).await;
            if a.status == 200 {
                total += a.body.len() as u64;
                seen.insert(wasm);
            }
        }
    }
    total
}

/// The next transaction id PostgreSQL will hand out: only a transaction that writes takes one,
/// so the difference over some requests is the write transactions they made (reading it takes
/// none).
async fn next_xid(url: &str) -> Option<i64> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await.ok()?;
    let xid: String =
        sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").fetch_one(&mut c).await.ok()?;
    xid.parse().ok()
}

/// Counts the server's fsync and fdatasync calls (each durable SQLite commit makes one) while
/// `work` runs, with strace attached to every thread.
async fn fsyncs<T>(pid: u32, work: impl std::future::Future<Output = T>) -> (T, Option<u64>) {
    let out = std::env::temp_dir().join(format!("tessera-bench-strace-{pid}"));
    let strace = Command::new("strace")
        .args(["-f", "-c", "-e", "trace=fsync,fdatasync", "-o"])
        .arg(&out)
        .args(["-p", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut strace) = strace else { return (work.await, None) };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let result = work.await;
    let _ = Command::new("kill").args(["-INT", &strace.id().to_string()]).status();
    let _ = strace.wait();
    let summary = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    // "% time  seconds  usecs/call  calls  [errors]  syscall": calls is the fourth column.
    let calls = summary
        .lines()
        .filter(|l| l.trim_end().ends_with("fsync") || l.trim_end().ends_with("fdatasync"))
        .filter_map(|l| l.split_whitespace().nth(3)?.parse::<u64>().ok())
        .sum();
    (result, Some(calls))
}

/// Durable commits per operation, from `before` and `after` of whichever count the database has.
fn per_op(before: Option<i64>, after: Option<i64>, ops: usize, non_durable_per_op: f64) -> Option<f64> {
    Some((after? - before?) as f64 / ops as f64 - non_durable_per_op)
}

async fn run_backend(binary: &Path, root: &Path, url: &str, data: &Path, limit: &Limit) -> Vec<Figures> {
    let key = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        hex::encode(bytes)
    };
    eprintln!("seeding {} accounts on {}", PLAIN_USERS + MFA_USERS, url.split(':').next().unwrap());
    let seeded = seed(url, data, &key).await;
    let mut runs = Vec::new();
    let mut mfa_users = seeded.mfa.clone();
    for run in 0..RUNS {
        eprintln!("run {} of {RUNS}", run + 1);
        let mut f = Figures::new();
        let (server, cold) = start(binary, root, url, data, &key);
        f.insert("cold_start_ms", ms(cold));
        tokio::time::sleep(Duration::from_secs(1)).await;
        f.insert("idle_rss_mib", server.status_kib("VmRSS:") as f64 / 1024.0);
        f.insert("idle_anon_mib", server.status_kib("RssAnon:") as f64 / 1024.0);
        let addr = server.addr;

        // Pages, each against /healthz of the same run.
        let second = Duration::from_secs(2);
        let (healthz, healthz_cpu) = page_rate(&server, "/healthz", vec![], second, 4).await;
        let (login, login_cpu) = page_rate(&server, "/login", vec![], second, 4).await;
        let br = vec![("accept-encoding", BROWSER_ENCODING.to_string())];
        let (login_br, login_br_cpu) = page_rate(&server, "/login", br.clone(), second, 4).await;
        let mut conn = Conn::new(addr);
        let (_, session) = sign_in(&mut conn, &seeded.plain[0]).await;
        let cookie = vec![("cookie", session.expect("a session"))];
        let (home, home_cpu) = page_rate(&server, "/", cookie, second, 4).await;
        f.insert("healthz_per_s", healthz);
        f.insert("healthz_cpu_us", healthz_cpu.as_secs_f64() * 1e6);
        f.insert("login_per_s", login);
        f.insert("login_cpu_us", login_cpu.as_secs_f64() * 1e6);
        f.insert("login_br_per_s", login_br);
        f.insert("login_br_cpu_us", login_br_cpu.as_secs_f64() * 1e6);
        f.insert("login_br_ratio", login_br / login);
        f.insert("home_per_s", home);
        f.insert("home_cpu_us", home_cpu.as_secs_f64() * 1e6);
        f.insert("home_ratio", home / healthz);
        f.insert("first_visit_bytes", first_visit_bytes(addr).await as f64);

        // Durable commits of one sign-in, alone. On PostgreSQL the write transactions, less the
        // per-IP limit's two (the email and password steps), which do not wait for the disk; on
        // SQLite the fsyncs.
        let alone_users = &seeded.plain[..10];
        if url.starts_with("postgres") {
            let before = next_xid(url).await;
            for email in alone_users {
                sign_in(&mut conn, email).await;
            }
            if let Some(v) = per_op(before, next_xid(url).await, alone_users.len(), 2.0) {
                f.insert("commits_per_sign_in", v);
            }
        } else {
            let ((), calls) = fsyncs(server.pid(), async {
                for email in alone_users {
                    sign_in(&mut conn, email).await;
                }
            })
            .await;
            if let Some(calls) = calls {
                f.insert("commits_per_sign_in", calls as f64 / alone_users.len() as f64);
            }
        }

        // Sign-in at several concurrencies, closed loop.
        for (c, name) in [(2, "sign_in_c2"), (4, "sign_in_c4"), (8, "sign_in_c8"), (16, "sign_in_c16")] {
            let (rate, user, sys, busy) = sign_in_rate(&server, &seeded.plain, Duration::from_secs(3), c).await;
            f.insert(name, rate / limit.r);
            if c == 16 {
                f.insert("sign_in_per_s", rate);
                f.insert("sign_in_cpu_ratio", (user + sys).as_secs_f64() / limit.t_hash.as_secs_f64());
                f.insert("sign_in_sys_share", sys.as_secs_f64() / (user + sys).as_secs_f64());
                f.insert("sign_in_busy_c16", busy as f64);
            }
        }

        // Unloaded latency, then an open loop at R/2.
        let mut alone = Vec::new();
        for email in seeded.plain.iter().take(16) {
            let started = Instant::now();
            assert_eq!(sign_in(&mut Conn::new(addr), email).await.0, Outcome::SignedIn);
            alone.push(started.elapsed());
        }
        alone.sort();
        let unloaded = percentile(&alone, 0.5);
        f.insert("unloaded_ms", ms(unloaded));
        let half = open_loop(&server, &seeded.plain, limit.r / 2.0, Duration::from_secs(5)).await;
        let total: u64 = half.outcomes.values().sum();
        f.insert("half_r_p50_ms", ms(percentile(&half.latencies, 0.5)));
        f.insert("half_r_p95_ratio", ms(percentile(&half.latencies, 0.95)) / ms(unloaded));
        f.insert("half_r_busy_share", *half.outcomes.get(&Outcome::Busy).unwrap_or(&0) as f64 / total as f64);

        // A flood at 3 R, with the sign-in page asked for meanwhile.
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = tokio::spawn(watch_login(addr, stop.clone()));
        let flood = open_loop(&server, &seeded.plain, limit.r * 3.0, Duration::from_secs(4)).await;
        stop.store(true, Ordering::SeqCst);
        let login_times = watcher.await.unwrap();
        eprintln!("flood answers: {:?}", flood.outcomes);
        let total: u64 = flood.outcomes.values().sum();
        let wrong: u64 = flood.outcomes.iter().filter(|(o, _)| matches!(o, Outcome::Wrong(_))).map(|(_, n)| n).sum();
        f.insert("flood_wrong_answers", wrong as f64);
        f.insert("flood_served_share", *flood.outcomes.get(&Outcome::SignedIn).unwrap_or(&0) as f64 / total as f64);
        f.insert("flood_login_p95_ms", ms(percentile(&login_times, 0.95)));
        f.insert("flood_peak_rss_mib", server.status_kib("VmHWM:") as f64 / 1024.0);
        tokio::time::sleep(Duration::from_secs(5)).await;
        f.insert("after_flood_rss_mib", server.status_kib("VmRSS:") as f64 / 1024.0);

        // The MFA step: accounts whose password step is done answer with their app's code, a
        // third of them each run (a code is good once per account and time step).
        let share = mfa_users.len() / (RUNS - run);
        let batch: Vec<(String, Vec<u8>)> = mfa_users.drain(..share).collect();
        let mut pending = Vec::new();
        for (email, secret) in &batch {
            let (outcome, cookie) = sign_in(&mut conn, email).await;
            assert_eq!(outcome, Outcome::MfaAsked);
            pending.push((cookie.unwrap(), secret.clone()));
        }
        let (alone_batch, together) = pending.split_at(10.min(pending.len()));
        let answer_alone = async {
            for (cookie, secret) in alone_batch {
                let a = conn.form("/api/login/mfa", &format!("code={}", code_now(secret)), Some(cookie)).await;
                assert_eq!(a.status, 303, "a right code");
            }
        };
        if url.starts_with("postgres") {
            let before = next_xid(url).await;
            answer_alone.await;
            // Less the per-IP limit's transaction, which does not wait for the disk.
            if let Some(v) = per_op(before, next_xid(url).await, alone_batch.len(), 1.0) {
                f.insert("commits_per_mfa_step", v);
            }
        } else if let ((), Some(calls)) = fsyncs(server.pid(), answer_alone).await {
            f.insert("commits_per_mfa_step", calls as f64 / alone_batch.len() as f64);
        }
        let together: Vec<(String, Vec<u8>)> = together.to_vec();
        let n = together.len();
        let work = async {
            let chunks: Vec<Vec<(String, Vec<u8>)>> = together.chunks(n.div_ceil(8)).map(|c| c.to_vec()).collect();
            let tasks: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    tokio::spawn(async move {
                        let mut conn = Conn::new(addr);
                        for (cookie, secret) in chunk {
                            let a = conn
                                .form("/api/login/mfa", &format!("code={}", code_now(&secret)), Some(&cookie))
                                .await;
                            assert_eq!(a.status, 303, "a right code");
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        };
        let cpu_before = server.cpu_precise();
        let ((), wall, _, _) = metered(&server, work).await;
        let cpu = (server.cpu_precise() - cpu_before) / n as u32;
        f.insert("mfa_cpu_us", cpu.as_secs_f64() * 1e6);
        f.insert("mfa_per_s_by_cpu", limit.cores as f64 / cpu.as_secs_f64());
        f.insert("mfa_per_s_measured", n as f64 / wall.as_secs_f64());
        runs.push(f);
        drop(server);
    }
    runs
}

// --- the report ---------------------------------------------------------------------------------

/// How a figure is shown, and its goal.
struct Row {
    key: &'static str,
    what: &'static str,
    unit: &'static str,
    goal: &'static str,
    /// Whether the median meets the goal (None: no goal, or depends on the database).
    met: fn(f64, &Limit, &str) -> Option<bool>,
}

fn rows() -> Vec<Row> {
    fn none(_: f64, _: &Limit, _: &str) -> Option<bool> {
        None
    }
    vec![
        Row { key: "sign_in_c2", what: "Sign-in throughput, 2 connections", unit: "x R", goal: "", met: none },
        Row { key: "sign_in_c4", what: "Sign-in throughput, 4 connections", unit: "x R", goal: "", met: none },
        Row { key: "sign_in_c8", what: "Sign-in throughput, 8 connections", unit: "x R", goal: "", met: none },
        Row {
            key: "sign_in_c16",
            what: "Sign-in throughput, 16 connections",
            unit: "x R",
            goal: ">= 0.9",
            met: |v, _, _| Some(v >= 0.9),
        },
        Row { key: "sign_in_per_s", what: "Sign-ins per second, 16 connections", unit: "/s", goal: "", met: none },
        Row {
            key: "sign_in_cpu_ratio",
            what: "Server CPU per sign-in",
            unit: "x t_hash",
            goal: "<= 1.05",
            met: |v, _, _| Some(v <= 1.05),
        },
        Row { key: "sign_in_sys_share", what: "Of which in the kernel", unit: "share", goal: "", met: none },
        Row {
            key: "sign_in_busy_c16",
            what: "Turned away (503) at 16 connections",
            unit: "answers",
            goal: "",
            met: none,
        },
        Row { key: "unloaded_ms", what: "Sign-in alone (both steps)", unit: "ms", goal: "", met: none },
        Row { key: "half_r_p50_ms", what: "Open loop at R/2: median", unit: "ms", goal: "", met: none },
        Row {
            key: "half_r_p95_ratio",
            what: "Open loop at R/2: p95",
            unit: "x alone",
            goal: "<= 3",
            met: |v, _, _| Some(v <= 3.0),
        },
        Row {
            key: "half_r_busy_share",
            what: "Open loop at R/2: turned away",
            unit: "share",
            goal: "0",
            met: |v, _, _| Some(v == 0.0),
        },
        Row {
            key: "flood_wrong_answers",
            what: "Flood at 3 R: anything but success or 503 + Retry-After",
            unit: "answers",
            goal: "0",
            met: |v, _, _| Some(v == 0.0),
        },
        Row { key: "flood_served_share", what: "Flood at 3 R: signed in", unit: "share", goal: "", met: none },
        Row { key: "flood_login_p95_ms", what: "Flood at 3 R: sign-in page p95", unit: "ms", goal: "", met: none },
        Row {
            key: "flood_peak_rss_mib",
            what: "Flood at 3 R: peak RSS",
            unit: "MiB",
            goal: "<= 64 + 7 x cores",
            met: |v, l, _| Some(v <= 64.0 + 7.0 * l.cores as f64),
        },
        Row { key: "after_flood_rss_mib", what: "RSS 5 s after the flood", unit: "MiB", goal: "near idle", met: none },
        Row { key: "mfa_cpu_us", what: "Server CPU per MFA step", unit: "us", goal: "", met: none },
        Row {
            key: "mfa_per_s_measured",
            what: "MFA steps per second (8 connections)",
            unit: "/s",
            goal: ">= 2000 (SQLite)",
            met: |v, _, db| (db == "SQLite").then_some(v >= 2000.0),
        },
        Row {
            key: "mfa_per_s_by_cpu",
            what: "MFA steps per second the server's CPU alone would allow (cores / CPU per step)",
            unit: "/s",
            goal: "",
            met: none,
        },
        Row {
            key: "commits_per_sign_in",
            what: "Durable commits per sign-in (SQLite: fsyncs; PostgreSQL: write transactions but the per-IP limit's)",
            unit: "",
            goal: "<= 2",
            met: |v, _, _| Some(v <= 2.0),
        },
        Row {
            key: "commits_per_mfa_step",
            what: "Durable commits per MFA step (as above)",
            unit: "",
            goal: "<= 2",
            met: |v, _, _| Some(v <= 2.0),
        },
        Row { key: "healthz_per_s", what: "/healthz", unit: "/s", goal: "", met: none },
        Row { key: "healthz_cpu_us", what: "/healthz server CPU", unit: "us", goal: "", met: none },
        Row { key: "home_per_s", what: "Signed-in page (GET / with a session)", unit: "/s", goal: "", met: none },
        Row { key: "home_cpu_us", what: "Signed-in page server CPU", unit: "us", goal: "", met: none },
        Row {
            key: "home_ratio",
            what: "Signed-in page / healthz",
            unit: "",
            goal: ">= 0.25 SQLite, >= 0.15 PostgreSQL",
            met: |v, _, db| Some(v >= if db == "SQLite" { 0.25 } else { 0.15 }),
        },
        Row { key: "login_per_s", what: "/login, no compression", unit: "/s", goal: "", met: none },
        Row { key: "login_cpu_us", what: "/login server CPU, no compression", unit: "us", goal: "", met: none },
        Row { key: "login_br_per_s", what: "/login with a browser's Accept-Encoding", unit: "/s", goal: "", met: none },
        Row { key: "login_br_cpu_us", what: "/login server CPU, compressed", unit: "us", goal: "", met: none },
        Row {
            key: "login_br_ratio",
            what: "/login compressed / uncompressed",
            unit: "",
            goal: ">= 0.8",
            met: |v, _, _| Some(v >= 0.8),
        },
        Row {
            key: "first_visit_bytes",
            what: "First visit to /login, bytes transferred",
            unit: "bytes",
            goal: "<= 100000",
            met: |v, _, _| Some(v <= 100_000.0),
        },
        Row { key: "idle_rss_mib", what: "Idle RSS", unit: "MiB", goal: "<= 16", met: |v, _, _| Some(v <= 16.0) },
        Row {
            key: "idle_anon_mib",
            what: "Of which the process's own memory (the rest: pages of the binary, shared and reclaimable)",
            unit: "MiB",
            goal: "",
            met: none,
        },
        Row {
            key: "cold_start_ms",
            what: "Cold start (exec to ready)",
            unit: "ms",
            goal: "<= 100",
            met: |v, _, _| Some(v <= 100.0),
        },
    ]
}

fn report(limit: &Limit, sections: &[(&str, Vec<Figures>)]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0) / 1024 / 1024)
        })
        .unwrap_or(0);
    writeln!(out, "# Benchmarks\n").unwrap();
    writeln!(
        out,
        "Written by `make bench` ({}). Every figure is measured in the same run as the limit it is \
         compared with; min / median / max of {RUNS} runs; the goal is checked against the median.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    )
    .unwrap();
    writeln!(out, "- Machine: {cpu}, {} cores, {mem} GiB", limit.cores).unwrap();
    writeln!(
        out,
        "- Password hash: argon2id m={ARGON2_M_KIB} KiB, t={ARGON2_T}, p={ARGON2_P}; one verify t_hash = {:.2} ms of CPU, so R = cores / t_hash = {:.0} sign-ins/s",
        ms(limit.t_hash),
        limit.r
    )
    .unwrap();
    writeln!(
        out,
        "- Load: this process, over HTTP/1.1 keep-alive connections on loopback (open loops: a new connection per person); \
         server CPU from /proc; {PLAIN_USERS} accounts without MFA, {MFA_USERS} with an authenticator app\n"
    )
    .unwrap();
    for (db, runs) in sections {
        writeln!(out, "## {db}\n").unwrap();
        writeln!(out, "| Figure | Unit | Min | Median | Max | Goal | Met |").unwrap();
        writeln!(out, "|---|---|---:|---:|---:|---|---|").unwrap();
        for row in rows() {
            let mut values: Vec<f64> = runs.iter().filter_map(|f| f.get(row.key).copied()).collect();
            if values.is_empty() {
                continue;
            }
            values.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let median = values[values.len() / 2];
            let met = match (row.met)(median, limit, db) {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.what,
                row.unit,
                show(values[0]),
                show(median),
                show(values[values.len() - 1]),
                row.goal,
                met
            )
            .unwrap();
        }
        writeln!(out).unwrap();
    }
    out
}

fn show(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

async fn fresh_postgres(server: &str) -> Result<(String, String), String> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(server).await.map_err(|e| e.to_string())?;
    let name = format!("tessera_bench_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.map_err(|e| e.to_string())?;
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
    Ok((format!("{base}/{name}"), name))
}

async fn drop_postgres(server: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(server).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
    }
}
