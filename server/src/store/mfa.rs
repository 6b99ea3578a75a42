//! Second factors: the authenticator (TOTP), its enrolment, and recovery codes.

use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;

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

#[async_trait]
pub trait MfaStore: Send + Sync {
    async fn totp_credential(&self, user_id: i64) -> Result<Option<TotpCredential>>;
    /// Stores the secret being enrolled, replacing any earlier one: only the latest can be confirmed.
    async fn put_pending_totp(&self, user_id: i64, sealed: &str, now: Timestamp, ttl: Duration) -> Result<()>;
    async fn pending_totp(&self, user_id: i64, now: Timestamp) -> Result<Option<String>>;
    /// Makes the pending secret `sealed` the user's authenticator with `step` already used, and
    /// when `recovery_hashes` is not empty replaces the recovery codes, and lifts any hold for a
    /// temporary access code; all or nothing. `false`
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

    /// Keeps a new set of recovery codes (sealed) for the page that shows them to this session,
    /// replacing any set not shown yet.
    async fn put_codes_to_show(&self, session_hash: &str, codes: &CodesToShow, expires_at: Timestamp) -> Result<()>;
    /// The codes kept for this session, removed in the same statement: only one reader gets them.
    async fn take_codes_to_show(&self, session_hash: &str, now: Timestamp) -> Result<Option<CodesToShow>>;
}

/// Recovery codes on their way to the page that shows them once.
#[derive(Clone, PartialEq, Eq)]
pub struct CodesToShow {
    pub codes_sealed: String,
    /// A set that replaced an older one, rather than the first of an enrolment.
    pub regenerated: bool,
}

impl std::fmt::Debug for CodesToShow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodesToShow")
            .field("codes_sealed", &"<redacted>")
            .field("regenerated", &self.regenerated)
            .finish()
    }
}
