//! The operator commands, run as the real binary against a fresh SQLite data directory.

#![cfg(feature = "ssr")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tessera(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("TESSERA_DATA_DIR", data)
        .env_remove("TESSERA_DATABASE_URL")
        .env_remove("TESSERA_SECRET_KEY")
        .env("TESSERA_BASE_URL", "https://id.example.org")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tessera");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn operators_create_organisations_and_users() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let o = tessera(&data, &["migrate"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(data.join("tessera.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the data directory is private");
    }

    let o = tessera(
        &data,
        &[
            "org",
            "create",
            "--name",
            "Acme Health",
            "--kind",
            "healthcare",
            "--owner-email",
            "ada@example.org",
            "--owner-password-stdin",
        ],
        Some("plum tractor sings quietly tonight\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("Created organisation \"Acme Health\""));
    assert!(!stdout(&o).contains("set-password"), "a password was given: no link");

    // No password: a one-time link on the public URL.
    let o =
        tessera(&data, &["user", "add", "--org", "acme health", "--email", "bob@example.org", "--role", "admin"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("Added bob@example.org to \"acme health\" as Administrator."), "{out}");
    assert!(out.contains("https://id.example.org/set-password?token="), "{out}");

    // Mistakes are explained, with a non-zero exit and no panic.
    let o = tessera(&data, &["user", "add", "--org", "Nope", "--email", "c@example.org", "--role", "member"], None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("organisation not found"));
    let o = tessera(
        &data,
        &["user", "add", "--org", "Acme Health", "--email", "BOB@example.org", "--role", "member"],
        None,
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    let o = tessera(
        &data,
        &[
            "user",
            "add",
            "--org",
            "Acme Health",
            "--email",
            "carol@example.org",
            "--role",
            "member",
            "--password-stdin",
        ],
        Some("password\n"),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("too easy to guess"));
    // Healthcare organisations cannot lower their MFA policy; standard ones can.
    let o = tessera(&data, &["org", "set-policy", "--org", "Acme Health", "visible"], None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("must require multi-factor authentication"));
    let o = tessera(
        &data,
        &["org", "create", "--name", "Plain", "--owner-email", "pat@example.org", "--owner-password-stdin"],
        Some("plum tractor sings quietly tonight\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Outside MFA-required organisations a short password is refused...
    let o = tessera(
        &data,
        &["user", "add", "--org", "Plain", "--email", "eve@example.org", "--role", "member", "--password-stdin"],
        Some("Vq7#mZp2xL!w\n"),
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 15"));
    let o = tessera(&data, &["org", "set-policy", "--org", "Plain", "required", "--grace-days", "7"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("MFA policy of \"Plain\" is now required."));
    // Email codes as a second factor: on and off for a standard organisation, never for healthcare.
    let o = tessera(&data, &["org", "email-codes", "--org", "Plain", "on"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("Email codes as a second factor are now allowed in \"Plain\"."));
    // Password expiry: 30 to 365 days, or off.
    let o = tessera(&data, &["org", "password-expiry", "--org", "Plain", "90"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("Passwords in \"Plain\" now expire after 90 days."));
    let o = tessera(&data, &["org", "password-expiry", "--org", "Plain", "7"], None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("30 to 365 days"));
    let o = tessera(&data, &["org", "password-expiry", "--org", "Plain", "off"], None);
    assert!(stdout(&o).contains("Passwords in \"Plain\" no longer expire."));
    let o = tessera(&data, &["org", "email-codes", "--org", "Acme Health", "on"], None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("must use an authenticator app"));
    // ...where MFA is required, 8 characters are enough (the other rules still apply).
    let o = tessera(
        &data,
        &["user", "add", "--org", "Plain", "--email", "eve@example.org", "--role", "member", "--password-stdin"],
        Some("Vq7#mZp2xL!w\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o =
        tessera(&data, &["user", "add", "--org", "Acme Health", "--email", "d@example.org", "--role", "root"], None);
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}

#[test]
fn operators_hand_out_reset_links_and_reset_mfa() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = tessera(
        &data,
        &["org", "create", "--name", "Acme", "--owner-email", "ada@example.org", "--owner-password-stdin"],
        Some("plum tractor sings quietly tonight\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = tessera(&data, &["user", "reset-password", "--org", "Acme", "--email", "ADA@example.org"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("(valid 60 minutes, single use): https://id.example.org/reset-password?token="), "{out}");

    // Someone invited who never chose a password has no password to reset.
    let o = tessera(&data, &["user", "add", "--org", "Acme", "--email", "bob@example.org", "--role", "member"], None);
    assert!(o.status.success());
    let o = tessera(&data, &["user", "reset-password", "--org", "Acme", "--email", "bob@example.org"], None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no password yet"));
    // A password of nothing but the person's own words is refused here as on every other path.
    let o = tessera(
        &data,
        &[
            "user",
            "add",
            "--org",
            "Acme",
            "--email",
            "max@frame.test",
            "--name",
            "Max Member",
            "--role",
            "member",
            "--password-stdin",
        ],
        Some("Max-Member-Frame-Test-2026\n"),
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("made only of the person's own name, email address or organisation's name"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = tessera(&data, &["user", "reset-password", "--org", "Acme", "--email", "nobody@example.org"], None);
    assert!(String::from_utf8_lossy(&o.stderr).contains("member of that organisation not found"));

    let args = ["user", "reset-mfa", "--org", "Acme", "--email", "ada@example.org", "--reason", "ticket 7"];
    let o = tessera(&data, &args, None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no MFA to reset"));
    let o = tessera(&data, &args[..args.len() - 2], None);
    assert!(!o.status.success(), "a reason is required");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--reason"));

    // Whether a reset may go ahead on a request verified by email only.
    let o = tessera(&data, &["org", "email-only-resets", "--org", "Acme", "on"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("verified by email only are now allowed (and flagged) in \"Acme\""), "{}", stdout(&o));
    let o = tessera(&data, &["org", "email-only-resets", "--org", "Acme", "off"], None);
    assert!(stdout(&o).contains("verified by email only are now refused"), "{}", stdout(&o));
}

#[test]
fn operators_send_the_security_digest_now() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = tessera(
        &data,
        &["org", "create", "--name", "Acme", "--owner-email", "ada@example.org", "--owner-password-stdin"],
        Some("plum tractor sings quietly tonight\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = tessera(&data, &["digest", "send", "--org", "Acme"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("The security digest of \"Acme\" is on its way to 1 person."), "{}", stdout(&o));
    // Without a mail server, mail lands in the outbox: the digest is there, with its one-click link.
    let outbox: Vec<String> = std::fs::read_dir(data.join("outbox"))
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect();
    let digest = outbox.iter().find(|m| m.contains("Subject: Tessera: the week in Acme")).expect("the digest");
    assert!(
        digest.contains("To: ada@example.org") && digest.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    let o = tessera(&data, &["digest", "send", "--org", "Nowhere"], None);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("organisation not found"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `tessera serve` on `addr` with a fresh data directory, its output piped as a service
/// manager would.
fn serve(data: &std::path::Path, addr: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tessera"));
    c.arg("serve")
        // What cargo-leptos builds into the release binary; this test build gets it at run time.
        .env("LEPTOS_OUTPUT_NAME", "tessera")
        .env_remove("LEPTOS_SITE_ADDR")
        .env("TESSERA_DATA_DIR", data)
        .env("TESSERA_ADDR", addr)
        .env_remove("TESSERA_DATABASE_URL")
        .env_remove("TESSERA_SECRET_KEY")
        .env_remove("TESSERA_BASE_URL")
        .env_remove("RUST_BACKTRACE")
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

#[test]
fn a_taken_address_is_one_plain_line_and_nothing_is_created_or_printed() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = serve(&data, &addr).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line, no backtrace: {err}");
    assert!(
        lines[0].starts_with(&format!("Tessera cannot listen on {addr}: something else already uses that address."))
            && lines[0].contains("TESSERA_ADDR"),
        "{err}"
    );
    assert_eq!(stdout(&o), "", "no setup link for a server that never ran");
    assert!(!data.exists(), "no data directory, no database");
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    use std::io::BufRead;
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve(&dir.path().join("data"), &addr).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let done = line.contains("Tessera is listening");
            let _ = tx.send(line);
            if done {
                break;
            }
        }
    });
    let mut log = Vec::new();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(120)) {
        let done = line.contains("Tessera is listening");
        log.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(log.iter().any(|l| l.contains("Tessera is listening") && l.contains(&addr)), "{log:?}");
    assert!(log.iter().all(|l| !l.contains('\u{1b}')), "no escape codes: {log:?}");
}

/// Sends one HTTP/1.1 request to `addr` and returns the whole answer (head and body).
fn http(addr: &str, head: &str, body: &str) -> String {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let request =
        format!("{head}\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
}

/// A server started with its log written to a file, `extra` settings on top, and its address.
struct Served {
    child: std::process::Child,
    addr: String,
    log_path: std::path::PathBuf,
    out_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start(extra: &[(&str, &str)]) -> Served {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap().to_string();
        drop(free);
        let dir = tempfile::tempdir().unwrap();
        let (log_path, out_path) = (dir.path().join("tessera.log"), dir.path().join("stdout.txt"));
        let mut command = serve(&dir.path().join("data"), &addr);
        command.envs(extra.iter().copied());
        command.stderr(std::fs::File::create(&log_path).unwrap()).stdout(std::fs::File::create(&out_path).unwrap());
        let served = Served { child: command.spawn().unwrap(), addr, log_path, out_path, _dir: dir };
        let started = std::time::Instant::now();
        while !served.log().contains("Tessera is listening") {
            assert!(started.elapsed().as_secs() < 120, "{}", served.log());
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        served
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap()
    }

    /// Stops the server; returns its log.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log()
    }
}

/// Serves a few requests in `format` (a kept id, a forged one, the first-run setup with its
/// secret link and a password); returns the log, the three answers' ids and the secrets.
fn log_of_a_setup(format: &str) -> (String, [String; 3], [String; 2]) {
    let served = Served::start(&[("TESSERA_LOG_FORMAT", format), ("RUST_LOG", "info,tower_http=debug")]);
    let addr = served.addr.clone();
    // The setup link (a secret for the operator, on stdout) and a password sent with it.
    let printed = std::fs::read_to_string(&served.out_path).unwrap();
    let token: String =
        printed.split("token=").nth(1).expect("a setup link").chars().take_while(|c| !c.is_whitespace()).collect();
    let password = "juniper kettle orbits softly";

    let kept = http(&addr, "GET /healthz HTTP/1.1\r\nX-Request-Id: probe-1.a", "");
    assert_eq!(header(&kept, "x-request-id"), Some("probe-1.a"), "{kept}");
    let replaced = http(&addr, "GET /login HTTP/1.1\r\nX-Request-Id: {\"forged\":1}", "");
    let made = header(&replaced, "x-request-id").expect("an id").to_string();
    assert!(made.len() == 24 && made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
    let form = format!(
        "token={token}&org_name=Log+Works&org_kind=standard&display_name=Lou&email=lou%40example.org&password={}",
        password.replace(' ', "+")
    );
    let head = format!(
        "POST /api/setup HTTP/1.1\r\nOrigin: http://{addr}\r\nSec-Fetch-Site: same-origin\r\nAccept: text/plain\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nX-Request-Id: setup-2"
    );
    let setup = http(&addr, &head, &form);
    assert_eq!(header(&setup, "x-request-id"), Some("setup-2"), "{setup}");
    assert!(setup.starts_with("HTTP/1.1 200"), "the organisation is made: {setup}");
    (served.stop(), ["probe-1.a".into(), made, "setup-2".into()], [token, password.into()])
}

#[test]
fn logs_in_a_file_carry_each_answers_request_id_and_no_secret_in_text_or_json() {
    for format in ["text", "json"] {
        let (log, ids, secrets) = log_of_a_setup(format);
        assert!(!log.contains('\u{1b}'), "{format}: no escape codes");
        for secret in &secrets {
            assert!(!log.contains(secret.as_str()), "{format}: no secret in the log");
        }
        let mut lines_of = std::collections::HashMap::<String, usize>::new();
        for line in log.lines() {
            let id = if format == "json" {
                let entry: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                assert!(
                    entry["timestamp"].is_string() && entry["level"].is_string() && entry["target"].is_string(),
                    "{line}"
                );
                entry["span"]["id"].as_str().map(str::to_string)
            } else {
                line.split("request{id=").nth(1).and_then(|rest| rest.split([' ', '}']).next()).map(str::to_string)
            };
            if let Some(id) = id {
                *lines_of.entry(id).or_default() += 1;
            }
        }
        for id in &ids {
            assert!(
                lines_of.get(id).copied().unwrap_or(0) >= 2,
                "{format}: the lines of {id} name it: {lines_of:?}\n{log}"
            );
        }
    }
}

#[test]
fn metrics_are_served_on_their_own_address_only() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics = free.local_addr().unwrap().to_string();
    drop(free);
    let served = Served::start(&[("TESSERA_METRICS_ADDR", metrics.as_str())]);
    let addr = served.addr.clone();
    let page = http(&addr, "GET /login HTTP/1.1", "");
    let public = http(&addr, "GET /metrics HTTP/1.1", "");
    let scraped = http(&metrics, "GET /metrics HTTP/1.1", "");
    let elsewhere = http(&metrics, "GET /login HTTP/1.1", "");
    served.stop();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(public.starts_with("HTTP/1.1 404"), "not on the public address: {public}");
    assert!(
        scraped.starts_with("HTTP/1.1 200") && header(&scraped, "content-type") == Some("text/plain; version=0.0.4")
    );
    assert!(scraped.contains("tessera_http_request_duration_seconds_bucket{kind=\"page\",le=\"0.001\"}"), "{scraped}");
    assert!(scraped.contains("# HELP tessera_http_request_duration_seconds"), "{scraped}");
    assert!(elsewhere.starts_with("HTTP/1.1 404"), "{elsewhere}");
}

/// The `kid`s of the key set `addr` publishes.
fn published_kids(addr: &str) -> Vec<String> {
    let answer = http(addr, "GET /oauth2/jwks HTTP/1.1", "");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(header(&answer, "content-type"), Some("application/json"));
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let set: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    set["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_string()).collect()
}

#[test]
fn signing_keys_are_made_at_the_first_start_and_rotated_by_the_operator() {
    let served = Served::start(&[]);
    let first = published_kids(&served.addr);
    assert_eq!(first.len(), 2, "an ES256 and an RS256 key: {first:?}");
    let data = served._dir.path().join("data");
    let o = tessera(&data, &["keys", "rotate"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = stdout(&o);
    assert!(said.contains("the replaced ones stay published for 15 minutes"), "{said}");
    let now = published_kids(&served.addr);
    served.stop();
    assert_eq!(now.len(), 4, "{now:?}");
    for kid in &first {
        assert!(now.contains(kid) && !said.contains(kid.as_str()), "the old key {kid} is still published");
    }
    assert_eq!(now.iter().filter(|k| said.contains(k.as_str())).count(), 2, "{said}");
}

/// The text after `label` on its line of `out`.
fn printed_after<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines().find_map(|l| l.split_once(label).map(|(_, v)| v.trim())).unwrap_or_else(|| panic!("{label}: {out}"))
}

#[test]
fn operators_register_list_rotate_and_remove_applications() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = tessera(
        &data,
        &["org", "create", "--name", "Acme", "--owner-email", "ada@example.org", "--owner-password-stdin"],
        Some("plum tractor sings quietly tonight\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let add = |extra: &[&str]| {
        let mut args = vec!["app", "add", "--org", "Acme", "--name", "Wiki", "--type", "confidential"];
        args.extend_from_slice(extra);
        tessera(&data, &args, None)
    };
    let refused = add(&["--redirect-uri", "http://wiki.example.org/cb"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("must use https"), "{refused:?}");
    let o = add(&["--redirect-uri", "https://wiki.example.org/cb", "--roles", "Administrator", "--require-mfa"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let (client_id, secret) = (printed_after(&out, "Client id:"), printed_after(&out, "keep it now):"));
    assert!(client_id.len() >= 20 && secret.len() >= 40, "{out}");

    let list = stdout(&tessera(&data, &["app", "list", "--org", "Acme"], None));
    assert!(list.contains(&format!("{client_id}  Wiki  (confidential, requires MFA, ID tokens RS256)")), "{list}");
    assert!(list.contains("redirect URI: https://wiki.example.org/cb") && !list.contains(secret), "{list}");

    let o = tessera(&data, &["app", "rotate-secret", "--org", "Acme", "--client-id", client_id], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rotated = stdout(&o);
    let fresh = printed_after(&rotated, "the old one no longer works):");
    assert!(fresh.len() >= 40 && fresh != secret, "{rotated}");
    let o = tessera(&data, &["app", "remove", "--org", "Acme", "--client-id", client_id], None);
    assert!(stdout(&o).contains("Removed \"Wiki\" from \"Acme\"."), "{o:?}");
    assert!(stdout(&tessera(&data, &["app", "list", "--org", "Acme"], None)).contains("has no applications yet"));
}

/// A provider's metadata on loopback, for as many requests as come: its issuer is its origin.
fn metadata_server() -> String {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let issuer = origin.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = format!(
                r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/auth","jwks_uri":"{issuer}/jwks","response_types_supported":["code"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}}"#
            );
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
        }
    });
    origin
}

#[test]
fn operators_add_list_and_remove_sign_in_providers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let issuer = metadata_server();
    let o = tessera(&data, &["sso", "list"], None);
    assert_eq!(stdout(&o), "No sign-in providers yet.\n");
    let add = |args: &[&str], secret: Option<&str>| {
        let mut all = vec!["sso", "add"];
        all.extend_from_slice(args);
        tessera(&data, &all, secret)
    };
    // The secret comes on standard input, never as an argument.
    let o = add(
        &["oidc", "--name", "Okta", "--issuer", &issuer, "--client-id", "tessera", "--client-secret-stdin"],
        Some("the secret\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o), format!("Added \"Okta\" ({issuer}).\n"));
    let o = add(&["oidc", "--name", "Okta", "--issuer", &issuer, "--client-id", "tessera"], Some("the secret\n"));
    assert!(!o.status.success(), "--client-secret-stdin is required");
    // Every refusal says what to do.
    for (args, says) in [
        (vec!["microsoft", "--client-id", "x", "--client-secret-stdin"], "Microsoft needs at least one --tenant"),
        (
            vec!["microsoft", "--client-id", "x", "--client-secret-stdin", "--tenant", "contoso.com"],
            "\"contoso.com\" is not a tenant id",
        ),
        (
            vec!["oidc", "--name", "OKTA", "--issuer", issuer.as_str(), "--client-id", "x", "--client-secret-stdin"],
            "already a provider named \"OKTA\"",
        ),
        (
            vec![
                "oidc",
                "--name",
                "Gone",
                "--issuer",
                "http://127.0.0.1:9",
                "--client-id",
                "x",
                "--client-secret-stdin",
            ],
            "did not answer as an OpenID Connect provider: it could not be reached",
        ),
    ] {
        let o = add(&args, Some("s\n"));
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let o = add(&["google", "--client-id", "x", "--client-secret-stdin"], Some("\n"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no client secret on standard input"));
    let o = tessera(&data, &["sso", "list"], None);
    assert_eq!(stdout(&o), format!("Okta  (oidc, issuer {issuer}, client id tessera)\n"));
    assert!(!stdout(&o).contains("the secret"));
    // An organisation's people may use it once allowed.
    let o = tessera(&data, &["org", "create", "--name", "Acme", "--owner-email", "ada@example.org"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = tessera(&data, &["sso", "allow", "--org", "Acme", "okta"], None);
    assert_eq!(stdout(&o), "People of \"Acme\" may now link \"okta\" to their accounts and sign in with it.\n");
    let o = tessera(&data, &["sso", "allow", "--org", "Nope", "okta"], None);
    assert!(!o.status.success());
    // Or only with accounts from some domains: each one checked.
    let o = tessera(&data, &["sso", "allow", "--org", "Acme", "okta", "--from", "example.org", "--from", "nope"], None);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--from has a problem: line 2 is not a domain name like example.org"), "{err}");
    let o = tessera(&data, &["sso", "allow", "--org", "Acme", "okta", "--from", "example.org"], None);
    assert_eq!(stdout(&o), "People of \"Acme\" may now link \"okta\" to their accounts and sign in with it, with accounts from example.org only.\n");
    let o = tessera(&data, &["sso", "disallow", "--org", "Acme", "Okta"], None);
    assert_eq!(stdout(&o), "People of \"Acme\" no longer sign in with \"Okta\".\n");
    let o = tessera(&data, &["sso", "remove", "okta"], None);
    assert_eq!(stdout(&o), "Removed \"okta\": nobody signs in with it any more.\n");
    let o = tessera(&data, &["sso", "remove", "okta"], None);
    assert!(!o.status.success());
    assert_eq!(stdout(&tessera(&data, &["sso", "list"], None)), "No sign-in providers yet.\n");
}
