//! Mail Tessera sends on its own: reminders to people who still must set up MFA during their
//! organisation's grace period, 7 days, 1 day and a few hours before its end. It runs inside
//! `tessera serve` on a timer, but the database decides: planning a mail inserts a row keyed by
//! recipient, kind and period (a second instance's insert finds it there), and sending takes a row
//! for a lease first. A mail server that is down is tried again later, further apart each time,
//! and never holds up a request.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::RequestMeta;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::mail::messages::{when, Message};
use crate::mail::{MailKind, Topic};
use crate::store::{MailOutcome, MemberFilter, MfaFilter, ScheduledMail};
use crate::tessera::Tessera;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Which reminder of a grace period is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    WeekBefore,
    DayBefore,
    /// On the day: a few hours before the end.
    OnTheDay,
}

impl Reminder {
    /// How long before the deadline each one goes.
    fn before(self) -> Duration {
        match self {
            Reminder::WeekBefore => 7 * DAY,
            Reminder::DayBefore => DAY,
            Reminder::OnTheDay => Duration::from_secs(6 * 3600),
        }
    }

    fn key(self) -> &'static str {
        match self {
            Reminder::WeekBefore => "7d",
            Reminder::DayBefore => "1d",
            Reminder::OnTheDay => "0d",
        }
    }

    /// The period a reminder claims: which one, of which deadline (a new deadline, new reminders).
    pub fn period(self, deadline: Timestamp) -> String {
        format!("{}@{}", self.key(), deadline.0)
    }
}

/// The reminder due at `now` for a grace period ending at `deadline`: the latest whose time has
/// come. One that was missed (the grace period began closer to its end, or Tessera was not
/// running) is not sent late on top of the next one.
pub fn reminder_due(deadline: Timestamp, now: Timestamp) -> Option<Reminder> {
    if now >= deadline {
        return None;
    }
    [Reminder::OnTheDay, Reminder::DayBefore, Reminder::WeekBefore]
        .into_iter()
        .find(|r| now.0 >= deadline.0 - r.before().as_millis() as i64)
}

/// How long to wait before trying a mail again after `attempts` failed tries: a minute, doubling,
/// at most six hours.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Duration::from_secs(60u64.saturating_mul(1 << exp.min(10))).min(Duration::from_secs(6 * 3600))
}

/// Tries before a scheduled mail is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// Members read at a time while planning.
const PAGE: i64 = 200;

/// How long an instance holds a mail it took: longer than sending can take.
const LEASE: Duration = Duration::from_secs(120);

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub planned: usize,
    pub sent: usize,
    pub skipped: usize,
    pub retried: usize,
}

impl Tessera {
    /// Plans what is due and sends what is due, once; `tessera serve` calls it every minute.
    pub async fn run_scheduled_mail(&self) -> Result<RunReport> {
        let planned = self.plan_grace_reminders().await? + self.plan_digests().await?;
        Ok(RunReport { planned, ..self.deliver_scheduled().await? })
    }

    /// Sends the planned mail that is due.
    pub(crate) async fn deliver_scheduled(&self) -> Result<RunReport> {
        let mut report = RunReport::default();
        // A bounded number per run, so one run never goes on for long.
        for _ in 0..500 {
            let now = self.clock.now();
            let Some(job) = self.store.claim_due_mail(now, LEASE).await? else { break };
            match self.send_scheduled(&job).await {
                Ok(true) => {
                    self.store.finish_mail(job.id, MailOutcome::Sent, self.clock.now()).await?;
                    report.sent += 1;
                }
                Ok(false) => {
                    self.store.finish_mail(job.id, MailOutcome::Skipped, self.clock.now()).await?;
                    report.skipped += 1;
                }
                Err(e) if job.attempts >= MAX_ATTEMPTS => {
                    tracing::error!(error = %e, id = job.id, kind = %job.kind, "scheduled mail given up");
                    self.store.finish_mail(job.id, MailOutcome::Failed, self.clock.now()).await?;
                }
                Err(e) => {
                    tracing::warn!(error = %e, id = job.id, kind = %job.kind, attempts = job.attempts, "scheduled mail not sent; will try again");
                    self.store.retry_mail(job.id, self.clock.now().plus(backoff(job.attempts))).await?;
                    report.retried += 1;
                }
            }
        }
        Ok(report)
    }

    /// Plans the reminder due for everyone who still must set up MFA in each organisation whose
    /// grace period is running; returns how many this run planned.
    async fn plan_grace_reminders(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut planned = 0;
        for org in self.store.organisations_in_grace(now).await? {
            let Some(deadline) = org.mfa_grace_until else { continue };
            let Some(reminder) = reminder_due(deadline, now) else { continue };
            let filter = MemberFilter { mfa: Some(MfaFilter::RequiredNotEnrolled), ..Default::default() };
            let mut cursor = crate::store::Cursor::First;
            loop {
                let (page, _) = self.store.members(org.id, &filter, true, &cursor, PAGE).await?;
                // Where email codes stand in for an app, nobody is held at the deadline: no reminder.
                let by_email = |m: &&crate::store::Member| {
                    crate::policy::email_codes_for(org.kind, org.email_codes_allowed, m.role.email_codes)
                };
                for m in page.iter().filter(|m| !m.disabled && !m.pending && !by_email(m)) {
                    let kind = MailKind::GraceReminder.id();
                    if self.store.plan_mail(org.id, m.user_id, kind, &reminder.period(deadline), now).await? {
                        planned += 1;
                    }
                }
                match page.last() {
                    Some(last) if page.len() as i64 == PAGE => {
                        cursor = crate::store::Cursor::After(last.email_canonical.clone())
                    }
                    _ => break,
                }
            }
        }
        Ok(planned)
    }

