//! One-time links: issued by mail or to an operator, used once, and the changes they allow made in
//! the same transaction that uses them.

use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::NewUser;
use crate::send_limit::Sent;

use super::NewOrganisation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Creates the first organisation and its owner.
    Setup,
    /// Lets an existing account choose its password.
    SetPassword,
    /// Lets a person who forgot their password choose a new one (never past MFA).
    ResetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Setup => "setup",
            TokenPurpose::SetPassword => "set_password",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

/// A one-time link as stored, valid or not: its page says what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub user_id: Option<i64>,
    pub expires_at: Timestamp,
    pub used: bool,
    pub issued_by: Option<i64>,
}

/// Who may complete a one-time link, if it is still valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidToken {
    pub purpose: TokenPurpose,
    pub user_id: Option<i64>,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn create_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        user_id: Option<i64>,
        issued_by: Option<i64>,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<()>;
    /// A link of this purpose whatever its state, to tell an expired one from one used or unknown.
    async fn link_record(&self, token_hash: &str, purpose: TokenPurpose) -> Result<Option<LinkRecord>>;
    /// Kills every unused link of this purpose (a new setup link replaces the old one).
    async fn revoke_tokens(&self, purpose: TokenPurpose, user_id: Option<i64>, now: Timestamp) -> Result<u64>;
    /// Issues a link to `user_id` unless [`crate::send_limit`] refuses it, given the links of this
    /// purpose the account was sent in the hour before `now`. Older unused links of the purpose
    /// die. One transaction that first locks the account's row, so requests at the same moment
    /// count each other.
    async fn issue_limited_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        user_id: i64,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<Sent>;
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

    /// Uses a set-password or reset link, stores the hash and ends every session of the account,
    /// all or nothing. `Ok(None)` when the link is not valid (two uses at once: one wins).
    async fn complete_set_password(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<i64>>;
}
