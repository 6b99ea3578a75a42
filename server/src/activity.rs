//! The organisation's activity log: what the audit trail shows to the people allowed to see it,
//! filtered, paged and exported as CSV.

use std::collections::{HashMap, HashSet};

use crate::audit::Action;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::factor::CodeError;
use crate::roles::Permission;
use crate::session::SessionInfo;
use crate::store::{AuditEntry, AuditFilter};
use crate::tessera::Tessera;

// Still named here by the pages that show and set the hours.
pub use crate::model::BusinessHours;

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
            return Err(CodeError::NotAllowed(crate::roles::Refusal::MissingPermission));
        }
        Ok(self.store.audit_log(s.org_id, filter, before_id, limit.clamp(1, EXPORT_LIMIT)).await?)
    }

    /// The flags of the given entries of the viewer's organisation, by entry id: as recorded
    /// with each event; for events recorded before flags were kept, worked out now.
    pub async fn activity_flags(
        &self,
        s: &SessionInfo,
        entries: &[AuditEntry],
        hours: &BusinessHours,
    ) -> Result<HashMap<i64, Vec<Flag>>, CodeError> {
        if !s.can(Permission::ViewActivityLog) {
            return Err(CodeError::NotAllowed(crate::roles::Refusal::MissingPermission));
        }
        let mut out: HashMap<i64, Vec<Flag>> =
            entries.iter().filter(|e| e.event.flags.is_some()).map(|e| (e.id, flags_of(e, &[], hours))).collect();
        let resets: Vec<&AuditEntry> = entries.iter().filter(|e| is_reset(e) && e.event.flags.is_none()).collect();
        let times = || resets.iter().map(|e| e.event.occurred_at.0);
        let (Some(first), Some(last)) = (times().min(), times().max()) else { return Ok(out) };
        let history = self.activity_log(s, &reset_history(first, last), None, EXPORT_LIMIT).await?;
        out.extend(resets.iter().map(|e| (e.id, flags(e, &history, hours))));
        Ok(out)
    }

    /// The flags to record with `event` (not recorded yet) of organisation `org_id`: judged now,
    /// under the business hours and time zone in force, so changing them later re-flags nothing.
    /// `None` for events nobody flags.
    pub(crate) async fn flags_to_record(
        &self,
        org_id: i64,
        event: &crate::store::AuditEvent,
    ) -> Result<Option<String>> {
        if event.action != Action::MfaResetByAdmin.as_str() || event.outcome != "success" {
            return Ok(None);
        }
        let hours = self.store.business_hours(org_id).await?;
        let at = event.occurred_at.0;
        let history = self.store.audit_log(org_id, &reset_history(at, at), None, EXPORT_LIMIT).await?;
        // Not in the log yet: after everything that is.
        let entry = AuditEntry {
            id: i64::MAX,
            event: event.clone(),
            actor_email: None,
            target_email: None,
            actor_name: None,
            target_name: None,
        };
        let ids: Vec<&str> = flags(&entry, &history, &hours).into_iter().map(Flag::id).collect();
        Ok(Some(ids.join(",")))
    }

    /// The business hours of the viewer's organisation.
    pub async fn business_hours(&self, s: &SessionInfo) -> Result<BusinessHours> {
        self.store.business_hours(s.org_id).await
    }

    /// Owners (`manage-policy`) set when the organisation works.
    pub async fn set_business_hours(&self, s: &SessionInfo, hours: BusinessHours) -> Result<(), CodeError> {
        if !s.can(Permission::ManagePolicy) {
            return Err(CodeError::NotAllowed(crate::roles::Refusal::MissingPermission));
        }
        Ok(self.store.set_business_hours(s.org_id, hours).await?)
    }
}

const DAY_MS: i64 = 86_400_000;

/// A pattern in the log worth a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// An MFA reset outside the organisation's business hours.
    OutsideBusinessHours,
    /// The same member's MFA was reset more than once in 30 days.
    RepeatedReset,
    /// One actor reset many members' MFA within a day.
    ManyResets,
    /// The person asking was verified by email only (where the organisation allows it).
    EmailOnlyVerification,
}

impl Flag {
    pub const ALL: [Flag; 4] =
        [Flag::OutsideBusinessHours, Flag::RepeatedReset, Flag::ManyResets, Flag::EmailOnlyVerification];

