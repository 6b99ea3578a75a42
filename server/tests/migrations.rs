//! Upgrades: a database made by the previous release keeps its people and their roles when the
//! roles migration rebuilds memberships (SQLite) or alters them (PostgreSQL), and its business
//! hours' fixed offsets become time zones.

mod common;

use std::borrow::Cow;

use sqlx::migrate::Migrator;
use sqlx::Connection;
use tessera_server::model::{canonical_email, Role, Zone};
use tessera_server::store;

/// Rows as the release before roles wrote them: one organisation, three people.
const OLD_DATA: &[&str] = &[
    "INSERT INTO organisations (name, name_canonical, kind, created_at) VALUES ('Acme', 'acme', 'standard', 1)",
    "INSERT INTO users (email, email_canonical, display_name, disabled, created_at, updated_at) VALUES \
     ('ada@example.org', 'ada@example.org', 'Ada', FALSE, 1, 1), \
     ('bob@example.org', 'bob@example.org', 'Bob', FALSE, 1, 1), \
     ('cy@example.org', 'cy@example.org', 'Cy', FALSE, 1, 1), \
     ('\u{ff24}\u{ff21}\u{ff2e}@example.org', '\u{ff44}\u{ff41}\u{ff4e}@example.org', 'Dan', FALSE, 1, 1), \
     ('eve@example.org', 'eve@example.org', 'Eve', FALSE, 1, 1), \
     ('\u{ff45}ve@example.org', '\u{ff45}ve@example.org', 'Eve2', FALSE, 1, 1)",
    "INSERT INTO memberships (org_id, user_id, role, created_at) \
     SELECT o.id, u.id, CASE u.display_name WHEN 'Ada' THEN 'owner' WHEN 'Bob' THEN 'admin' ELSE 'member' END, 1 \
     FROM organisations o, users u",
];

fn before(version: i64, mut m: Migrator) -> Migrator {
    m.migrations = Cow::Owned(m.migrations.iter().filter(|x| x.version < version).cloned().collect());
    m
}

/// Business hours as the release before time zones kept them: fixed offsets from UTC.
const OLD_OFFSETS: &[&str] = &[
    "UPDATE organisations SET utc_offset_minutes = 330 WHERE name = 'Acme'",
    "INSERT INTO organisations (name, name_canonical, kind, created_at, utc_offset_minutes) VALUES \
     ('East', 'east', 'standard', 1, 60), ('West', 'west', 'standard', 1, -300), \
     ('Odd', 'odd', 'standard', 1, -90), ('Zero', 'zero', 'standard', 1, 0)",
];

/// Each offset became the zone that keeps it exactly, or stayed fixed.
async fn check_zones(url: &str) {
    let s = store::connect(url).await.unwrap();
    let mut zones = Vec::new();
    for name in ["Acme", "East", "West", "Odd", "Zero"] {
        let org = s.find_organisation_by_name(name).await.unwrap().unwrap();
        zones.push(s.business_hours(org.id).await.unwrap().zone.name().to_string());
    }
    assert_eq!(zones, ["Asia/Kolkata", "Etc/GMT-1", "Etc/GMT+5", "UTC-01:30", "UTC"]);
    // Every one of them is a zone Tessera knows.
    assert!(zones.iter().all(|z| Zone::parse(z).is_some()), "{zones:?}");
}

async fn check(url: &str) {
    let s = store::connect(url).await.expect("the full set of migrations runs");
    let mut roles = Vec::new();
    for email in ["ada@example.org", "bob@example.org", "cy@example.org"] {
        let id = s.credentials_by_email(email).await.unwrap().unwrap().user_id;
        roles.push(s.primary_membership(id).await.unwrap().unwrap().1.builtin);
    }
    assert_eq!(roles, [Some(Role::Owner), Some(Role::Admin), Some(Role::Member)]);
    // Addresses kept before look-alikes were folded together are found by today's canonical form;
    // a look-alike of another account keeps its old form rather than taking the other's.
    let dan = s.credentials_by_email(&canonical_email("\u{ff24}\u{ff21}\u{ff2e}@example.org")).await.unwrap();
    assert!(dan.is_some() && canonical_email("\u{ff24}\u{ff21}\u{ff2e}@example.org") == "dan@example.org");
    let eve = s.credentials_by_email("eve@example.org").await.unwrap().unwrap().user_id;
    let eve2 = s.credentials_by_email("\u{ff45}ve@example.org").await.unwrap().unwrap().user_id;
    assert_ne!(eve, eve2);
    let org = s.find_organisation_by_name("Acme").await.unwrap().unwrap();
    let names: Vec<String> = s.roles(org.id).await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["Owner", "Administrator", "Help desk", "Member"]);
}

