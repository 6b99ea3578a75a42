//! The SQL behind the store traits, one file per area, each written once and compiled for both
//! backends. Every query uses `$n` placeholders and SQL that SQLite and PostgreSQL read alike; the
//! only differences are how the pools are opened (here) and where the migrations live.
//!
//! Each area file implements its trait inside a `macro_rules!` expanded once per backend: a
//! generic impl over `sqlx::Database` would need `Encode`, `Decode` and `Type` bounds for every
//! value bound or read and executor bounds for every pool and transaction, more lines than the
//! SQL they serve.
//!
//! An insert that another area repeats inside its own transaction (a user, an audit row, an
//! organisation with its owner) is a `pub(super)` associated function of the store types, written
//! in its own area's file, so each statement still has one text.

mod access_codes;
mod accounts;
mod applications;
mod audit;
mod email_changes;
mod email_codes;
mod lender;
mod mail_schedule;
mod mail_templates;
mod mfa;
mod oidc;
mod orgs;
mod sessions;
mod signing_keys;
mod sso;
mod team;
mod throttle;
mod tokens;

use std::str::FromStr;
use std::time::Duration;

use lender::{Lender, PgLender};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{Organisation, Role};
use crate::roles::{Permissions, RoleInfo};

/// Brings addresses stored before look-alikes were folded together to today's canonical form
/// ([`crate::model::canonical_email`]). Only addresses with a non-ASCII character can differ
/// (`non_ascii` selects them in each dialect), so this costs one scan at start-up and no writes
/// once done. An address whose new form another account already holds is left as it was and
/// reported: merging two accounts is a person's decision, not a migration's.
macro_rules! recanonicalise_emails {
    ($pool:expr, $non_ascii:literal) => {{
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as(concat!("SELECT id, email, email_canonical FROM users WHERE ", $non_ascii))
                .fetch_all($pool)
                .await?;
        for (id, email, old) in rows {
            let new = crate::model::canonical_email(&email);
            if new == old {
                continue;
            }
            let r = sqlx::query("UPDATE users SET email_canonical = $1 WHERE id = $2").bind(&new).bind(id).execute($pool).await;
            match r.map_err(|e| Error::from_insert(e, "an account with that email")) {
                Ok(_) => tracing::info!(user_id = id, "an account's address is now compared in its canonical form"),
                Err(Error::Conflict(_)) => tracing::warn!(
                    user_id = id,
                    "two accounts have look-alike addresses; this one keeps its old form until an operator merges or renames them"
                ),
                Err(e) => return Err(e),
            }
        }
    }};
}

/// SQLite: one writer connection (SQLite has one writer anyway; queuing in the pool beats
/// `SQLITE_BUSY`) and a pool of read-only connections. WAL lets readers run beside the writer;
/// `synchronous=FULL` makes every commit durable, so a consumed code survives a power cut.
pub struct SqliteStore {
    writer: Lender,
    reader: Lender,
}

/// This release's migrations, to run at start. A database a newer release has already migrated
/// (in a rolling upgrade, or after a rollback) holds versions this one does not know; since
/// migrations only add (README, "Many instances"), this release still serves on it, so an
/// instance that restarts mid-upgrade starts instead of refusing with "migration N was
/// previously applied but is missing".
fn this_release(mut migrator: sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    migrator.set_ignore_missing(true);
    migrator
}

impl SqliteStore {
    fn lent_connections(&self) -> usize {
        self.reader.lent() + self.writer.lent()
    }