    /// How it is stored with its event.
    pub fn id(self) -> &'static str {
        match self {
            Flag::OutsideBusinessHours => "outside-hours",
            Flag::RepeatedReset => "repeated",
            Flag::ManyResets => "many",
            Flag::EmailOnlyVerification => "email-only",
        }
    }

    pub fn from_id(id: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.id() == id)
    }

    pub fn label(self) -> &'static str {
        match self {
            Flag::OutsideBusinessHours => "Outside business hours",
            Flag::RepeatedReset => "Same member reset again within 30 days",
            Flag::ManyResets => "Many resets by one person in a day",
            Flag::EmailOnlyVerification => "Verified by email only",
        }
    }
}

/// Distinct members one actor may reset within 24 hours before it looks unusual.
pub const MANY_RESETS: usize = 5;

/// The resets that flags of resets between `first` and `last` (milliseconds) are judged against:
/// from 30 days before the first up to the last.
fn reset_history(first: i64, last: i64) -> AuditFilter {
    AuditFilter {
        action: Some(Action::MfaResetByAdmin.as_str().to_string()),
        from: Some(Timestamp(first - 30 * DAY_MS)),
        until: Some(Timestamp(last + 1)),
        ..AuditFilter::default()
    }
}

fn is_reset(e: &AuditEntry) -> bool {
    e.event.action == Action::MfaResetByAdmin.as_str() && e.event.outcome == "success"
}

/// An event's detail as people read it: a mail template's change names the mail as the settings
/// do ("Password reset link: saved"), not by its id.
pub fn readable_detail(e: &crate::store::AuditEvent) -> String {
    let detail = e.detail.clone().unwrap_or_default();
    if e.action != Action::MailTemplateChanged.as_str() {
        return detail;
    }
    match detail.split_once(": ").and_then(|(id, rest)| crate::mail::MailKind::from_id(id).map(|k| (k, rest))) {
        Some((kind, rest)) => format!("{}: {rest}", kind.label()),
        None => detail,
    }
}

/// The flags of one entry: as recorded with it, or for an event recorded before flags were kept,
/// judged now against `history` (see [`flags`]).
pub fn flags_of(entry: &AuditEntry, history: &[AuditEntry], hours: &BusinessHours) -> Vec<Flag> {
    match entry.event.flags.as_deref() {
        Some(recorded) => recorded.split(',').filter_map(Flag::from_id).collect(),
        None => flags(entry, history, hours),
    }
}

