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

/// One organisation's log with the people's names (a target whose account was deleted is named
/// as it was, for events until then); [`AuditStore::audit_log`] adds the filters it is given.
const AUDIT_LOG: &str =
    "SELECT a.id, a.occurred_at, a.org_id, a.actor_user_id, a.target_user_id, a.action, a.outcome, \
        a.ip, a.user_agent, a.detail, a.reason, a.flags, actor.email AS actor_email, \
        CASE WHEN gone.user_id IS NULL THEN target.email ELSE gone.email END AS target_email, \
        actor.display_name AS actor_name, \
        CASE WHEN gone.user_id IS NULL THEN target.display_name ELSE gone.display_name END AS target_name \
     FROM audit_events a \
     LEFT JOIN users actor ON actor.id = a.actor_user_id \
     LEFT JOIN users target ON target.id = a.target_user_id \
     LEFT JOIN former_accounts gone ON gone.user_id = a.target_user_id AND a.occurred_at <= gone.deleted_at \
     WHERE a.org_id = ";

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
                Self::insert_audit(&mut *self.writer.lend().await?, e).await
            }

            async fn recent_audit(&self, org_id: Option<i64>, limit: i64) -> Result<Vec<AuditEvent>> {
                let rows: Vec<AuditRow> = sqlx::query_as(
                    "SELECT occurred_at, org_id, actor_user_id, target_user_id, action, outcome, ip, user_agent, detail, reason, flags \
                     FROM audit_events WHERE ($1 IS NULL OR org_id = $1) ORDER BY occurred_at DESC, id DESC LIMIT $2",
                )
                .bind(org_id)
                .bind(limit)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows.into_iter().map(audit_from_row).collect())
            }

            async fn audit_log(&self, org_id: i64, filter: &AuditFilter, before_id: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
                // Always scoped to one organisation. Only the filters given are in the statement
                // (a `$n IS NULL OR ...` form would keep the planner from the indexes), so each
                // shape is planned for what it asks: newest first by (org_id, id) and stopping
                // at `limit`, or by (org_id, action, ...) for one kind of event.
                let mut q = sqlx::QueryBuilder::<$db>::new(AUDIT_LOG);
                q.push_bind(org_id);
                if let Some(action) = filter.action.as_deref() {
                    q.push(" AND a.action = ").push_bind(action);
                }
                if let Some(actor) = filter.actor_email.as_deref() {
                    q.push(" AND actor.email_canonical = ").push_bind(actor);
                }
                if let Some(target) = filter.target_email.as_deref() {
                    q.push(" AND (CASE WHEN gone.user_id IS NULL THEN target.email_canonical ELSE gone.email_canonical END) = ")
                        .push_bind(target);
                }
                if let Some(from) = filter.from {
                    q.push(" AND a.occurred_at >= ").push_bind(from.0);
                }
                if let Some(until) = filter.until {
                    q.push(" AND a.occurred_at < ").push_bind(until.0);
                }
                if let Some(before) = before_id {
                    q.push(" AND a.id < ").push_bind(before);
                }
                q.push(" ORDER BY a.id DESC LIMIT ").push_bind(limit);
                let rows: Vec<AuditLogRow> = q.build_query_as().fetch_all(&mut *self.reader.lend().await?).await?;
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
