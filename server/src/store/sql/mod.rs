//! The SQL behind [`Store`], written once and compiled for both backends. Every query uses `$n`
//! placeholders and SQL that SQLite and PostgreSQL read alike; the only differences are how the
//! pools are opened and where the migrations live.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::{
    parse_col, AuditEntry, AuditEvent, AuditFilter, Cursor, Member, MemberFilter, NewOrganisation, NewSession, Store,
    ThrottleAttempt, TokenPurpose, TotpCredential, ValidToken,
};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{NewUser, Organisation, Role, UserCredentials};
use crate::policy::MfaPolicy;
use crate::roles::{Permissions, RoleInfo};
use crate::session::SessionInfo;

/// SQLite: one writer connection (SQLite has one writer anyway; queuing in the pool beats
/// `SQLITE_BUSY`) and a pool of read-only connections. WAL lets readers run beside the writer;
/// `synchronous=FULL` makes every commit durable, so a consumed code survives a power cut.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self> {
        let base = SqliteConnectOptions::from_str(url)?
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .synchronous(SqliteSynchronous::Full);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone().create_if_missing(true).journal_mode(SqliteJournalMode::Wal))
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&writer).await?;
        let readers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2) as u32;
        let reader = SqlitePoolOptions::new().max_connections(readers).connect_with(base.read_only(true)).await?;
        Ok(SqliteStore { writer, reader })
    }

    /// Reads a pragma on the writer connection (for tests and diagnostics). `name` must be a
    /// plain identifier.
    pub async fn pragma(&self, name: &str) -> Result<String> {
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(Error::Invalid(format!("not a pragma name: {name}")));
        }
        use sqlx::Row as _;
        let row = sqlx::query(&format!("PRAGMA {name}")).fetch_one(&self.writer).await?;
        match row.try_get::<i64, _>(0) {
            Ok(n) => Ok(n.to_string()),
            Err(_) => Ok(row.try_get::<String, _>(0)?),
        }
    }
}

/// PostgreSQL: one pool; many stateless Tessera instances may share the database.
pub struct PgStore {
    writer: PgPool,
    reader: PgPool,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(5)).connect(url).await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(PgStore { writer: pool.clone(), reader: pool })
    }
}

type OrgRow = (i64, String, String, i64, String, Option<i64>);

fn org_from_row((id, name, kind, created_at, policy, grace): OrgRow) -> Result<Organisation> {
    Ok(Organisation {
        id,
        name,
        kind: parse_col(&kind)?,
        created_at: Timestamp(created_at),
        mfa_policy: parse_col(&policy)?,
        mfa_grace_until: grace.map(Timestamp),
    })
}

/// The columns every query about a role selects, in this order: id, builtin, name, permissions,
/// requires_mfa.
const ROLE_COLUMNS: &str = "r.id, r.builtin, r.name, r.permissions, r.requires_mfa";

type RoleRow = (i64, Option<String>, String, String, bool);

fn role_from_row((id, builtin, name, permissions, requires_mfa): RoleRow) -> Result<RoleInfo> {
    Ok(RoleInfo {
        id,
        builtin: builtin.as_deref().map(parse_col::<Role>).transpose()?,
        name,
        custom_permissions: parse_col::<Permissions>(&permissions)?,
        requires_mfa,
    })
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    token_hash: String,
    state: String,
    user_id: i64,
    email: String,
    display_name: String,
    org_id: i64,
    org_name: String,
    org_kind: String,
    role_id: i64,
    role_builtin: Option<String>,
    role_name: String,
    role_permissions: String,
    role_requires_mfa: bool,
    created_at: i64,
    last_seen_at: i64,
    second_factor_at: Option<i64>,
    org_mfa_policy: String,
    org_mfa_grace_until: Option<i64>,
    totp_count: i64,
}

fn session_from_row(r: SessionRow) -> Result<SessionInfo> {
    Ok(SessionInfo {
        token_hash: r.token_hash,
        state: parse_col(&r.state)?,
        user_id: r.user_id,
        email: r.email,
        display_name: r.display_name,
        org_id: r.org_id,
        org_name: r.org_name,
        org_kind: parse_col(&r.org_kind)?,
        role: role_from_row((r.role_id, r.role_builtin, r.role_name, r.role_permissions, r.role_requires_mfa))?,
        created_at: Timestamp(r.created_at),
        last_seen_at: Timestamp(r.last_seen_at),
        second_factor_at: r.second_factor_at.map(Timestamp),
        org_mfa_policy: parse_col(&r.org_mfa_policy)?,
        org_mfa_grace_until: r.org_mfa_grace_until.map(Timestamp),
        has_mfa: r.totp_count > 0,
    })
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: i64,
    email: String,
    email_canonical: String,
    display_name: String,
    disabled: bool,
    last_sign_in_at: Option<i64>,
    joined_at: i64,
    role_id: i64,
    role_builtin: Option<String>,
    role_name: String,
    role_permissions: String,
    role_requires_mfa: bool,
    totp_count: i64,
}

