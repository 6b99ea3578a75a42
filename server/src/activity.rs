//! The organisation's activity log: what the audit trail shows to the people allowed to see it,
//! filtered, paged and exported as CSV.

use crate::error::Result;
use crate::mfa::CodeError;
use crate::roles::Permission;
use crate::services::Tessera;
use crate::session::SessionInfo;
use crate::store::{AuditEntry, AuditFilter};

/// Entries per page.
pub const PAGE_SIZE: i64 = 50;
/// The most a CSV export holds.
pub const EXPORT_LIMIT: i64 = 100_000;

impl Tessera {
    /// A page of the viewer's organisation's log (never another organisation's).
    pub async fn activity_log(
        &self,
        s: &SessionInfo,
        filter: &AuditFilter,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, CodeError> {
        if !s.can(Permission::ViewActivityLog) {
            return Err(CodeError::NotAllowed("Your role does not allow reading the activity log."));
        }
        Ok(self.store.audit_log(s.org_id, filter, before_id, limit.clamp(1, EXPORT_LIMIT)).await?)
    }
}

/// One CSV field: quoted when needed, and defused when a spreadsheet would read it as a formula.
fn field(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The entries as CSV (RFC 4180), with a header row. Times in UTC.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut out = String::from("time_utc,actor,target,action,outcome,ip,detail\r\n");
    for e in entries {
        let row = [
            e.event.occurred_at.to_rfc3339(),
            e.actor_email.clone().unwrap_or_default(),
            e.target_email.clone().unwrap_or_default(),
            e.event.action.clone(),
            e.event.outcome.clone(),
            e.event.ip.clone().unwrap_or_default(),
            e.event.detail.clone().unwrap_or_default(),
        ];
        out.push_str(&row.iter().map(|v| field(v)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::store::AuditEvent;

    #[test]
    fn csv_is_quoted_and_safe_for_spreadsheets() {
        let entry = AuditEntry {
            id: 1,
            event: AuditEvent {
                occurred_at: Timestamp(0),
                org_id: Some(1),
                actor_user_id: Some(1),
                target_user_id: None,
                action: "signin".into(),
                outcome: "failure".into(),
                ip: Some("192.0.2.1".into()),
                user_agent: None,
                detail: Some(r#"wrong, "really""#.into()),
                reason: None,
            },
            actor_email: Some("=cmd@example.org".into()),
            target_email: None,
        };
        let csv = to_csv(&[entry]);
        let mut lines = csv.split("\r\n");
        assert_eq!(lines.next(), Some("time_utc,actor,target,action,outcome,ip,detail"));
        assert_eq!(
            lines.next(),
            Some(r#"1970-01-01T00:00:00Z,'=cmd@example.org,,signin,failure,192.0.2.1,"wrong, ""really""""#)
        );
    }
}