#[tokio::test]
async fn members_keep_their_roles_through_the_roles_migration_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    before(4, sqlx::migrate!("../migrations/sqlite")).run(&mut c).await.unwrap();
    for sql in OLD_DATA {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    before(7, sqlx::migrate!("../migrations/sqlite")).run(&mut c).await.unwrap();
    for sql in OLD_OFFSETS {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    c.close().await.unwrap();
    check(&url).await;
    check_zones(&url).await;
}

#[tokio::test]
async fn members_keep_their_roles_through_the_roles_migration_on_postgres() {
    let Some((url, name)) = common::fresh_postgres().await else {
        eprintln!("TESSERA_TEST_POSTGRES_URL is not set: PostgreSQL migration not checked");
        return;
    };
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    before(4, sqlx::migrate!("../migrations/postgres")).run(&mut c).await.unwrap();
    for sql in OLD_DATA {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    before(7, sqlx::migrate!("../migrations/postgres")).run(&mut c).await.unwrap();
    for sql in OLD_OFFSETS {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    c.close().await.unwrap();
    check(&url).await;
    check_zones(&url).await;
    common::drop_postgres(&name).await;
}

/// The rule that lets an instance one release behind keep serving while a newer one has
/// migrated the shared database (README, "Many instances"): since the roles rebuild (0008 and
/// before), migrations only add. And none builds an index CONCURRENTLY, which PostgreSQL refuses
/// inside the transaction the migrator runs each file in.
#[test]
fn migrations_only_add_so_the_previous_release_keeps_serving() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut checked = 0;
    for db in ["sqlite", "postgres"] {
        for entry in std::fs::read_dir(root.join(db)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let version: u32 = name.split('_').next().unwrap().parse().unwrap();
            let sql: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(|l| l.split("--").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase();
            let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(!sql.contains("CONCURRENTLY"), "{db}/{name}");
            if version > 8 {
                for removal in ["DROP TABLE", "DROP COLUMN", "RENAME"] {
                    assert!(!sql.contains(removal), "{db}/{name} has {removal}: removals wait for the release after");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "the later migrations were read ({checked})");
}

/// What a newer release's migration leaves in the migrator's table: a version this one does not
/// know.
const NEWER_RELEASE: &str = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
     VALUES (99990101, 'a newer release', TRUE, {checksum}, 1)";

/// In a rolling upgrade an instance of the previous release may restart after the new one has
/// migrated (or the operator rolls back): it starts and serves on the newer database.
async fn an_older_instance_starts_on(url: &str) {
    drop(store::connect(url).await.unwrap());
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(&NEWER_RELEASE.replace("{checksum}", "X'00'")).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(&NEWER_RELEASE.replace("{checksum}", "'\\x00'")).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    let s = store::connect(url).await.expect("an instance one release behind starts on the migrated database");
    assert!(s.find_organisation_by_name("Acme").await.unwrap().is_none(), "and answers");
}

#[tokio::test]
async fn an_instance_one_release_behind_starts_on_a_database_a_newer_one_migrated() {
    let dir = tempfile::tempdir().unwrap();
    an_older_instance_starts_on(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display())).await;
    let Some((url, name)) = common::fresh_postgres().await else {
        eprintln!("TESSERA_TEST_POSTGRES_URL is not set: checked on SQLite only");
        return;
    };
    an_older_instance_starts_on(&url).await;
    common::drop_postgres(&name).await;
}