const MEMBER_COLUMNS: &str = "u.id AS user_id, u.email, u.email_canonical, u.display_name, u.disabled, \
     u.last_sign_in_at, m.created_at AS joined_at, r.id AS role_id, r.builtin AS role_builtin, r.name AS role_name, \
     r.permissions AS role_permissions, r.requires_mfa AS role_requires_mfa, \
     (SELECT COUNT(*) FROM totp_credentials t WHERE t.user_id = u.id) AS totp_count \
     FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id";

/// The team list's filter: `$1` organisation, `$2` search pattern, `$3` role, `$4` MFA filter,
/// `$5` whether the organisation requires MFA of everyone.
const MEMBER_FILTER: &str = "m.org_id = $1 \
     AND ($2 IS NULL OR u.email_canonical LIKE $2 ESCAPE '\\' OR lower(u.display_name) LIKE $2 ESCAPE '\\') \
     AND ($3 IS NULL OR m.role_id = $3) \
     AND ($4 IS NULL \
          OR ($4 = 'enabled' AND EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id)) \
          OR ($4 = 'not_enabled' AND NOT EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id)) \
          OR ($4 = 'required' AND ($5 OR r.requires_mfa) \
              AND NOT EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id)))";

fn member_from_row(r: MemberRow) -> Result<Member> {
    Ok(Member {
        user_id: r.user_id,
        email: r.email,
        email_canonical: r.email_canonical,
        display_name: r.display_name,
        role: role_from_row((r.role_id, r.role_builtin, r.role_name, r.role_permissions, r.role_requires_mfa))?,
        has_mfa: r.totp_count > 0,
        disabled: r.disabled,
        last_sign_in_at: r.last_sign_in_at.map(Timestamp),
        joined_at: Timestamp(r.joined_at),
    })
}

/// A search term as a LIKE pattern matching it anywhere, with LIKE's own characters escaped.
fn like_pattern(search: &str) -> String {
    let escaped = search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    occurred_at: i64,
    org_id: Option<i64>,
    actor_user_id: Option<i64>,
    target_user_id: Option<i64>,
    action: String,
    outcome: String,
    ip: Option<String>,
    user_agent: Option<String>,
    detail: Option<String>,
    reason: Option<String>,
}

/// An audit row with its id and the people's emails, for the activity log.
#[derive(sqlx::FromRow)]
struct AuditLogRow {
    id: i64,
    #[sqlx(flatten)]
    event: AuditRow,
    actor_email: Option<String>,
    target_email: Option<String>,
}

fn audit_from_row(r: AuditRow) -> AuditEvent {
    AuditEvent {
        occurred_at: Timestamp(r.occurred_at),
        org_id: r.org_id,
        actor_user_id: r.actor_user_id,
        target_user_id: r.target_user_id,
        action: r.action,
        outcome: r.outcome,
        ip: r.ip,
        user_agent: r.user_agent,
        detail: r.detail,
        reason: r.reason,
    }
}

fn purpose_from(s: &str) -> Result<TokenPurpose> {
    match s {
        "setup" => Ok(TokenPurpose::Setup),
        "set_password" => Ok(TokenPurpose::SetPassword),
        other => Err(Error::Database(sqlx::Error::Decode(format!("unknown token purpose {other}").into()))),
    }
}

const INSERT_USER: &str =
    "INSERT INTO users (email, email_canonical, display_name, password_hash, disabled, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, FALSE, $5, $5) RETURNING id";
const INSERT_MEMBERSHIP: &str =
    "INSERT INTO memberships (org_id, user_id, role_id, created_at) VALUES ($1, $2, $3, $4)";
const INSERT_ROLE: &str =
    "INSERT INTO roles (org_id, builtin, name, name_canonical, permissions, requires_mfa, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
const INSERT_AUDIT: &str = "INSERT INTO audit_events \
     (occurred_at, org_id, actor_user_id, target_user_id, action, outcome, ip, user_agent, detail, reason) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const INSERT_ORG: &str = "INSERT INTO organisations (name, name_canonical, kind, created_at, mfa_policy) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id";
const INSERT_SESSION: &str = "INSERT INTO sessions \
     (token_hash, user_id, org_id, state, created_at, last_seen_at, ip, user_agent, second_factor_at) \
     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)";
const USE_TOKEN: &str = "UPDATE one_time_tokens SET used_at = $3 \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id";

