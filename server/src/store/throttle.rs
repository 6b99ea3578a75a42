//! The per-account failure budget behind sign-in; [`crate::throttle`] decides the waits.

use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;

/// One attempt taken from an account's failure budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleAttempt {
    /// Consecutive failures including this attempt.
    pub failures: i64,
    pub previous_blocked_until: Timestamp,
    pub blocked_until: Timestamp,
}

/// What taking from the budget gave: an attempt, or the time the account may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Taken(ThrottleAttempt),
    Waiting { until: Timestamp },
}

impl Budget {
    pub fn taken(self) -> Option<ThrottleAttempt> {
        match self {
            Budget::Taken(a) => Some(a),
            Budget::Waiting { .. } => None,
        }
    }
}

#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Atomically takes one sign-in attempt from the account's budget. Every attempt counts as a
    /// failure until [`ThrottleStore::throttle_clear`] or [`ThrottleStore::throttle_refund`] says
    /// otherwise, so parallel guesses cannot share one free slot. `Waiting` while the account must
    /// wait; otherwise the attempt, after setting the next wait with `delay_after`.
    async fn throttle_take(
        &self,
        account_key: &str,
        now: Timestamp,
        delay_after: fn(i64) -> Duration,
    ) -> Result<Budget>;
    /// Gives back one attempt that turned out not to be a failure (a right password when a
    /// second factor is still owed): the budget is as it was, neither refilled nor spent.
    async fn throttle_refund(&self, account_key: &str, attempt: &ThrottleAttempt) -> Result<()>;
    async fn throttle_clear(&self, account_key: &str, now: Timestamp) -> Result<()>;
}

/// The per-IP limits as every instance on one database shares them: a token bucket per address
/// and purpose, kept in the database. Each process also keeps its own buckets in memory
/// ([`crate::rate_limit`]) as a first filter that costs no query.
#[async_trait]
pub trait SharedLimitStore: Send + Sync {
    /// Takes `cost_ms` of credit from `bucket`, which holds at most `cap_ms` and refills one
    /// millisecond per millisecond; `Some(wait)` when it holds too little (nothing is taken).
    async fn take_shared_credit(
        &self,
        bucket: &str,
        now: Timestamp,
        cap_ms: i64,
        cost_ms: i64,
    ) -> Result<Option<Duration>>;
    /// Forgets buckets untouched since `before` (full again by then, so nothing is lost).
    async fn purge_shared_credit(&self, before: Timestamp) -> Result<()>;
}
