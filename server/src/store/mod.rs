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

    /// Creates an organisation and its first member in one transaction.
    async fn create_organisation(&self, org: &NewOrganisation, owner: &NewUser, now: Timestamp) -> Result<(i64, i64)>;

    /// Creates a user in an existing organisation.
    async fn add_member(&self, org_id: i64, user: &NewUser, role: Role, now: Timestamp) -> Result<i64>;

    async fn credentials_by_email(&self, canonical_email: &str) -> Result<Option<UserCredentials>>;
    async fn set_password_hash(&self, user_id: i64, hash: &str, now: Timestamp) -> Result<()>;

    /// The organisation a user signs in to: their oldest membership.
    async fn primary_membership(&self, user_id: i64) -> Result<Option<(Organisation, Role)>>;

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

    // --- the per-account failure budget ------------------------------------------------------------

    /// Atomically takes one sign-in attempt from the account's budget. Every attempt counts as a
    /// failure until [`Store::throttle_clear`] says it succeeded, so parallel guesses cannot share
    /// one free slot. Returns `None` while the account must wait; otherwise the failure count
    /// including this attempt, after setting the next wait with `delay_after`.
    async fn throttle_take(
        &self,
        account_key: &str,
        now: Timestamp,
        delay_after: fn(i64) -> Duration,
    ) -> Result<Option<i64>>;
    async fn throttle_clear(&self, account_key: &str, now: Timestamp) -> Result<()>;

    // --- audit ----------------------------------------------------------------------------------

    async fn record_audit(&self, e: &AuditEvent) -> Result<()>;
    /// Most recent first.
    async fn recent_audit(&self, org_id: Option<i64>, limit: i64) -> Result<Vec<AuditEvent>>;
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
            crate::config::redact_url(url)
        )))
    }
}

pub(crate) fn parse_col<T: FromStr<Err = String>>(v: &str) -> Result<T> {
    v.parse::<T>().map_err(|e| Error::Database(sqlx::Error::Decode(e.into())))
}
