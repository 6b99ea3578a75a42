//! Storage behind one trait, with SQLite (the default, embedded) and PostgreSQL behind it. The
//! backend is picked once at start-up from the database URL; both run the same SQL, written once
//! in [`sql`], and the same store tests.

mod sql;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{NewUser, OrgKind, Organisation, Role, UserCredentials};
use crate::roles::{Permissions, RoleInfo};
use crate::session::{SessionInfo, SessionState};

pub use sql::{PgStore, SqliteStore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Creates the first organisation and its owner.
    Setup,
    /// Lets an existing account choose its password.
    SetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Setup => "setup",
            TokenPurpose::SetPassword => "set_password",
        }
    }
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub org_id: i64,
    pub state: SessionState,
    /// Set when the session was opened by proving a second factor.
    pub second_factor_at: Option<Timestamp>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

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
}

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
}

/// One attempt taken from an account's failure budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleAttempt {
    /// Consecutive failures including this attempt.
    pub failures: i64,
    pub previous_blocked_until: Timestamp,
    pub blocked_until: Timestamp,
}

/// A user's confirmed authenticator.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpCredential {
    pub secret_sealed: String,
    pub enabled_at: Timestamp,
    pub last_used_step: i64,
}

impl std::fmt::Debug for TotpCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpCredential")
            .field("secret_sealed", &"<redacted>")
            .field("enabled_at", &self.enabled_at)
            .field("last_used_step", &self.last_used_step)
            .finish()
    }
}

