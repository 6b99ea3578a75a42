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
