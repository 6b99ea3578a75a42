//! The audit log: written by every use case, read by the activity log.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;

/// One row of the audit log. Never holds a secret: no passwords, codes or tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub occurred_at: Timestamp,
    pub org_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub target_user_id: Option<i64>,
    pub action: String,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
    /// Why, in the actor's words (e.g. a ticket number); only for actions on someone else.
    pub reason: Option<String>,
    /// The activity log's flags, as worked out when it was recorded (comma-separated ids);
    /// `None` for events recorded before flags were kept, and for those nobody flags.
    pub flags: Option<String>,
}

/// Which events of an organisation's log to show; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exact action id, e.g. `mfa.disabled`.
    pub action: Option<String>,
    /// Canonical email of the actor / the target.
    pub actor_email: Option<String>,
    pub target_email: Option<String>,
    /// From (inclusive) and until (exclusive).
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// An audit event as the activity log shows it: with the people's emails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub event: AuditEvent,
    pub actor_email: Option<String>,
    pub target_email: Option<String>,
    /// Display names, beside the addresses.
    pub actor_name: Option<String>,
    pub target_name: Option<String>,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record_audit(&self, e: &AuditEvent) -> Result<()>;
    /// Most recent first.
    async fn recent_audit(&self, org_id: Option<i64>, limit: i64) -> Result<Vec<AuditEvent>>;
    /// One organisation's log, newest first, `limit` entries older than entry `before_id`.
    async fn audit_log(
        &self,
        org_id: i64,
        filter: &AuditFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>>;
}
