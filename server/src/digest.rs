//! The weekly security digest, for the people who may read the activity log and did not turn it
//! off: MFA adoption (and who is required but has no authenticator app), administrators' MFA resets with their
//! flags, bursts of failed sign-ins, and changes to the policy and roles. Planned once per ISO week
//! per recipient (so once per organisation and week, whatever the number of instances), sent by
//! the scheduled-mail machinery; `tessera digest send --org NAME` sends one now.

use std::collections::BTreeMap;
use std::time::Duration;

use minijinja::Value;

use crate::activity::{self, BusinessHours};
use crate::audit::{Action, RequestMeta};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::mail::messages::Message;
use crate::mail::{MailKind, Topic};
use crate::model::Organisation;
use crate::policy::MfaState;
use crate::roles::Permission;
use crate::store::{AuditEntry, AuditFilter, Member};
use crate::tessera::Tessera;

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);
/// Failed sign-ins to one account within the week that make a burst worth reporting.
pub const FAILED_BURST: usize = 5;
/// The most entries a list of the digest shows.
const LIST_LIMIT: usize = 20;

/// The ISO week `at` falls in, as a period key: `2026-W48`.
pub fn iso_week(at: Timestamp) -> String {
    match jiff::Timestamp::from_millisecond(at.0) {
        Ok(ts) => {
            let week = ts.to_zoned(jiff::tz::TimeZone::UTC).date().iso_week_date();
            format!("{}-W{:02}", week.year(), week.week())
        }
        Err(_) => "invalid".into(),
    }
}

fn person(name: &Option<String>, email: &Option<String>) -> String {
    match (name, email) {
        (Some(n), Some(e)) => format!("{n} ({e})"),
        (None, Some(e)) => e.clone(),
        _ => "an operator".into(),
    }
}

fn list(items: Vec<String>) -> Value {
    Value::from(items)
}

impl Tessera {
    /// The people of `org` who get its digest: those allowed to read the activity log whose
    /// accounts are in use.
    async fn digest_recipients(&self, org_id: i64) -> Result<Vec<Member>> {
        let mut all = self.all_members(org_id).await?;
        all.retain(|m| !m.disabled && !m.pending && m.role.permissions().contains(Permission::ViewActivityLog));
        Ok(all)
    }

    /// Plans this week's digest for everyone who gets it, in every organisation.
    pub(crate) async fn plan_digests(&self) -> Result<usize> {
        let now = self.clock.now();
        let week = iso_week(now);
        let mut planned = 0;
        for org in self.store.organisations().await? {
            // Once planned this week, an organisation costs one read a run, not one per person.
            if self.store.planned_in(org.id, MailKind::Digest.id(), &week).await? {
                continue;
            }
            for m in self.digest_recipients(org.id).await? {
                if self.store.plan_mail(org.id, m.user_id, MailKind::Digest.id(), &week, now).await? {
                    planned += 1;
                }
            }
        }
        Ok(planned)
    }