/// The flags of one entry, judged against `history`: the organisation's successful resets from at
/// least 30 days before it up to it (ids order the log).
pub fn flags(entry: &AuditEntry, history: &[AuditEntry], hours: &BusinessHours) -> Vec<Flag> {
    if !is_reset(entry) {
        return Vec::new();
    }
    let at = entry.event.occurred_at.0;
    let earlier = |window_ms: i64| {
        history.iter().filter(move |h| is_reset(h) && h.id < entry.id && h.event.occurred_at.0 > at - window_ms)
    };
    let mut out = Vec::new();
    if !hours.contains(entry.event.occurred_at) {
        out.push(Flag::OutsideBusinessHours);
    }
    if earlier(30 * DAY_MS).any(|h| h.event.target_user_id == entry.event.target_user_id) {
        out.push(Flag::RepeatedReset);
    }
    let mut targets: HashSet<Option<i64>> = earlier(DAY_MS)
        .filter(|h| h.event.actor_user_id == entry.event.actor_user_id)
        .map(|h| h.event.target_user_id)
        .collect();
    targets.insert(entry.event.target_user_id);
    if targets.len() >= MANY_RESETS {
        out.push(Flag::ManyResets);
    }
    if entry.event.detail.as_deref().is_some_and(|d| d.starts_with(crate::identity_check::EMAIL_ONLY_DETAIL)) {
        out.push(Flag::EmailOnlyVerification);
    }
    out
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

/// The entries as CSV (RFC 4180), with a header row: times in UTC and at the organisation, and
/// the flags of each entry.
pub fn to_csv(entries: &[AuditEntry], hours: &BusinessHours, flags: &HashMap<i64, Vec<Flag>>) -> String {
    let mut out = String::from(
        "time_utc,time_local,actor_name,actor_email,target_name,target_email,action,outcome,ip,detail,reason,flags\r\n",
    );
    for e in entries {
        let flagged: Vec<&str> = flags.get(&e.id).into_iter().flatten().map(|f| f.label()).collect();
        let row = [
            e.event.occurred_at.to_rfc3339(),
            hours.local_time(e.event.occurred_at),
            e.actor_name.clone().unwrap_or_default(),
            e.actor_email.clone().unwrap_or_default(),
            e.target_name.clone().unwrap_or_default(),
            e.target_email.clone().unwrap_or_default(),
            e.event.action.clone(),
            e.event.outcome.clone(),
            e.event.ip.clone().unwrap_or_default(),
            readable_detail(&e.event),
            e.event.reason.clone().unwrap_or_default(),
            flagged.join("; "),
        ];
        out.push_str(&row.iter().map(|v| field(v)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
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
                flags: None,
            },
            actor_email: Some("=cmd@example.org".into()),
            target_email: None,
            actor_name: Some("@Mallory".into()),
            target_name: None,
        };
        let hours = BusinessHours::new(9 * 60, 17 * 60, "Europe/Paris").unwrap();
        let csv = to_csv(&[entry], &hours, &HashMap::new());
        let mut lines = csv.split("\r\n");
        assert_eq!(
            lines.next(),
            Some("time_utc,time_local,actor_name,actor_email,target_name,target_email,action,outcome,ip,detail,reason,flags")
        );
        assert_eq!(
            lines.next(),
            Some(
                r#"1970-01-01T00:00:00Z,1970-01-01 01:00:00 +01:00,'@Mallory,'=cmd@example.org,,,signin,failure,192.0.2.1,"wrong, ""really""",,"#
            )
        );
    }

    #[test]
    fn a_template_change_names_the_mail_as_the_settings_do() {
        let mut e = reset(1, 0, 1, 2).event;
        e.action = Action::MailTemplateChanged.as_str().into();
        e.detail = Some("password-reset: saved".into());
        assert_eq!(readable_detail(&e), "Password reset link: saved");
        e.detail = Some("no-such-mail: saved".into());
        assert_eq!(readable_detail(&e), "no-such-mail: saved", "unknown ids are shown as stored");
        let other = reset(2, 0, 1, 2).event;
        assert_eq!(readable_detail(&other), "");
    }

    /// 2026-11-23 was a Monday.
    const MONDAY: i64 = 1_795_392_000_000;
    const HOUR: i64 = 3_600_000;

    fn reset(id: i64, at: i64, actor: i64, target: i64) -> AuditEntry {
        AuditEntry {
            id,
            event: AuditEvent {
                occurred_at: Timestamp(at),
                org_id: Some(1),
                actor_user_id: Some(actor),
                target_user_id: Some(target),
                action: Action::MfaResetByAdmin.as_str().into(),
                outcome: "success".into(),
                ip: None,
                user_agent: None,
                detail: None,
                reason: None,
                flags: None,
            },
            actor_email: None,
            target_email: None,
            actor_name: None,
            target_name: None,
        }
    }

    #[test]
    fn suspicious_resets_are_flagged() {
        let hours = BusinessHours::default();
        let noon = MONDAY + 12 * HOUR;
        // A reset at noon on a Monday, the first for its member: nothing to say.
        let first = reset(1, noon, 7, 20);
        assert!(flags(&first, std::slice::from_ref(&first), &hours).is_empty());
        // At 23:00: outside business hours.
        let late = reset(2, MONDAY + 23 * HOUR, 7, 21);
        assert_eq!(flags(&late, &[first.clone(), late.clone()], &hours), [Flag::OutsideBusinessHours]);
        // The same member again 29 days later (a Tuesday noon): repeated; 31 days later: not.
        let again = reset(3, noon + 29 * DAY_MS, 8, 20);
        assert_eq!(flags(&again, &[first.clone(), again.clone()], &hours), [Flag::RepeatedReset]);
        let much_later = reset(4, noon + 31 * DAY_MS, 8, 20);
        assert!(flags(&much_later, &[first.clone(), much_later.clone()], &hours).is_empty());
        // One actor, five different members within a day: the fifth is flagged, not the fourth.
        let spree: Vec<AuditEntry> = (0..5).map(|i| reset(10 + i, noon + i * HOUR, 9, 30 + i)).collect();
        assert!(!flags(&spree[3], &spree, &hours).contains(&Flag::ManyResets));
        assert_eq!(flags(&spree[4], &spree, &hours), [Flag::ManyResets]);
        // Refused attempts are not resets.
        let mut refused = reset(20, MONDAY + 23 * HOUR, 9, 40);
        refused.event.outcome = "failure".into();
        assert!(flags(&refused, &spree, &hours).is_empty());
    }
}