    pub async fn open(url: &str) -> Result<Self> {
        let base = SqliteConnectOptions::from_str(url)?
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .synchronous(SqliteSynchronous::Full);
        let writer = Lender::new(base.clone().create_if_missing(true).journal_mode(SqliteJournalMode::Wal), 1);
        {
            let mut conn = writer.lend().await?;
            this_release(sqlx::migrate!("../migrations/sqlite")).run(&mut *conn).await?;
            recanonicalise_emails!(&mut *conn, "length(CAST(email AS BLOB)) <> length(email)");
        }
        let readers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2);
        let reader = Lender::new(base.read_only(true), readers);
        Ok(SqliteStore { writer, reader })
    }

    /// Reads a pragma on the writer connection (for tests and diagnostics). `name` must be a
    /// plain identifier.
    pub async fn pragma(&self, name: &str) -> Result<String> {
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(Error::Invalid(format!("not a pragma name: {name}")));
        }
        use sqlx::Row as _;
        let row = sqlx::query(&format!("PRAGMA {name}")).fetch_one(&mut *self.writer.lend().await?).await?;
        match row.try_get::<i64, _>(0) {
            Ok(n) => Ok(n.to_string()),
            Err(_) => Ok(row.try_get::<String, _>(0)?),
        }
    }
}

/// A PostgreSQL connection idle this long is checked before it is used again.
const PG_CHECK_IDLE_AFTER: Duration = Duration::from_secs(10);

/// PostgreSQL: one pool; many stateless Tessera instances may share the database.
pub struct PgStore {
    writer: PgLender,
    reader: PgLender,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            // sqlx pings every connection taken from the pool by default: a round trip to the
            // server before each statement. Only a connection left idle a while is checked (the
            // server or a proxy may have closed it); one in steady use shows it is alive by
            // being used, and one that broke meanwhile fails its statement and is discarded.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PG_CHECK_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await?;
        this_release(sqlx::migrate!("../migrations/postgres")).run(&pool).await?;
        recanonicalise_emails!(&pool, "octet_length(email) <> length(email)");
        Ok(PgStore { writer: PgLender(pool.clone()), reader: PgLender(pool) })
    }

    /// One pool serves both roles here.
    fn lent_connections(&self) -> usize {
        self.reader.lent()
    }
}

fn parse_col<T: FromStr<Err = String>>(v: &str) -> Result<T> {
    v.parse::<T>().map_err(|e| Error::Database(sqlx::Error::Decode(e.into())))
}

// Read and written by more than one area.

/// The columns every query about an organisation selects, in this order.
const ORG_COLUMNS: &str =
    "o.id, o.name, o.kind, o.created_at, o.mfa_policy, o.mfa_grace_until, o.email_codes_allowed, o.password_max_age_days";

type OrgRow = (i64, String, String, i64, String, Option<i64>, bool, Option<i32>);

fn org_from_row(
    (id, name, kind, created_at, policy, grace, email_codes_allowed, max_age): OrgRow,
) -> Result<Organisation> {
    Ok(Organisation {
        id,
        name,
        kind: parse_col(&kind)?,
        created_at: Timestamp(created_at),
        mfa_policy: parse_col(&policy)?,
        mfa_grace_until: grace.map(Timestamp),
        email_codes_allowed,
        password_max_age_days: max_age.and_then(|d| u32::try_from(d).ok()),
    })
}

/// The columns every query about a role selects, in this order: id, builtin, name, permissions,
/// requires_mfa, email_codes.
const ROLE_COLUMNS: &str = "r.id, r.builtin, r.name, r.permissions, r.requires_mfa, r.email_codes";

type RoleRow = (i64, Option<String>, String, String, bool, bool);

fn role_from_row((id, builtin, name, permissions, requires_mfa, email_codes): RoleRow) -> Result<RoleInfo> {
    Ok(RoleInfo {
        id,
        builtin: builtin.as_deref().map(parse_col::<Role>).transpose()?,
        name,
        custom_permissions: parse_col::<Permissions>(&permissions)?,
        requires_mfa,
        email_codes,
    })
}

const INSERT_MEMBERSHIP: &str =
    "INSERT INTO memberships (org_id, user_id, role_id, created_at) VALUES ($1, $2, $3, $4)";

/// `$8` email_codes: a new role may use email codes (where the organisation allows them) only
/// if it holds no permissions; owners choose more on the security policy page.
const INSERT_ROLE: &str =
    "INSERT INTO roles (org_id, builtin, name, name_canonical, permissions, requires_mfa, created_at, email_codes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
