//! The SQL of [`SessionStore`].

use async_trait::async_trait;

use super::{parse_col, role_from_row, PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::session::SessionInfo;
use crate::store::{NewSession, Previous, SessionStore, Settle, SignInWrite, TokenPurpose, Written};

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
    role_email_codes: bool,
    created_at: i64,
    last_seen_at: i64,
    second_factor_at: Option<i64>,
    org_mfa_policy: String,
    org_mfa_grace_until: Option<i64>,
    org_email_codes_allowed: bool,
    org_email_only_resets: bool,
    org_password_max_age_days: Option<i32>,
    password_changed_at: i64,
    totp_count: i64,
    hold_count: i64,
    via_provider: bool,
    password_prompt_pending: bool,
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
        role: role_from_row((
            r.role_id,
            r.role_builtin,
            r.role_name,
            r.role_permissions,
            r.role_requires_mfa,
            r.role_email_codes,
        ))?,
        created_at: Timestamp(r.created_at),
        last_seen_at: Timestamp(r.last_seen_at),
        second_factor_at: r.second_factor_at.map(Timestamp),
        org_mfa_policy: parse_col(&r.org_mfa_policy)?,
        org_mfa_grace_until: r.org_mfa_grace_until.map(Timestamp),
        org_email_codes_allowed: r.org_email_codes_allowed,
        org_email_only_resets: r.org_email_only_resets,
        org_password_max_age_days: r.org_password_max_age_days.and_then(|d| u32::try_from(d).ok()),
        password_changed_at: Timestamp(r.password_changed_at),
        has_mfa: r.totp_count > 0,
        mfa_hold: r.hold_count > 0,
        via_provider: r.via_provider,
        password_prompt_pending: r.password_prompt_pending,
    })
}

const INSERT_SESSION: &str = "INSERT INTO sessions \
     (token_hash, user_id, org_id, state, created_at, last_seen_at, ip, user_agent, second_factor_at, via_provider) \
     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)";

macro_rules! impl_session_store {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(super) async fn insert_session<'e, E: sqlx::Executor<'e, Database = $db>>(e: E, s: &NewSession, now: Timestamp) -> Result<()> {
                sqlx::query(INSERT_SESSION)
                    .bind(&s.token_hash)
                    .bind(s.user_id)
                    .bind(s.org_id)
                    .bind(s.state.as_str())
                    .bind(now.0)
                    .bind(s.ip.as_deref())
                    .bind(s.user_agent.as_deref())
                    .bind(s.second_factor_at.map(|t| t.0))
                    .bind(s.via_provider)
                    .execute(e)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl SessionStore for $store {
            async fn write_sign_in(&self, w: &SignInWrite<'_>) -> Result<Written> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                if let Settle::ClearUnlessWaiting(key) = w.budget {
                    if let Some(until) = Self::waiting_until_in(&mut tx, key, w.now).await? {
                        return Ok(Written::Waiting { until });
                    }
                }
                if let Some((user_id, step)) = w.consumes_totp {
                    if !Self::consume_totp_step_in(&mut *tx, user_id, step).await? {
                        return Ok(Written::CodeUsed);
                    }
                }
                let delete = "DELETE FROM sessions WHERE token_hash = $1";
                match w.previous {
                    Previous::None => {}
                    Previous::Ends(old) => {
                        sqlx::query(delete).bind(old).execute(&mut *tx).await?;
                    }
                    Previous::Replaced(old) => {
                        if sqlx::query(delete).bind(old).execute(&mut *tx).await?.rows_affected() != 1 {
                            return Ok(Written::SessionGone);
                        }
                    }
                }
                Self::insert_session(&mut *tx, w.session, w.now).await?;
                match w.budget {
                    Settle::Clear(key) | Settle::ClearUnlessWaiting(key) => {
                        Self::clear_budget_in(&mut *tx, key, w.now).await?
                    }
                    Settle::Refund(key, attempt) => Self::refund_budget_in(&mut tx, key, attempt).await?,
                    Settle::Untouched => {}
                }
                Self::insert_audit(&mut *tx, w.event).await?;
                if let Some(user_id) = w.completes {
                    Self::record_sign_in_in(&mut *tx, user_id, w.now).await?;
                    Self::revoke_tokens_in(&mut *tx, TokenPurpose::ResetPassword, Some(user_id), w.now).await?;
                }
                tx.commit().await?;
                Ok(Written::Done)
            }

            async fn create_session(&self, s: &NewSession, now: Timestamp) -> Result<()> {
                Self::insert_session(&mut *self.writer.lend().await?, s, now).await
            }

            async fn find_session(&self, token_hash: &str) -> Result<Option<SessionInfo>> {
                let row: Option<SessionRow> = sqlx::query_as(
                    "SELECT s.token_hash, s.state, s.user_id, u.email, u.display_name, s.org_id, o.name AS org_name, \
                            o.kind AS org_kind, r.id AS role_id, r.builtin AS role_builtin, r.name AS role_name, \
                            r.permissions AS role_permissions, r.requires_mfa AS role_requires_mfa, r.email_codes AS role_email_codes, \
                            s.created_at, s.last_seen_at, s.second_factor_at, o.mfa_policy AS org_mfa_policy, \
                            o.mfa_grace_until AS org_mfa_grace_until, o.email_codes_allowed AS org_email_codes_allowed, \
                            o.email_only_resets AS org_email_only_resets, \
                            o.password_max_age_days AS org_password_max_age_days, \
                            COALESCE(u.password_changed_at, u.created_at) AS password_changed_at, \
                            (SELECT COUNT(*) FROM totp_credentials t WHERE t.user_id = s.user_id) AS totp_count, \
                            (SELECT COUNT(*) FROM access_codes a WHERE a.user_id = s.user_id) AS hold_count, \
                            s.via_provider, u.password_prompt_pending \
                     FROM sessions s \
                     JOIN users u ON u.id = s.user_id \
                     JOIN organisations o ON o.id = s.org_id \
                     JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id \
                     JOIN roles r ON r.id = m.role_id \
                     WHERE s.token_hash = $1 AND u.disabled = FALSE",
                )
                .bind(token_hash)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                row.map(session_from_row).transpose()
            }

            async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1")
                    .bind(now.0)
                    .bind(token_hash)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, token_hash: &str) -> Result<bool> {
                let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *self.writer.lend().await?).await?;
                Ok(r.rows_affected() == 1)
            }

            async fn delete_user_sessions(&self, user_id: i64) -> Result<u64> {
                let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *self.writer.lend().await?).await?;
                Ok(r.rows_affected())
            }

            async fn purge_sessions(&self, idle_before: Timestamp, created_before: Timestamp) -> Result<u64> {
                let r = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                    .bind(idle_before.0)
                    .bind(created_before.0)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(r.rows_affected())
            }

            async fn mark_second_factor(&self, token_hash: &str, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE sessions SET second_factor_at = $1 WHERE token_hash = $2")
                    .bind(now.0)
                    .bind(token_hash)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(())
            }

            async fn delete_other_sessions(&self, user_id: i64, keep_hash: &str, now: Timestamp) -> Result<u64> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user_id)
                    .bind(keep_hash)
                    .execute(&mut *tx)
                    .await?;
                // What applications hold of the person goes with the sessions.
                Self::revoke_grants_in(&mut *tx, user_id, now).await?;
                tx.commit().await?;
                Ok(r.rows_affected())
            }
        }
    };
}

impl_session_store!(SqliteStore, sqlx::Sqlite);
impl_session_store!(PgStore, sqlx::Postgres);