    /// Sends a taken mail if it is still due: `Ok(false)` when it no longer is.
    async fn send_scheduled(&self, job: &ScheduledMail) -> Result<bool> {
        let Some(org) = self.store.organisation_by_id(job.org_id).await? else { return Ok(false) };
        let Some(member) = self.store.member(org.id, job.user_id).await? else { return Ok(false) };
        let now = self.clock.now();
        let message = match MailKind::from_id(&job.kind) {
            Some(MailKind::GraceReminder) => self.reminder_message(&org, &member, &job.period, now).await?,
            Some(MailKind::Digest) => self.digest_message(&org, &member, now).await?,
            _ => None,
        };
        let Some(message) = message else { return Ok(false) };
        crate::delivery::send_message(&*self.store, &*self.mailer, org.id, &message).await.map(|()| true)
    }

    /// The reminder of `period` for `member`, unless it is no longer due.
    async fn reminder_message(
        &self,
        org: &crate::model::Organisation,
        member: &crate::store::Member,
        period: &str,
        now: crate::clock::Timestamp,
    ) -> Result<Option<Message>> {
        let still_in_grace = org.mfa_policy == crate::model::MfaPolicy::Required
            && org.mfa_grace_until.is_some_and(|d| d > now && period.ends_with(&format!("@{}", d.0)));
        let opted_out =
            self.store.opted_out_topics(member.user_id).await?.iter().any(|t| t == Topic::GraceReminders.id());
        if !still_in_grace || member.has_mfa || member.disabled || opted_out {
            return Ok(None);
        }
        let deadline = org.mfa_grace_until.unwrap_or(now);
        let left = deadline.since(now);
        let days_left = time_left(left);
        let message =
            Message::new(MailKind::GraceReminder, &member.email, &member.display_name, now, &RequestMeta::default())
                .with("org_name", org.name.as_str())
                .with("deadline", when(deadline))
                .with("days_left", days_left)
                .with("link", self.config.link("/account/security"))
                .unsubscribable(self.unsubscribe_link(member.user_id, Topic::GraceReminders));
        Ok(Some(message))
    }
}

/// How long is left before a deadline, as a reminder says it: whole days (rounded) while there
/// is most of a day or more, hours on the last day.
pub fn time_left(left: Duration) -> String {
    let hours = left.as_secs() / 3600;
    match hours {
        0 => "less than an hour".into(),
        1 => "1 hour".into(),
        2..=19 => format!("{hours} hours"),
        _ => match (left.as_secs() + 43_200) / 86_400 {
            1 => "1 day".into(),
            n => format!("{n} days"),
        },
    }
}

/// Runs [`Tessera::run_scheduled_mail`] every `every` until the process ends. A run that fails
/// (the database is away) is logged and the next one tries again.
pub fn spawn(app: Arc<Tessera>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match app.run_scheduled_mail().await {
                Ok(r) if r != RunReport::default() => tracing::info!(?r, "scheduled mail"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "scheduled mail run failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reminder_due_is_the_latest_whose_time_has_come() {
        let deadline = Timestamp(100 * 86_400_000);
        let at = |before: Duration| Timestamp(deadline.0 - before.as_millis() as i64);
        let table = [
            (at(30 * DAY), None),
            (at(7 * DAY + Duration::from_secs(1)), None),
            (at(7 * DAY), Some(Reminder::WeekBefore)),
            (at(2 * DAY), Some(Reminder::WeekBefore)),
            (at(DAY), Some(Reminder::DayBefore)),
            (at(Duration::from_secs(7 * 3600)), Some(Reminder::DayBefore)),
            (at(Duration::from_secs(6 * 3600)), Some(Reminder::OnTheDay)),
            (at(Duration::from_secs(1)), Some(Reminder::OnTheDay)),
            (deadline, None),
            (Timestamp(deadline.0 + 1), None),
        ];
        for (now, want) in table {
            assert_eq!(reminder_due(deadline, now), want, "{} ms before", deadline.0 - now.0);
        }
        assert_ne!(Reminder::WeekBefore.period(deadline), Reminder::WeekBefore.period(Timestamp(deadline.0 + 1)));
    }

    #[test]
    fn time_left_is_said_in_days_then_hours() {
        let h = |n: u64| Duration::from_secs(n * 3600);
        let table = [
            (h(7 * 24), "7 days"),
            (h(3 * 24) - Duration::from_secs(2), "3 days"),
            (h(24), "1 day"),
            (h(21), "1 day"),
            (h(19), "19 hours"),
            (h(6), "6 hours"),
            (h(1), "1 hour"),
            (Duration::from_secs(59 * 60), "less than an hour"),
        ];
        for (left, said) in table {
            assert_eq!(time_left(left), said, "{left:?}");
        }
    }

    #[test]
    fn retries_back_off_to_six_hours() {
        let waits: Vec<u64> = (1..=12).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(&waits[..6], &[60, 120, 240, 480, 960, 1920]);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), 6 * 3600);
        assert_eq!(backoff(0).as_secs(), 60);
    }
}
