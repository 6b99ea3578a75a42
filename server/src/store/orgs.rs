//! Organisations: the first one made at setup, the ones operators add, and each one's settings.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{BusinessHours, NewUser, OrgKind, Organisation};
use crate::policy::MfaPolicy;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrgKind,
}

impl NewOrganisation {
    pub fn canonical_name(&self) -> String {
        self.name.trim().to_lowercase()
    }
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> Result<()>;
    /// Connections of the store's pools lent out now (for the operators' metrics).
    fn connections_in_use(&self) -> usize;

    async fn count_organisations(&self) -> Result<i64>;
    async fn find_organisation_by_name(&self, name: &str) -> Result<Option<Organisation>>;

    async fn set_mfa_policy(&self, org_id: i64, policy: MfaPolicy, grace_until: Option<Timestamp>) -> Result<()>;
    /// "Passwords expire after N days" (`None`: never).
    async fn set_password_max_age(&self, org_id: i64, days: Option<u32>) -> Result<()>;
    /// Turns "email codes as a second factor" on or off and, given `roles`, lets exactly those of
    /// the organisation's roles use them (ids of other organisations' roles change nothing). One
    /// transaction; `false` when everything already was so.
    async fn set_email_codes_allowed(&self, org_id: i64, allowed: bool, roles: Option<&[i64]>) -> Result<bool>;
    /// Allows or refuses MFA resets verified by email only; `false` when it already was so.
    async fn set_email_only_resets(&self, org_id: i64, allowed: bool) -> Result<bool>;

    /// Creates an organisation and its first member in one transaction.
    async fn create_organisation(&self, org: &NewOrganisation, owner: &NewUser, now: Timestamp) -> Result<(i64, i64)>;

    async fn business_hours(&self, org_id: i64) -> Result<BusinessHours>;
    async fn set_business_hours(&self, org_id: i64, hours: BusinessHours) -> Result<()>;
}
