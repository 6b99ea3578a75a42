//! An organisation's roles and members: the team pages and what administrators do to members.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{NewUser, Organisation, Role};
use crate::roles::{Permissions, RoleInfo};

use super::AuditEvent;

/// Which members the team list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    /// Part of the email or name, any case.
    pub search: Option<String>,
    pub role_id: Option<i64>,
    pub mfa: Option<MfaFilter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaFilter {
    Enabled,
    NotEnabled,
    /// No MFA although the organisation's policy or the member's role requires it.
    RequiredNotEnrolled,
}

impl MfaFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaFilter::Enabled => "enabled",
            MfaFilter::NotEnabled => "not_enabled",
            MfaFilter::RequiredNotEnrolled => "required",
        }
    }

    pub fn parse(s: &str) -> Option<MfaFilter> {
        [MfaFilter::Enabled, MfaFilter::NotEnabled, MfaFilter::RequiredNotEnrolled]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// Where a page of the team list starts: after or before a member's canonical email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    First,
    After(String),
    Before(String),
}

/// A member of an organisation as the team pages show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub email_canonical: String,
    pub display_name: String,
    pub role: RoleInfo,
    pub has_mfa: bool,
    pub disabled: bool,
    pub last_sign_in_at: Option<Timestamp>,
    pub joined_at: Timestamp,
    /// Invited and has not chosen a password yet.
    pub pending: bool,
    /// When the latest invitation link was sent and when it expires (pending members only).
    pub invited_at: Option<Timestamp>,
    pub invitation_expires_at: Option<Timestamp>,
}

/// How far MFA has come in an organisation, counting members whose accounts are not disabled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Adoption {
    pub members: i64,
    pub enabled: i64,
    /// Without MFA although the organisation's policy or their role requires it.
    pub required_not_enrolled: i64,
}

impl Adoption {
    pub fn not_enabled(&self) -> i64 {
        self.members - self.enabled
    }
}

/// See [`TeamStore::org_overview`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub adoption: Adoption,
    /// Whether the activity log holds the event asked about.
    pub logged: bool,
    pub hours: crate::model::BusinessHours,
}

#[async_trait]
pub trait TeamStore: Send + Sync {
    /// The organisation's roles: built-in ones first, then custom ones by age.
    async fn roles(&self, org_id: i64) -> Result<Vec<RoleInfo>>;
    /// One role of the organisation (never another organisation's).
    async fn role(&self, org_id: i64, role_id: i64) -> Result<Option<RoleInfo>>;
    async fn builtin_role(&self, org_id: i64, role: Role) -> Result<Option<RoleInfo>>;
    async fn create_role(
        &self,
        org_id: i64,
        name: &str,
        permissions: Permissions,
        requires_mfa: bool,
        now: Timestamp,
    ) -> Result<i64>;
    /// Changes whether a role requires MFA and, for a custom role, its permissions.
    async fn update_role(
        &self,
        org_id: i64,
        role_id: i64,
        permissions: Option<Permissions>,
        requires_mfa: bool,
    ) -> Result<bool>;

    /// Creates a user in an existing organisation with one of its roles.
    async fn add_member(&self, org_id: i64, user: &NewUser, role_id: i64, now: Timestamp) -> Result<i64>;

    /// A page of the organisation's members ordered by email, and how many match in all.
    /// `org_requires_mfa`: whether the organisation's policy requires MFA of everyone now.
    async fn members(
        &self,
        org_id: i64,
        filter: &MemberFilter,
        org_requires_mfa: bool,
        cursor: &Cursor,
        limit: i64,
    ) -> Result<(Vec<Member>, i64)>;
    /// The members who were invited and have not chosen a password yet, ordered by email.
    async fn pending_members(&self, org_id: i64) -> Result<Vec<Member>>;
    /// How many members were invited and have not chosen a password yet.
    async fn pending_count(&self, org_id: i64) -> Result<i64>;
    /// What home summarises for those who look after the organisation, in one read (each read is
    /// a round trip, and home is the page people open most): MFA adoption among the members whose
    /// accounts are not disabled (`org_requires_mfa`: whether the policy requires MFA of everyone
    /// now), whether the activity log holds an event `logged` (action, outcome), and the
    /// organisation's business hours.
    async fn org_overview(&self, org_id: i64, org_requires_mfa: bool, logged: (&str, &str)) -> Result<Overview>;
    /// One member of the organisation; `None` for anyone outside it.
    async fn member(&self, org_id: i64, user_id: i64) -> Result<Option<Member>>;
    /// An administrator's reset of a member's MFA, all or nothing: the authenticator, pending
    /// enrolments and recovery codes go, every session of the member ends, and `event` is
    /// recorded. `false` (and nothing changed) when the member is not in the organisation, has no
    /// authenticator, or no longer has `role_id`, the role the rules were checked against. With
    /// `hold`, the account is held for that temporary access code in the same transaction.
    async fn reset_member_mfa(
        &self,
        org_id: i64,
        user_id: i64,
        role_id: i64,
        hold: Option<&crate::store::NewAccessCode>,
        event: &AuditEvent,
    ) -> Result<bool>;
    /// Withdraws the invitation of a member who has not chosen a password, all or nothing: the
    /// account and its links go and `event` is recorded. `false` (nothing changed) when the
    /// person is not a member here or has already accepted.
    async fn revoke_invitation(&self, org_id: i64, user_id: i64, event: &AuditEvent) -> Result<bool>;
    /// An administrator corrects a member's email address, all or nothing: the account moves to
    /// `email`, every session of it ends, its reset and set-password links, emailed codes and
    /// pending address changes (all sent to the old address) die, and `event` is recorded.
    /// `false` (nothing changed) when they are not a member or no longer have `role_id`;
    /// [`crate::Error::Conflict`] when another account has that address.
    async fn correct_member_email(
        &self,
        org_id: i64,
        user_id: i64,
        role_id: i64,
        email: &crate::model::Email,
        event: &AuditEvent,
        now: Timestamp,
    ) -> Result<bool>;
    /// Gives a member another role of the same organisation; `false` (nothing changed) if they are
    /// not a member or no longer have `from_role`, the role the rules were checked against.
    async fn set_member_role(&self, org_id: i64, user_id: i64, from_role: i64, role_id: i64) -> Result<bool>;
    /// Disables (ending every session) or re-enables a member's account; `false` (nothing changed)
    /// if they are not a member or no longer have `role_id`, the role the rules were checked against.
    async fn set_member_disabled(
        &self,
        org_id: i64,
        user_id: i64,
        role_id: i64,
        disabled: bool,
        now: Timestamp,
    ) -> Result<bool>;

    /// The organisation a user signs in to: their oldest membership.
    async fn primary_membership(&self, user_id: i64) -> Result<Option<(Organisation, RoleInfo)>>;
}
