//! Mail Tessera sends on its own schedule, and the optional mail people turned off.

use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::Organisation;

/// A scheduled mail an instance has taken to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledMail {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub period: String,
    /// Tries so far, this one included.
    pub attempts: i64,
}

/// How a scheduled mail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// No longer due when its turn came (set up MFA meanwhile, turned the mail off).
    Skipped,
    /// The mail server refused it too many times.
    Failed,
}

impl MailOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            MailOutcome::Sent => "sent",
            MailOutcome::Skipped => "skipped",
            MailOutcome::Failed => "failed",
        }
    }
}

#[async_trait]
pub trait MailScheduleStore: Send + Sync {
    /// Organisations whose MFA policy is Required with a grace period still running at `now`.
    async fn organisations_in_grace(&self, now: Timestamp) -> Result<Vec<Organisation>>;

    async fn organisation_by_id(&self, org_id: i64) -> Result<Option<Organisation>>;

    /// Every organisation.
    async fn organisations(&self) -> Result<Vec<Organisation>>;

    /// Plans mail `kind` for `user_id` in `period`, due now; `false` if it was planned already
    /// (by this instance or another: the row's key decides).
    async fn plan_mail(&self, org_id: i64, user_id: i64, kind: &str, period: &str, now: Timestamp) -> Result<bool>;

    /// Whether mail `kind` was planned for anyone in `org_id` in `period`.
    async fn planned_in(&self, org_id: i64, kind: &str, period: &str) -> Result<bool>;

    /// Takes one due mail for `lease` (no other instance takes it meanwhile), counting the try.
    async fn claim_due_mail(&self, now: Timestamp, lease: Duration) -> Result<Option<ScheduledMail>>;

    /// Ends a taken mail.
    async fn finish_mail(&self, id: i64, outcome: MailOutcome, now: Timestamp) -> Result<()>;

    /// Gives a taken mail back, to be tried again at `at`.
    async fn retry_mail(&self, id: i64, at: Timestamp) -> Result<()>;

    /// The topics `user_id` turned off.
    async fn opted_out_topics(&self, user_id: i64) -> Result<Vec<String>>;

    /// Turns `topic` off (`off`) or on again for `user_id`; `true` if that changed anything.
    async fn set_opt_out(&self, user_id: i64, topic: &str, off: bool, now: Timestamp) -> Result<bool>;
}