/// Who may complete a one-time link, if it is still valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidToken {
    pub purpose: TokenPurpose,
    pub user_id: Option<i64>,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    async fn count_organisations(&self) -> Result<i64>;
    async fn find_organisation_by_name(&self, name: &str) -> Result<Option<Organisation>>;

    async fn set_mfa_policy(
        &self,
        org_id: i64,
        policy: crate::policy::MfaPolicy,
        grace_until: Option<Timestamp>,
    ) -> Result<()>;

    /// Creates an organisation and its first member in one transaction.
    async fn create_organisation(&self, org: &NewOrganisation, owner: &NewUser, now: Timestamp) -> Result<(i64, i64)>;

    /// Creates a user in an existing organisation with one of its roles.
    async fn add_member(&self, org_id: i64, user: &NewUser, role_id: i64, now: Timestamp) -> Result<i64>;

    // --- roles and the team ----------------------------------------------------------------------

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
    /// One member of the organisation; `None` for anyone outside it.
    async fn member(&self, org_id: i64, user_id: i64) -> Result<Option<Member>>;
    /// An administrator's reset of a member's MFA, all or nothing: the authenticator, pending
    /// enrolments and recovery codes go, every session of the member ends, and `event` is
    /// recorded. `false` (and nothing changed) when the member is not in the organisation, has no
    /// authenticator, or is an owner while `owner_may_be_reset` is false.
    async fn reset_member_mfa(
        &self,
        org_id: i64,
        user_id: i64,
        owner_may_be_reset: bool,
        event: &AuditEvent,
    ) -> Result<bool>;
    /// Gives a member another role of the same organisation; `false` if not a member.
    async fn set_member_role(&self, org_id: i64, user_id: i64, role_id: i64) -> Result<bool>;
    /// Disables (ending every session) or re-enables a member's account; `false` if not a member.
    async fn set_member_disabled(&self, org_id: i64, user_id: i64, disabled: bool, now: Timestamp) -> Result<bool>;
    async fn record_sign_in(&self, user_id: i64, now: Timestamp) -> Result<()>;
    async fn business_hours(&self, org_id: i64) -> Result<crate::model::BusinessHours>;
    async fn set_business_hours(&self, org_id: i64, hours: crate::model::BusinessHours) -> Result<()>;

    async fn credentials_by_email(&self, canonical_email: &str) -> Result<Option<UserCredentials>>;
    async fn set_password_hash(&self, user_id: i64, hash: &str, now: Timestamp) -> Result<()>;

    /// The organisation a user signs in to: their oldest membership.
    async fn primary_membership(&self, user_id: i64) -> Result<Option<(Organisation, RoleInfo)>>;

    // --- one-time links -------------------------------------------------------------------------

    async fn create_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        user_id: Option<i64>,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<()>;
    /// Kills every unused link of this purpose (a new setup link replaces the old one).
    async fn revoke_tokens(&self, purpose: TokenPurpose, user_id: Option<i64>, now: Timestamp) -> Result<u64>;
    /// Looks a link up without using it (to decide whether to show its form).
    async fn peek_token(&self, token_hash: &str, purpose: TokenPurpose, now: Timestamp) -> Result<Option<ValidToken>>;

    /// Uses a setup link and creates the first organisation with its owner, all or nothing.
    /// `Ok(None)` when the link is unknown, used, expired, or an organisation already exists.
    async fn complete_setup(
        &self,
        token_hash: &str,
        org: &NewOrganisation,
        owner: &NewUser,
        now: Timestamp,
    ) -> Result<Option<(i64, i64)>>;

    /// Uses a set-password link and stores the hash, all or nothing. `Ok(None)` when not valid.
    async fn complete_set_password(&self, token_hash: &str, password_hash: &str, now: Timestamp)
        -> Result<Option<i64>>;

    // --- sessions -------------------------------------------------------------------------------

    async fn create_session(&self, s: &NewSession, now: Timestamp) -> Result<()>;
    /// The session behind a token hash with its user and organisation; disabled users have none.
    async fn find_session(&self, token_hash: &str) -> Result<Option<SessionInfo>>;
    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()>;
    async fn delete_session(&self, token_hash: &str) -> Result<bool>;
    async fn delete_user_sessions(&self, user_id: i64) -> Result<u64>;
    /// Deletes sessions past either limit; returns how many.
    async fn purge_sessions(&self, idle_before: Timestamp, created_before: Timestamp) -> Result<u64>;

    /// Replaces session `old_hash` by `new` (a state change issues a new token). `false` when the
    /// old session was already gone, e.g. used by a parallel request: then nothing is created.
    async fn rotate_session(&self, old_hash: &str, new: &NewSession, now: Timestamp) -> Result<bool>;
    /// Records a fresh second factor on this session (step-up).
    async fn mark_second_factor(&self, token_hash: &str, now: Timestamp) -> Result<()>;
    /// Ends every session of the user but one.
    async fn delete_other_sessions(&self, user_id: i64, keep_hash: &str) -> Result<u64>;

    // --- MFA -------------------------------------------------------------------------------------

    async fn totp_credential(&self, user_id: i64) -> Result<Option<TotpCredential>>;
    /// Stores the secret being enrolled, replacing any earlier one: only the latest can be confirmed.
    async fn put_pending_totp(&self, user_id: i64, sealed: &str, now: Timestamp, ttl: Duration) -> Result<()>;
    async fn pending_totp(&self, user_id: i64, now: Timestamp) -> Result<Option<String>>;
    /// Makes the pending secret `sealed` the user's authenticator with `step` already used, and
    /// when `recovery_hashes` is not empty replaces the recovery codes; all or nothing. `false`
    /// when that pending secret is gone, replaced or expired.
    async fn confirm_totp(
        &self,
        user_id: i64,
        sealed: &str,
        step: i64,
        recovery_hashes: &[String],
        now: Timestamp,
    ) -> Result<bool>;
    /// Records `step` as used if it is newer than the last used one; `false` means replay.
    async fn consume_totp_step(&self, user_id: i64, step: i64) -> Result<bool>;
    /// Uses a recovery code once; `false` when unknown or already used.
    async fn consume_recovery_code(&self, user_id: i64, code_hash: &str, now: Timestamp) -> Result<bool>;
    async fn recovery_codes_left(&self, user_id: i64) -> Result<i64>;
    /// The old set dies at once.
    async fn replace_recovery_codes(&self, user_id: i64, hashes: &[String], now: Timestamp) -> Result<()>;
    /// Removes the authenticator, pending enrolments and recovery codes; `false` if there was none.
    async fn disable_mfa(&self, user_id: i64) -> Result<bool>;

    // --- the per-account failure budget ------------------------------------------------------------

    /// Atomically takes one sign-in attempt from the account's budget. Every attempt counts as a
    /// failure until [`Store::throttle_clear`] or [`Store::throttle_refund`] says otherwise, so
    /// parallel guesses cannot share one free slot. `None` while the account must wait; otherwise
    /// the attempt, after setting the next wait with `delay_after`.
    async fn throttle_take(
        &self,
        account_key: &str,
        now: Timestamp,
        delay_after: fn(i64) -> Duration,
    ) -> Result<Option<ThrottleAttempt>>;
    /// Gives back one attempt that turned out not to be a failure (a right password when a
    /// second factor is still owed): the budget is as it was, neither refilled nor spent.
    async fn throttle_refund(&self, account_key: &str, attempt: &ThrottleAttempt) -> Result<()>;
    async fn throttle_clear(&self, account_key: &str, now: Timestamp) -> Result<()>;

    // --- audit ----------------------------------------------------------------------------------

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

/// Opens the store named by `url` (`sqlite://...` or `postgres://...`) and brings its schema up
/// to date.
pub async fn connect(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(std::sync::Arc::new(PgStore::open(url).await?))
    } else {
        Err(Error::Config(format!(
            "TESSERA_DATABASE_URL must start with sqlite:// or postgres:// (got {})",
            crate::secret::redact_url(url)
        )))
    }
}

pub(crate) fn parse_col<T: FromStr<Err = String>>(v: &str) -> Result<T> {
    v.parse::<T>().map_err(|e| Error::Database(sqlx::Error::Decode(e.into())))
}
