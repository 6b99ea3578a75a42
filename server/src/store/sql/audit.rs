//! The SQL of [`AuditStore`].

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::{AuditEntry, AuditEvent, AuditFilter, AuditStore};

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
    flags: Option<String>,
}

/// An audit row with its id and the people's emails, for the activity log.
#[derive(sqlx::FromRow)]
struct AuditLogRow {
    id: i64,
    #[sqlx(flatten)]
    event: AuditRow,
    actor_email: Option<String>,
    target_email: Option<String>,
    actor_name: Option<String>,
    target_name: Option<String>,
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
        flags: r.flags,
    }
}

const INSERT_AUDIT: &str = "INSERT INTO audit_events \
     (occurred_at, org_id, actor_user_id, target_user_id, action, outcome, ip, user_agent, detail, reason, flags) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

macro_rules! impl_audit_store {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(super) async fn insert_audit<'e, E: sqlx::Executor<'e, Database = $db>>(e: E, ev: &AuditEvent) -> Result<()> {
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
                    .bind(ev.flags.as_deref())
                    .execute(e)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl AuditStore for $store {
            async fn record_audit(&self, e: &AuditEvent) -> Result<()> {
                Self::insert_audit(&self.writer, e).await
            }

            async fn recent_audit(&self, org_id: Option<i64>, limit: i64) -> Result<Vec<AuditEvent>> {
                let rows: Vec<AuditRow> = sqlx::query_as(
                    "SELECT occurred_at, org_id, actor_user_id, target_user_id, action, outcome, ip, user_agent, detail, reason, flags \
                     FROM audit_events WHERE ($1 IS NULL OR org_id = $1) ORDER BY occurred_at DESC, id DESC LIMIT $2",
                )
                .bind(org_id)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?;
                Ok(rows.into_iter().map(audit_from_row).collect())
            }

            async fn audit_has(&self, org_id: i64, action: &str, outcome: &str) -> Result<bool> {
                let (found,): (bool,) = sqlx::query_as(
                    "SELECT EXISTS (SELECT 1 FROM audit_events \
                     WHERE org_id = $1 AND action = $2 AND outcome = $3)",
                )
                .bind(org_id)
                .bind(action)
                .bind(outcome)
                .fetch_one(&self.reader)
                .await?;
                Ok(found)
            }

            async fn audit_log(&self, org_id: i64, filter: &AuditFilter, before_id: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
                // Always scoped to one organisation; each filter applies only when given.
                let rows: Vec<AuditLogRow> = sqlx::query_as(
                    // A target whose account was deleted is named as it was, for events until then.
                    "SELECT a.id, a.occurred_at, a.org_id, a.actor_user_id, a.target_user_id, a.action, a.outcome, a.ip, \
                            a.user_agent, a.detail, a.reason, a.flags, actor.email AS actor_email, \
                            CASE WHEN gone.user_id IS NULL THEN target.email ELSE gone.email END AS target_email, \
                            actor.display_name AS actor_name, \
                            CASE WHEN gone.user_id IS NULL THEN target.display_name ELSE gone.display_name END AS target_name \
                     FROM audit_events a \
                     LEFT JOIN users actor ON actor.id = a.actor_user_id \
                     LEFT JOIN users target ON target.id = a.target_user_id \
                     LEFT JOIN former_accounts gone ON gone.user_id = a.target_user_id AND a.occurred_at <= gone.deleted_at \
                     WHERE a.org_id = $1 \
                       AND ($2 IS NULL OR a.action = $2) \
                       AND ($3 IS NULL OR actor.email_canonical = $3) \
                       AND ($4 IS NULL OR (CASE WHEN gone.user_id IS NULL THEN target.email_canonical ELSE gone.email_canonical END) = $4) \
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
                        actor_name: r.actor_name,
                        target_name: r.target_name,
                    })
                    .collect())
            }
        }
    };
}

impl_audit_store!(SqliteStore, sqlx::Sqlite);
impl_audit_store!(PgStore, sqlx::Postgres);