macro_rules! impl_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Inserts the organisation, the user and the owner membership inside `tx`.
            async fn insert_org_and_owner(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: &NewOrganisation,
                owner: &NewUser,
                now: Timestamp,
            ) -> Result<(i64, i64)> {
                let (org_id,): (i64,) = sqlx::query_as(INSERT_ORG)
                    .bind(&org.name)
                    .bind(org.canonical_name())
                    .bind(org.kind.as_str())
                    .bind(now.0)
                    .bind(crate::policy::effective(org.kind, MfaPolicy::Visible).as_str())
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(|e| Error::from_insert(e, "an organisation with that name"))?;
                let mut owner_role = 0;
                for role in Role::ALL {
                    let (id,): (i64,) = sqlx::query_as(INSERT_ROLE)
                        .bind(org_id)
                        .bind(role.as_str())
                        .bind(role.label())
                        .bind(role.label().to_lowercase())
                        .bind("")
                        .bind(false)
                        .bind(now.0)
                        .fetch_one(&mut **tx)
                        .await?;
                    if role == Role::Owner {
                        owner_role = id;
                    }
                }
                let user_id = Self::insert_user(tx, owner, now).await?;
                sqlx::query(INSERT_MEMBERSHIP)
                    .bind(org_id)
                    .bind(user_id)
                    .bind(owner_role)
                    .bind(now.0)
                    .execute(&mut **tx)
                    .await?;
                Ok((org_id, user_id))
            }

            async fn insert_audit<'e, E: sqlx::Executor<'e, Database = $db>>(e: E, ev: &AuditEvent) -> Result<()> {
                sqlx::query(INSERT_AUDIT)
                    .bind(ev.occurred_at.0)
                    .bind(ev.org_id)
                    .bind(ev.actor_user_id)
                    .bind(ev.target_user_id)
                    .bind(&ev.action)
                    .bind(&ev.outcome)
                    .bind(ev.ip.as_deref())
                    .bind(ev.user_agent.as_deref())
                    .bind(ev.detail.as_deref())
                    .bind(ev.reason.as_deref())
                    .execute(e)
                    .await?;
                Ok(())
            }

            async fn put_recovery_codes(tx: &mut sqlx::Transaction<'_, $db>, user_id: i64, hashes: &[String], now: Timestamp) -> Result<()> {
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
                for h in hashes {
                    sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
                        .bind(user_id)
                        .bind(h)
                        .bind(now.0)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            async fn insert_session<'e, E: sqlx::Executor<'e, Database = $db>>(e: E, s: &NewSession, now: Timestamp) -> Result<()> {
                sqlx::query(INSERT_SESSION)
                    .bind(&s.token_hash)
                    .bind(s.user_id)
                    .bind(s.org_id)
                    .bind(s.state.as_str())
                    .bind(now.0)
                    .bind(s.ip.as_deref())
                    .bind(s.user_agent.as_deref())
                    .bind(s.second_factor_at.map(|t| t.0))
                    .execute(e)
                    .await?;
                Ok(())
            }

            async fn insert_user(tx: &mut sqlx::Transaction<'_, $db>, user: &NewUser, now: Timestamp) -> Result<i64> {
                let (id,): (i64,) = sqlx::query_as(INSERT_USER)
                    .bind(&user.email.display)
                    .bind(&user.email.canonical)
                    .bind(&user.display_name)
                    .bind(user.password_hash.as_deref())
                    .bind(now.0)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(|e| Error::from_insert(e, "an account with that email"))?;
                Ok(id)
            }
        }

        #[async_trait]
        impl Store for $store {
            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.reader).await?;
                Ok(())
            }

            async fn count_organisations(&self) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations").fetch_one(&self.reader).await?;
                Ok(n)
            }

            async fn find_organisation_by_name(&self, name: &str) -> Result<Option<Organisation>> {
                let row: Option<OrgRow> =
                    sqlx::query_as("SELECT id, name, kind, created_at, mfa_policy, mfa_grace_until FROM organisations WHERE name_canonical = $1")
                        .bind(name.trim().to_lowercase())
                        .fetch_optional(&self.reader)
                        .await?;
                row.map(org_from_row).transpose()
            }

            async fn set_mfa_policy(&self, org_id: i64, policy: MfaPolicy, grace_until: Option<Timestamp>) -> Result<()> {
                sqlx::query("UPDATE organisations SET mfa_policy = $2, mfa_grace_until = $3 WHERE id = $1")
                    .bind(org_id)
                    .bind(policy.as_str())
                    .bind(grace_until.map(|t| t.0))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn create_organisation(&self, org: &NewOrganisation, owner: &NewUser, now: Timestamp) -> Result<(i64, i64)> {
                let mut tx = self.writer.begin().await?;
                let ids = Self::insert_org_and_owner(&mut tx, org, owner, now).await?;
                tx.commit().await?;
                Ok(ids)
            }

            async fn add_member(&self, org_id: i64, user: &NewUser, role_id: i64, now: Timestamp) -> Result<i64> {
                let mut tx = self.writer.begin().await?;
                let user_id = Self::insert_user(&mut tx, user, now).await?;
                sqlx::query(INSERT_MEMBERSHIP)
                    .bind(org_id)
                    .bind(user_id)
                    .bind(role_id)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(user_id)
            }

            async fn roles(&self, org_id: i64) -> Result<Vec<RoleInfo>> {
                let rows: Vec<RoleRow> = sqlx::query_as(&format!(
                    "SELECT {ROLE_COLUMNS} FROM roles r WHERE r.org_id = $1 \
                     ORDER BY CASE WHEN r.builtin IS NULL THEN 1 ELSE 0 END, r.id"
                ))
                .bind(org_id)
                .fetch_all(&self.reader)
                .await?;
                rows.into_iter().map(role_from_row).collect()
            }

            async fn role(&self, org_id: i64, role_id: i64) -> Result<Option<RoleInfo>> {
                let row: Option<RoleRow> =
                    sqlx::query_as(&format!("SELECT {ROLE_COLUMNS} FROM roles r WHERE r.org_id = $1 AND r.id = $2"))
                        .bind(org_id)
                        .bind(role_id)
                        .fetch_optional(&self.reader)
                        .await?;
                row.map(role_from_row).transpose()
            }

            async fn builtin_role(&self, org_id: i64, role: Role) -> Result<Option<RoleInfo>> {
                let row: Option<RoleRow> =
                    sqlx::query_as(&format!("SELECT {ROLE_COLUMNS} FROM roles r WHERE r.org_id = $1 AND r.builtin = $2"))
                        .bind(org_id)
                        .bind(role.as_str())
                        .fetch_optional(&self.reader)
                        .await?;
                row.map(role_from_row).transpose()
            }

            async fn create_role(&self, org_id: i64, name: &str, permissions: Permissions, requires_mfa: bool, now: Timestamp) -> Result<i64> {
                let (id,): (i64,) = sqlx::query_as(INSERT_ROLE)
                    .bind(org_id)
                    .bind(None::<String>)
                    .bind(name)
                    .bind(name.to_lowercase())
                    .bind(permissions.to_ids())
                    .bind(requires_mfa)
                    .bind(now.0)
                    .fetch_one(&self.writer)
                    .await
                    .map_err(|e| Error::from_insert(e, "a role with that name"))?;
                Ok(id)
            }

            async fn update_role(&self, org_id: i64, role_id: i64, permissions: Option<Permissions>, requires_mfa: bool) -> Result<bool> {
                // Built-in roles keep their permissions (defined in code); only custom ones change.
                let r = sqlx::query(
                    "UPDATE roles SET requires_mfa = $3, \
                     permissions = CASE WHEN builtin IS NULL AND $4 IS NOT NULL THEN $4 ELSE permissions END \
                     WHERE org_id = $1 AND id = $2",
                )
                .bind(org_id)
                .bind(role_id)
                .bind(requires_mfa)
                .bind(permissions.map(Permissions::to_ids))
                .execute(&self.writer)
                .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn members(&self, org_id: i64, filter: &MemberFilter, org_requires_mfa: bool, cursor: &Cursor, limit: i64) -> Result<(Vec<Member>, i64)> {
                let pattern = filter.search.as_deref().map(like_pattern);
                let mfa = filter.mfa.map(|f| f.as_str());
                let (key, cmp, order) = match cursor {
                    Cursor::First => (None, ">", "ASC"),
                    Cursor::After(k) => (Some(k.as_str()), ">", "ASC"),
                    Cursor::Before(k) => (Some(k.as_str()), "<", "DESC"),
                };
                let sql = format!(
                    "SELECT {MEMBER_COLUMNS} WHERE {MEMBER_FILTER} AND ($6 IS NULL OR u.email_canonical {cmp} $6) \
                     ORDER BY u.email_canonical {order} LIMIT $7"
                );
                let rows: Vec<MemberRow> = sqlx::query_as(&sql)
                    .bind(org_id)
                    .bind(pattern.as_deref())
                    .bind(filter.role_id)
                    .bind(mfa)
                    .bind(org_requires_mfa)
                    .bind(key)
                    .bind(limit)
                    .fetch_all(&self.reader)
                    .await?;
                let mut members = rows.into_iter().map(member_from_row).collect::<Result<Vec<_>>>()?;
                if matches!(cursor, Cursor::Before(_)) {
                    members.reverse();
                }
                let (total,): (i64,) = sqlx::query_as(&format!(
                    "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id \
                     WHERE {MEMBER_FILTER}"
                ))
                .bind(org_id)
                .bind(pattern.as_deref())
                .bind(filter.role_id)
                .bind(mfa)
                .bind(org_requires_mfa)
                .fetch_one(&self.reader)
                .await?;
                Ok((members, total))
            }

            async fn member(&self, org_id: i64, user_id: i64) -> Result<Option<Member>> {
                let row: Option<MemberRow> =
                    sqlx::query_as(&format!("SELECT {MEMBER_COLUMNS} WHERE m.org_id = $1 AND m.user_id = $2"))
                        .bind(org_id)
                        .bind(user_id)
                        .fetch_optional(&self.reader)
                        .await?;
                row.map(member_from_row).transpose()
            }

            async fn reset_member_mfa(&self, org_id: i64, user_id: i64, owner_may_be_reset: bool, event: &AuditEvent) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                // Checked again inside the transaction: the role may have changed since the rules ran.
                let target: Option<(Option<String>,)> = sqlx::query_as(
                    "SELECT r.builtin FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.org_id = $1 AND m.user_id = $2",
                )
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
                let allowed = match target {
                    None => false,
                    Some((builtin,)) => owner_may_be_reset || builtin.as_deref() != Some(Role::Owner.as_str()),
                };
                if !allowed {
                    return Ok(false);
                }
                let had = sqlx::query("DELETE FROM totp_credentials WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                if had.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM totp_pending WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                Self::insert_audit(&mut *tx, event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_member_role(&self, org_id: i64, user_id: i64, role_id: i64) -> Result<bool> {
                // The composite foreign key refuses a role of another organisation.
                let r = sqlx::query("UPDATE memberships SET role_id = $3 WHERE org_id = $1 AND user_id = $2")
                    .bind(org_id)
                    .bind(user_id)
                    .bind(role_id)
                    .execute(&self.writer)
                    .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn set_member_disabled(&self, org_id: i64, user_id: i64, disabled: bool, now: Timestamp) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                let r = sqlx::query(
                    "UPDATE users SET disabled = $3, updated_at = $4 WHERE id = $2 \
                     AND EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = $1 AND m.user_id = $2)",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(disabled)
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
                if r.rows_affected() != 1 {
                    return Ok(false);
                }
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn business_hours(&self, org_id: i64) -> Result<crate::model::BusinessHours> {
                let row: Option<(i32, i32, i32)> = sqlx::query_as(
                    "SELECT business_start_minute, business_end_minute, utc_offset_minutes FROM organisations WHERE id = $1",
                )
                .bind(org_id)
                .fetch_optional(&self.reader)
                .await?;
                let (start_minute, end_minute, utc_offset_minutes) = row.ok_or(Error::NotFound("organisation"))?;
                Ok(crate::model::BusinessHours { start_minute, end_minute, utc_offset_minutes })
            }

            async fn set_business_hours(&self, org_id: i64, hours: crate::model::BusinessHours) -> Result<()> {
                sqlx::query(
                    "UPDATE organisations SET business_start_minute = $2, business_end_minute = $3, utc_offset_minutes = $4 WHERE id = $1",
                )
                .bind(org_id)
                .bind(hours.start_minute)
                .bind(hours.end_minute)
                .bind(hours.utc_offset_minutes)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn record_sign_in(&self, user_id: i64, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE users SET last_sign_in_at = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(now.0)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn credentials_by_email(&self, canonical_email: &str) -> Result<Option<UserCredentials>> {
                let row: Option<(i64, Option<String>, bool)> =
                    sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE email_canonical = $1")
                        .bind(canonical_email)
                        .fetch_optional(&self.reader)
                        .await?;
                Ok(row.map(|(user_id, password_hash, disabled)| UserCredentials { user_id, password_hash, disabled }))
            }

            async fn set_password_hash(&self, user_id: i64, hash: &str, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(now.0)
                    .bind(user_id)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn primary_membership(&self, user_id: i64) -> Result<Option<(Organisation, RoleInfo)>> {
                let row: Option<(i64, String, String, i64, String, Option<i64>, i64, Option<String>, String, String, bool)> =
                    sqlx::query_as(&format!(
                        "SELECT o.id, o.name, o.kind, o.created_at, o.mfa_policy, o.mfa_grace_until, {ROLE_COLUMNS} \
                         FROM memberships m JOIN organisations o ON o.id = m.org_id JOIN roles r ON r.id = m.role_id \
                         WHERE m.user_id = $1 ORDER BY m.created_at, o.id LIMIT 1"
                    ))
                    .bind(user_id)
                    .fetch_optional(&self.reader)
                    .await?;
                match row {
                    None => Ok(None),
                    Some((id, name, kind, created_at, policy, grace, rid, builtin, rname, perms, requires)) => Ok(Some((
                        org_from_row((id, name, kind, created_at, policy, grace))?,
                        role_from_row((rid, builtin, rname, perms, requires))?,
                    ))),
                }
            }

            async fn create_token(&self, token_hash: &str, purpose: TokenPurpose, user_id: Option<i64>, now: Timestamp, ttl: Duration) -> Result<()> {
                sqlx::query(
                    "INSERT INTO one_time_tokens (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(user_id)
                .bind(now.0)
                .bind(now.plus(ttl).0)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn revoke_tokens(&self, purpose: TokenPurpose, user_id: Option<i64>, now: Timestamp) -> Result<u64> {
                let r = sqlx::query(
                    "UPDATE one_time_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL \
                     AND ($3 IS NULL OR user_id = $3)",
                )
                .bind(now.0)
                .bind(purpose.as_str())
                .bind(user_id)
                .execute(&self.writer)
                .await?;
                Ok(r.rows_affected())
            }

            async fn peek_token(&self, token_hash: &str, purpose: TokenPurpose, now: Timestamp) -> Result<Option<ValidToken>> {
                let row: Option<(String, Option<i64>, i64)> = sqlx::query_as(
                    "SELECT purpose, user_id, expires_at FROM one_time_tokens \
                     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(now.0)
                .fetch_optional(&self.reader)
                .await?;
                row.map(|(p, user_id, expires_at)| {
                    Ok(ValidToken { purpose: purpose_from(&p)?, user_id, expires_at: Timestamp(expires_at) })
                })
                .transpose()
            }

            async fn complete_setup(&self, token_hash: &str, org: &NewOrganisation, owner: &NewUser, now: Timestamp) -> Result<Option<(i64, i64)>> {
                let mut tx = self.writer.begin().await?;
                let used: Option<(Option<i64>,)> = sqlx::query_as(USE_TOKEN)
                    .bind(token_hash)
                    .bind(TokenPurpose::Setup.as_str())
                    .bind(now.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if used.is_none() {
                    return Ok(None);
                }
                let (orgs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations").fetch_one(&mut *tx).await?;
                if orgs > 0 {
                    return Ok(None);
                }
                let ids = Self::insert_org_and_owner(&mut tx, org, owner, now).await?;
                tx.commit().await?;
                Ok(Some(ids))
            }

            async fn complete_set_password(&self, token_hash: &str, password_hash: &str, now: Timestamp) -> Result<Option<i64>> {
                let mut tx = self.writer.begin().await?;
                let used: Option<(Option<i64>,)> = sqlx::query_as(USE_TOKEN)
                    .bind(token_hash)
                    .bind(TokenPurpose::SetPassword.as_str())
                    .bind(now.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((Some(user_id),)) = used else { return Ok(None) };
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(password_hash)
                    .bind(now.0)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                // A new password ends every session opened with the old one.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(Some(user_id))
            }

            async fn create_session(&self, s: &NewSession, now: Timestamp) -> Result<()> {
                Self::insert_session(&self.writer, s, now).await
            }

            async fn find_session(&self, token_hash: &str) -> Result<Option<SessionInfo>> {
                let row: Option<SessionRow> = sqlx::query_as(
                    "SELECT s.token_hash, s.state, s.user_id, u.email, u.display_name, s.org_id, o.name AS org_name, \
                            o.kind AS org_kind, r.id AS role_id, r.builtin AS role_builtin, r.name AS role_name, \
                            r.permissions AS role_permissions, r.requires_mfa AS role_requires_mfa, \
                            s.created_at, s.last_seen_at, s.second_factor_at, o.mfa_policy AS org_mfa_policy, \
                            o.mfa_grace_until AS org_mfa_grace_until, \
                            (SELECT COUNT(*) FROM totp_credentials t WHERE t.user_id = s.user_id) AS totp_count \
                     FROM sessions s \
                     JOIN users u ON u.id = s.user_id \
                     JOIN organisations o ON o.id = s.org_id \
                     JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id \
                     JOIN roles r ON r.id = m.role_id \
                     WHERE s.token_hash = $1 AND u.disabled = FALSE",
                )
                .bind(token_hash)
                .fetch_optional(&self.reader)
                .await?;
                row.map(session_from_row).transpose()
            }

            async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1")
                    .bind(now.0)
                    .bind(token_hash)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, token_hash: &str) -> Result<bool> {
                let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.writer).await?;
                Ok(r.rows_affected() == 1)
            }

            async fn delete_user_sessions(&self, user_id: i64) -> Result<u64> {
                let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&self.writer).await?;
                Ok(r.rows_affected())
            }

            async fn purge_sessions(&self, idle_before: Timestamp, created_before: Timestamp) -> Result<u64> {
                let r = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                    .bind(idle_before.0)
                    .bind(created_before.0)
                    .execute(&self.writer)
                    .await?;
                Ok(r.rows_affected())
            }

            async fn rotate_session(&self, old_hash: &str, new: &NewSession, now: Timestamp) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                let gone = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(old_hash).execute(&mut *tx).await?;
                if gone.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_session(&mut *tx, new, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn mark_second_factor(&self, token_hash: &str, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE sessions SET second_factor_at = $1 WHERE token_hash = $2")
                    .bind(now.0)
                    .bind(token_hash)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn delete_other_sessions(&self, user_id: i64, keep_hash: &str) -> Result<u64> {
                let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user_id)
                    .bind(keep_hash)
                    .execute(&self.writer)
                    .await?;
                Ok(r.rows_affected())
            }

            async fn totp_credential(&self, user_id: i64) -> Result<Option<TotpCredential>> {
                let row: Option<(String, i64, i64)> = sqlx::query_as(
                    "SELECT secret_sealed, enabled_at, last_used_step FROM totp_credentials WHERE user_id = $1",
                )
                .bind(user_id)
                .fetch_optional(&self.reader)
                .await?;
                Ok(row.map(|(secret_sealed, enabled_at, last_used_step)| TotpCredential {
                    secret_sealed,
                    enabled_at: Timestamp(enabled_at),
                    last_used_step,
                }))
            }

            async fn put_pending_totp(&self, user_id: i64, sealed: &str, now: Timestamp, ttl: Duration) -> Result<()> {
                sqlx::query(
                    "INSERT INTO totp_pending (user_id, secret_sealed, created_at, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
                     created_at = excluded.created_at, expires_at = excluded.expires_at",
                )
                .bind(user_id)
                .bind(sealed)
                .bind(now.0)
                .bind(now.plus(ttl).0)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn pending_totp(&self, user_id: i64, now: Timestamp) -> Result<Option<String>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT secret_sealed FROM totp_pending WHERE user_id = $1 AND expires_at > $2")
                        .bind(user_id)
                        .bind(now.0)
                        .fetch_optional(&self.reader)
                        .await?;
                Ok(row.map(|(s,)| s))
            }

            async fn confirm_totp(&self, user_id: i64, sealed: &str, step: i64, recovery_hashes: &[String], now: Timestamp) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                let taken = sqlx::query("DELETE FROM totp_pending WHERE user_id = $1 AND secret_sealed = $2 AND expires_at > $3")
                    .bind(user_id)
                    .bind(sealed)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                if taken.rows_affected() != 1 {
                    return Ok(false);
                }
                // A reset keeps the original enabled_at; the old secret dies with this update.
                sqlx::query(
                    "INSERT INTO totp_credentials (user_id, secret_sealed, enabled_at, last_used_step) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_used_step = excluded.last_used_step",
                )
                .bind(user_id)
                .bind(sealed)
                .bind(now.0)
                .bind(step)
                .execute(&mut *tx)
                .await?;
                if !recovery_hashes.is_empty() {
                    Self::put_recovery_codes(&mut tx, user_id, recovery_hashes, now).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn consume_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
                let r = sqlx::query("UPDATE totp_credentials SET last_used_step = $2 WHERE user_id = $1 AND last_used_step < $2")
                    .bind(user_id)
                    .bind(step)
                    .execute(&self.writer)
                    .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn consume_recovery_code(&self, user_id: i64, code_hash: &str, now: Timestamp) -> Result<bool> {
                let r = sqlx::query(
                    "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                )
                .bind(user_id)
                .bind(code_hash)
                .bind(now.0)
                .execute(&self.writer)
                .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn recovery_codes_left(&self, user_id: i64) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
                    .bind(user_id)
                    .fetch_one(&self.reader)
                    .await?;
                Ok(n)
            }

            async fn replace_recovery_codes(&self, user_id: i64, hashes: &[String], now: Timestamp) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                Self::put_recovery_codes(&mut tx, user_id, hashes, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn disable_mfa(&self, user_id: i64) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                let had = sqlx::query("DELETE FROM totp_credentials WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM totp_pending WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(had.rows_affected() == 1)
            }

            async fn throttle_take(&self, account_key: &str, now: Timestamp, delay_after: fn(i64) -> Duration) -> Result<Option<ThrottleAttempt>> {
                // One transaction: the conditional UPDATE locks the row (PostgreSQL) or holds the
                // only writer (SQLite), so concurrent attempts are counted one by one.
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "INSERT INTO signin_throttle (account_key, failures, blocked_until, updated_at) VALUES ($1, 0, 0, $2) \
                     ON CONFLICT (account_key) DO NOTHING",
                )
                .bind(account_key)
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
                let taken: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE signin_throttle SET failures = failures + 1, updated_at = $2 \
                     WHERE account_key = $1 AND blocked_until <= $2 RETURNING failures, blocked_until",
                )
                .bind(account_key)
                .bind(now.0)
                .fetch_optional(&mut *tx)
                .await?;
                let attempt = match taken {
                    None => None,
                    Some((failures, previous)) => {
                        let blocked_until = now.plus(delay_after(failures));
                        sqlx::query("UPDATE signin_throttle SET blocked_until = $2 WHERE account_key = $1")
                            .bind(account_key)
                            .bind(blocked_until.0)
                            .execute(&mut *tx)
                            .await?;
                        Some(ThrottleAttempt { failures, previous_blocked_until: Timestamp(previous), blocked_until })
                    }
                };
                tx.commit().await?;
                Ok(attempt)
            }

            async fn throttle_refund(&self, account_key: &str, attempt: &ThrottleAttempt) -> Result<()> {
                // Undo the wait this attempt set, unless a later attempt has set its own since.
                let mut tx = self.writer.begin().await?;
                let restored = sqlx::query(
                    "UPDATE signin_throttle SET failures = failures - 1, blocked_until = $2 \
                     WHERE account_key = $1 AND failures = $3 AND blocked_until = $4",
                )
                .bind(account_key)
                .bind(attempt.previous_blocked_until.0)
                .bind(attempt.failures)
                .bind(attempt.blocked_until.0)
                .execute(&mut *tx)
                .await?;
                if restored.rows_affected() == 0 {
                    sqlx::query("UPDATE signin_throttle SET failures = failures - 1 WHERE account_key = $1 AND failures > 0")
                        .bind(account_key)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn throttle_clear(&self, account_key: &str, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE signin_throttle SET failures = 0, blocked_until = 0, updated_at = $2 WHERE account_key = $1")
                    .bind(account_key)
                    .bind(now.0)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn record_audit(&self, e: &AuditEvent) -> Result<()> {
                Self::insert_audit(&self.writer, e).await
            }

            async fn audit_log(&self, org_id: i64, filter: &AuditFilter, before_id: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
                // Always scoped to one organisation; each filter applies only when given.
                let rows: Vec<AuditLogRow> = sqlx::query_as(
                    "SELECT a.id, a.occurred_at, a.org_id, a.actor_user_id, a.target_user_id, a.action, a.outcome, a.ip, \
                            a.user_agent, a.detail, a.reason, actor.email AS actor_email, target.email AS target_email \
                     FROM audit_events a \
                     LEFT JOIN users actor ON actor.id = a.actor_user_id \
                     LEFT JOIN users target ON target.id = a.target_user_id \
                     WHERE a.org_id = $1 \
                       AND ($2 IS NULL OR a.action = $2) \
                       AND ($3 IS NULL OR actor.email_canonical = $3) \
                       AND ($4 IS NULL OR target.email_canonical = $4) \
                       AND ($5 IS NULL OR a.occurred_at >= $5) \
                       AND ($6 IS NULL OR a.occurred_at < $6) \
                       AND ($7 IS NULL OR a.id < $7) \
                     ORDER BY a.id DESC LIMIT $8",
                )
                .bind(org_id)
                .bind(filter.action.as_deref())
                .bind(filter.actor_email.as_deref())
                .bind(filter.target_email.as_deref())
                .bind(filter.from.map(|t| t.0))
                .bind(filter.until.map(|t| t.0))
                .bind(before_id)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| AuditEntry {
                        id: r.id,
                        event: audit_from_row(r.event),
                        actor_email: r.actor_email,
                        target_email: r.target_email,
                    })
                    .collect())
            }

            async fn recent_audit(&self, org_id: Option<i64>, limit: i64) -> Result<Vec<AuditEvent>> {
                let rows: Vec<AuditRow> = sqlx::query_as(
                    "SELECT occurred_at, org_id, actor_user_id, target_user_id, action, outcome, ip, user_agent, detail, reason \
                     FROM audit_events WHERE ($1 IS NULL OR org_id = $1) ORDER BY occurred_at DESC, id DESC LIMIT $2",
                )
                .bind(org_id)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?;
                Ok(rows.into_iter().map(audit_from_row).collect())
            }
        }
    };
}

impl_store!(SqliteStore, sqlx::Sqlite);
impl_store!(PgStore, sqlx::Postgres);
