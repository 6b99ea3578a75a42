//! Changes of a person's email address, waiting for the link mailed to the new address.

use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::send_limit::Sent;

/// What confirming a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailChanged {
    /// The account now has the new address.
    Changed { user_id: i64, old_email: String, new_email: String },
    /// Another account has the new address by now: nothing changed, and the link is spent.
    Taken { user_id: i64, new_email: String },
    /// Unknown, used, replaced or expired.
    Invalid,
}

#[async_trait]
pub trait EmailChangeStore: Send + Sync {
    /// Records a change of `user_id`'s address to `new_email`, its link kept as `token_hash`,
    /// unless [`crate::send_limit`] refuses it given the changes asked for in the hour before
    /// `now`; older unconfirmed changes die. Locks the account's row first, so requests at the
    /// same moment count each other.
    async fn request_email_change(
        &self,
        user_id: i64,
        token_hash: &str,
        new_email: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<Sent>;

    /// The account and new address a link would confirm, if it still can.
    async fn pending_email_change(&self, token_hash: &str, now: Timestamp) -> Result<Option<(i64, String)>>;

    /// Uses the link and moves the account to the new address, all or nothing: one conditional
    /// update, so of two confirmations at once exactly one wins. Links to set or reset a password
    /// and emailed codes, all sent to the old address, die with it.
    async fn confirm_email_change(&self, token_hash: &str, now: Timestamp) -> Result<EmailChanged>;
}
