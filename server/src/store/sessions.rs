//! Sign-in sessions, stored by the hash of their token.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::session::{SessionInfo, SessionState};

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
    /// Opened by a sign-in provider, not a password (see [`crate::session::SessionInfo::via_provider`]).
    pub via_provider: bool,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
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
    /// Ends every session of the user but one, and revokes what applications hold of them.
    async fn delete_other_sessions(&self, user_id: i64, keep_hash: &str, now: Timestamp) -> Result<u64>;
}
