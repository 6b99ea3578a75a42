//! Temporary access codes: the hold an administrator's MFA reset puts on an account that must
//! have MFA, and the single-use code that lets its next sign-in through to enrolment.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::CodeUse;

/// A code to store: its keyed hash, who issued it, and until when it works.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccessCode {
    pub code_hash: String,
    pub issued_by: Option<i64>,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for NewAccessCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccessCode")
            .field("code_hash", &"<redacted>")
            .field("issued_by", &self.issued_by)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// An account's hold, as the member page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessHold {
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// When its code was used (the person got through to enrolment but has not finished it).
    pub used_at: Option<Timestamp>,
}

#[async_trait]
pub trait AccessCodeStore: Send + Sync {
    /// Puts a new code on the account's hold (creating the hold), replacing any older code.
    async fn put_access_code(&self, user_id: i64, code: &NewAccessCode, now: Timestamp) -> Result<()>;

    /// Uses the account's code if `code_hash` is it, unused and unexpired: one conditional
    /// update, so of two submissions at once exactly one wins.
    async fn use_access_code(&self, user_id: i64, code_hash: &str, now: Timestamp) -> Result<CodeUse>;

    /// The account's hold, if it has one.
    async fn access_hold(&self, user_id: i64) -> Result<Option<AccessHold>>;

    /// Keeps a new code (sealed) for the page that shows it once to the session that issued it.
    async fn put_access_code_to_show(
        &self,
        session_hash: &str,
        user_id: i64,
        sealed: &str,
        expires_at: Timestamp,
    ) -> Result<()>;

    /// The code kept for this session about `user_id`, removed in the same statement: only one
    /// reader gets it.
    async fn take_access_code_to_show(
        &self,
        session_hash: &str,
        user_id: i64,
        now: Timestamp,
    ) -> Result<Option<String>>;
}
