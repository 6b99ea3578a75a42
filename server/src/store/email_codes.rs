//! Codes mailed as a second factor, bound to the session they were sent for.

use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::send_limit::Sent;

/// What became of a code someone typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeUse {
    /// It was this session's live code, and it is now used up.
    Used,
    /// It was this session's code, unused, but too old.
    Expired,
    /// Anything else: wrong, used, replaced, or another session's.
    Refused,
}

#[async_trait]
pub trait EmailCodeStore: Send + Sync {
    /// Issues a code for `session_hash` unless [`crate::send_limit`] refuses it, given the codes
    /// the account was sent in the hour before `now`; every older unused code of the account dies.
    /// One transaction that first locks the account's row, so requests at the same moment count
    /// each other.
    async fn issue_email_code(
        &self,
        user_id: i64,
        session_hash: &str,
        code_hash: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<Sent>;

    /// Uses the code if it is this session's, unused and unexpired: one conditional update, so of
    /// two submissions at once exactly one wins.
    async fn use_email_code(&self, session_hash: &str, code_hash: &str, now: Timestamp) -> Result<CodeUse>;

    /// When this session's live code expires, if it has one (to show the form for it).
    async fn email_code_expiry(&self, session_hash: &str, now: Timestamp) -> Result<Option<Timestamp>>;
}
