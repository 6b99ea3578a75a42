//! An organisation's own mail templates, every version saved, and editors' unsaved drafts.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::mail::Parts;
use crate::store::AuditEvent;

/// One save of a template: its content (`None`: back to the default), when, by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVersion {
    pub id: i64,
    pub parts: Option<Parts>,
    pub saved_at: Timestamp,
    /// "Ada Lovelace (ada@example.org)", while the account exists.
    pub saved_by: Option<String>,
}

#[async_trait]
pub trait MailTemplateStore: Send + Sync {
    /// The organisation's template for mail `kind`, if it has one.
    async fn mail_template(&self, org_id: i64, kind: &str) -> Result<Option<Parts>>;

    /// The kinds the organisation has its own template for, with when each was saved.
    async fn customised_mail_templates(&self, org_id: i64) -> Result<Vec<(String, Timestamp)>>;

    /// Saves `parts` as the template for `kind` (`None`: back to the default), keeps it as a new
    /// version, drops the saver's draft and records `audit`, all or nothing.
    async fn save_mail_template(
        &self,
        org_id: i64,
        kind: &str,
        parts: Option<&Parts>,
        by: i64,
        now: Timestamp,
        audit: &AuditEvent,
    ) -> Result<()>;

    /// The saved versions of `kind`, newest first.
    async fn mail_template_versions(&self, org_id: i64, kind: &str, limit: i64) -> Result<Vec<TemplateVersion>>;

    /// Keeps what `user_id` previewed for `kind`, replacing their earlier draft.
    async fn save_mail_template_draft(
        &self,
        org_id: i64,
        user_id: i64,
        kind: &str,
        parts: &Parts,
        now: Timestamp,
    ) -> Result<()>;

    async fn mail_template_draft(&self, org_id: i64, user_id: i64, kind: &str) -> Result<Option<Parts>>;
}
