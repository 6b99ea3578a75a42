//! Sign-in sessions, stored by the hash of their token.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::session::{SessionInfo, SessionState};
use crate::store::{AuditEvent, ThrottleAttempt};

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

/// What the account's failure budget becomes when a sign-in step succeeds.
#[derive(Debug, Clone, Copy)]
pub enum Settle<'a> {
    /// Nothing is owed any more: the budget is full again (by account key).
    Clear(&'a str),
    /// A right password while a second factor is still owed: its own attempt is given back, and
    /// the guesses left for codes stay as they were.
    Refund(&'a str, &'a ThrottleAttempt),
    /// Nothing was taken from it.
    Untouched,
    /// A code proven by computation alone (an authenticator's), before the budget was asked:
    /// unless the account is waiting out its failure budget (then nothing is written, see
    /// [`Written::Waiting`]), the budget is full again. Asked and settled in the transaction
    /// that writes the sign-in, so a step costs one durable commit, not two.
    ClearUnlessWaiting(&'a str),
}

/// The session a browser had when a sign-in step succeeded.
#[derive(Debug, Clone, Copy)]
pub enum Previous<'a> {
    None,
    /// Another sign-in's, by token hash: it ends.
    Ends(&'a str),
    /// The half-finished sign-in this step finished: the new session takes its place, and if a
    /// parallel request took it first nothing is written.
    Replaced(&'a str),
}

/// Everything a sign-in step writes once its factor is proven. Written in one transaction, so a
/// sign-in costs one durable commit here (besides the budget taken before the check).
#[derive(Debug, Clone, Copy)]
pub struct SignInWrite<'a> {
    pub now: Timestamp,
    pub budget: Settle<'a>,
    pub event: &'a AuditEvent,
    pub previous: Previous<'a>,
    pub session: &'a NewSession,
    /// The person (by user id) is fully signed in: the sign-in is recorded, and the unused
    /// password-reset links they asked for die (signing in shows they no longer need one).
    pub completes: Option<i64>,
    /// The authenticator's time step (user id, step) that proved this step, consumed first: if
    /// a parallel request consumed it already, nothing is written.
    pub consumes_totp: Option<(i64, i64)>,
}

/// What [`SessionStore::write_sign_in`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Done,
    /// The session it was to replace was gone: nothing written.
    SessionGone,
    /// The time step it was to consume was used already: nothing written.
    CodeUsed,
    /// [`Settle::ClearUnlessWaiting`] found the account waiting until then: nothing written.
    Waiting {
        until: Timestamp,
    },
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Writes a successful sign-in step ([`SignInWrite`]) at once, or nothing.
    async fn write_sign_in(&self, w: &SignInWrite<'_>) -> Result<Written>;
    async fn create_session(&self, s: &NewSession, now: Timestamp) -> Result<()>;
    /// The session behind a token hash with its user and organisation; disabled users have none.
    async fn find_session(&self, token_hash: &str) -> Result<Option<SessionInfo>>;
    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()>;
    async fn delete_session(&self, token_hash: &str) -> Result<bool>;
    async fn delete_user_sessions(&self, user_id: i64) -> Result<u64>;
    /// Deletes sessions past either limit; returns how many.
    async fn purge_sessions(&self, idle_before: Timestamp, created_before: Timestamp) -> Result<u64>;

    /// Records a fresh second factor on this session (step-up).
    async fn mark_second_factor(&self, token_hash: &str, now: Timestamp) -> Result<()>;
    /// Ends every session of the user but one, and revokes what applications hold of them.
    async fn delete_other_sessions(&self, user_id: i64, keep_hash: &str, now: Timestamp) -> Result<u64>;
}