    /// `tessera digest send --org NAME`: the digest of the last seven days to everyone who gets
    /// it, now, through the same queue (a mail server that is down is tried again by `tessera
    /// serve`). Returns how many people it is for.
    pub async fn send_digest_now(&self, org_name: &str) -> Result<usize> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        let now = self.clock.now();
        let mut planned = 0;
        for m in self.digest_recipients(org.id).await? {
            let off = self.store.opted_out_topics(m.user_id).await?.iter().any(|t| t == Topic::Digest.id());
            if !off
                && self
                    .store
                    .plan_mail(org.id, m.user_id, MailKind::Digest.id(), &format!("now@{}", now.0), now)
                    .await?
            {
                planned += 1;
            }
        }
        self.deliver_scheduled().await?;
        Ok(planned)
    }

    /// The digest for `member` of `org`, for the seven days before `until`; `None` if they no
    /// longer get it.
    pub(crate) async fn digest_message(
        &self,
        org: &Organisation,
        member: &Member,
        until: Timestamp,
    ) -> Result<Option<Message>> {
        let opted_out = self.store.opted_out_topics(member.user_id).await?.iter().any(|t| t == Topic::Digest.id());
        if opted_out || member.disabled || !member.role.permissions().contains(Permission::ViewActivityLog) {
            return Ok(None);
        }
        let from = Timestamp(until.0 - WEEK.as_millis() as i64);
        // Each person's MFA as the team page names it, at the end of the week.
        let people: Vec<(Member, MfaState)> = self
            .all_members(org.id)
            .await?
            .into_iter()
            .filter(|m| !m.disabled)
            .map(|m| {
                let state = crate::team::member_state(crate::policy::OrgRules::of(org), &m, until);
                (m, state)
            })
            .collect();
        let count = |wanted: fn(&MfaState) -> bool| people.iter().filter(|(_, s)| wanted(s)).count();
        let with_app = count(|s| *s == MfaState::App);
        let with_email_codes = count(|s| *s == MfaState::EmailCodes);
        let missing: Vec<String> = people
            .iter()
            .filter(|(_, s)| s.owed())
            .take(LIST_LIMIT)
            .map(|(m, s)| format!("{} ({}): {}", m.display_name, m.email, s.label()))
            .collect();
        let hours: BusinessHours = self.store.business_hours(org.id).await?;
        let when = |at: Timestamp| hours.local_minute(at);
        let log = |action: Action, since: Timestamp| {
            let f = AuditFilter {
                action: Some(action.as_str().to_string()),
                from: Some(since),
                // The filter's end is exclusive; the digest's includes its last moment.
                until: Some(Timestamp(until.0 + 1)),
                ..Default::default()
            };
            async move { self.store.audit_log(org.id, &f, None, 1000).await }
        };
        // Resets, with the flags the activity log gives them (which look back 30 days).
        let history = log(Action::MfaResetByAdmin, Timestamp(from.0 - 30 * 86_400_000)).await?;
        let resets: Vec<String> = history
            .iter()
            .filter(|e| e.event.occurred_at >= from && e.event.outcome == "success")
            .take(LIST_LIMIT)
            .map(|e| {
                let flags: Vec<&str> = activity::flags_of(e, &history, &hours).iter().map(|f| f.label()).collect();
                let mut line = format!(
                    "{}: {} reset the MFA of {}",
                    when(e.event.occurred_at),
                    person(&e.actor_name, &e.actor_email),
                    person(&e.target_name, &e.target_email)
                );
                if !flags.is_empty() {
                    line.push_str(&format!(" (flagged: {})", flags.join("; ")));
                }
                line
            })
            .collect();
        // Failed sign-ins, by account, where there were many.
        let mut failures: BTreeMap<String, usize> = BTreeMap::new();
        for e in log(Action::SignIn, from).await?.iter().filter(|e| e.event.outcome == "failure") {
            *failures.entry(person(&e.target_name, &e.target_email)).or_default() += 1;
        }
        let bursts: Vec<String> = failures
            .into_iter()
            .filter(|(_, n)| *n >= FAILED_BURST)
            .take(LIST_LIMIT)
            .map(|(who, n)| format!("{who}: {n} failed sign-ins"))
            .collect();
        // Changes to the rules.
        let mut changes: Vec<AuditEntry> = Vec::new();
        for action in [Action::PolicyChanged, Action::RoleCreated, Action::RoleChanged, Action::MemberRoleChanged] {
            changes.extend(log(action, from).await?.into_iter().filter(|e| e.event.outcome == "success"));
        }
        changes.sort_by_key(|e| e.event.occurred_at.0);
        let changes: Vec<String> = changes
            .iter()
            .take(LIST_LIMIT)
            .map(|e| {
                let detail = e.event.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default();
                let whom = e.target_email.as_ref().map(|_| format!(" ({})", person(&e.target_name, &e.target_email)));
                format!(
                    "{}: {} by {}{}{}",
                    when(e.event.occurred_at),
                    Action::label_of(&e.event.action),
                    person(&e.actor_name, &e.actor_email),
                    whom.unwrap_or_default(),
                    detail
                )
            })
            .collect();
        let week = format!("{} to {}", when(from), when(until));
        let message =
            Message::new(MailKind::Digest, &member.email, &member.display_name, until, &RequestMeta::default())
                .with("org_name", org.name.as_str())
                .with("week", week)
                .with("members", people.len())
                .with("with_mfa", with_app)
                .with("with_email_codes", with_email_codes)
                .with("required_not_enrolled", list(missing))
                .with("resets", list(resets))
                .with("failed_sign_ins", list(bursts))
                .with("rule_changes", list(changes))
                .with("link", self.config.link("/settings/activity"))
                .unsubscribable(self.unsubscribe_link(member.user_id, Topic::Digest));
        Ok(Some(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_are_iso_weeks_in_utc() {
        let at = |s: &str| Timestamp(s.parse::<jiff::Timestamp>().unwrap().as_millisecond());
        assert_eq!(iso_week(at("2026-11-26T12:00:00Z")), "2026-W48");
        assert_eq!(iso_week(at("2026-11-23T00:00:00Z")), "2026-W48", "Monday starts the week");
        assert_eq!(iso_week(at("2026-11-22T23:59:59Z")), "2026-W47");
        assert_eq!(iso_week(at("2027-01-01T00:00:00Z")), "2026-W53", "ISO years differ from calendar years");
    }
}
