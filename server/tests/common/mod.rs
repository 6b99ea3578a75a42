//! Runs one story against SQLite (always) and PostgreSQL (when `TESSERA_TEST_POSTGRES_URL` names a
//! server; CI always sets it). Each run gets a fresh database.

#![allow(dead_code)]

pub mod idp;

use std::future::Future;
use std::sync::Arc;

use sqlx::Connection;
use tessera_server::clock::{Clock, FixedClock, Timestamp};
use tessera_server::config::Config;
use tessera_server::password::PasswordHasher;
use tessera_server::secret::SecretKey;
use tessera_server::store::{self, Store};
use tessera_server::Tessera;

/// 2026-11-22T12:00:00Z
pub const T0: Timestamp = Timestamp(1_795_348_800_000);

pub struct Env {
    pub app: Arc<Tessera>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<FixedClock>,
    pub url: String,
    pub backend: &'static str,
    /// The data directory: mail lands in its `outbox/`.
    pub data: tempfile::TempDir,
}

impl Env {
    /// The messages in the outbox, oldest first.
    pub fn outbox(&self) -> Vec<String> {
        let dir = self.data.path().join("outbox");
        let mut files: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(d) => d.map(|e| e.unwrap().path()).collect(),
            Err(_) => return Vec::new(),
        };
        files.sort();
        // Undo quoted-printable soft line breaks so sentences can be searched for.
        files.into_iter().map(|f| std::fs::read_to_string(f).unwrap().replace("=\r\n", "")).collect()
    }
}

pub fn config(data: &std::path::Path) -> Config {
    let data = data.display().to_string();
    Config::from_lookup(|k| (k == "TESSERA_DATA_DIR").then(|| data.clone()), "127.0.0.1:3000").expect("config")
}

async fn env(url: String, backend: &'static str) -> Env {
    let data = tempfile::tempdir().expect("tempdir");
    let store = store::connect(&url).await.expect("open store");
    let clock = Arc::new(FixedClock::new(T0));
    let app = Arc::new(Tessera::new(
        store.clone(),
        clock.clone(),
        Arc::new(config(data.path())),
        PasswordHasher::new(2, 64),
        SecretKey::generate(),
    ));
    Env { app, store, clock, url, backend, data }
}

fn random_suffix() -> String {
    tessera_server::secret::Token::generate().hash()[..16].to_string()
}

/// Creates a fresh PostgreSQL database and returns its URL, or `None` without a server configured.
pub async fn fresh_postgres() -> Option<(String, String)> {
    let admin = std::env::var("TESSERA_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty())?;
    let name = format!("tessera_test_{}", random_suffix());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("TESSERA_TEST_POSTGRES_URL must be reachable");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
    let mut url = url::Url::parse(&admin).expect("postgres url");
    url.set_path(&format!("/{name}"));
    Some((url.to_string(), name))
}

pub async fn drop_postgres(name: &str) {
    let admin = std::env::var("TESSERA_TEST_POSTGRES_URL").expect("set");
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect");
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
}

/// Runs `story` on SQLite, then on PostgreSQL if configured.
pub async fn on_both<F, Fut>(story: F)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("tessera.db").display());
    story(env(url, "sqlite").await).await;
    match fresh_postgres().await {
        Some((url, name)) => {
            story(env(url, "postgres").await).await;
            drop_postgres(&name).await;
        }
        None => eprintln!("TESSERA_TEST_POSTGRES_URL is not set: PostgreSQL half of this story not run"),
    }
}

/// Runs one SQL statement straight against the story's database (for seeding bulk data).
pub async fn execute(env: &Env, sql: &str) {
    if env.url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&env.url).await.expect("connect sqlite");
        sqlx::query(sql).execute(&mut c).await.expect("execute");
    } else {
        let mut c = sqlx::PgConnection::connect(&env.url).await.expect("connect postgres");
        sqlx::query(sql).execute(&mut c).await.expect("execute");
    }
}

/// RFC 4648 base32 decoding of a setup key as shown, written here so the tests do not trust the
/// code under test.
pub fn base32_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buf, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        buf = (buf << 5) | alphabet.iter().position(|&a| a == c).expect("base32") as u32;
        bits += 5;
        if bits >= 8 {
            out.push((buf >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// The authenticator code for `secret` at the story's clock.
pub fn code_now(secret: &[u8], env: &Env) -> String {
    use tessera_server::totp;
    totp::code_for_step(secret, totp::step_at(env.clock.now()), 6, totp_rs::Algorithm::SHA1).unwrap()
}

/// The first column, as text, of every row a query returns straight from the story's database.
pub async fn query_texts(env: &Env, sql: &str) -> Vec<String> {
    if env.url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&env.url).await.expect("connect sqlite");
        sqlx::query_scalar(sql).fetch_all(&mut c).await.expect("query")
    } else {
        let mut c = sqlx::PgConnection::connect(&env.url).await.expect("connect postgres");
        sqlx::query_scalar(sql).fetch_all(&mut c).await.expect("query")
    }
}
