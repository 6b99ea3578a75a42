//! Accounts and their credentials: what sign-in reads and what a password change writes.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::UserCredentials;

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn credentials_by_email(&self, canonical_email: &str) -> Result<Option<UserCredentials>>;
    async fn set_password_hash(&self, user_id: i64, hash: &str, now: Timestamp) -> Result<()>;
    async fn record_sign_in(&self, user_id: i64, now: Timestamp) -> Result<()>;
}
