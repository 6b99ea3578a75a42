//! Accounts and their credentials: what sign-in reads and what a password change writes.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::UserCredentials;

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn credentials_by_email(&self, canonical_email: &str) -> Result<Option<UserCredentials>>;
    /// The same password hashed anew (stronger parameters): its age stays.
    async fn set_password_hash(&self, user_id: i64, hash: &str, now: Timestamp) -> Result<()>;
    /// A signed-in person's new password, all or nothing: the hash (its age starts now), every
    /// other session of the account ends, its reset links die, the session `old_session` is
    /// replaced by `new`, the MFA question after a new password is set, and `event` is recorded.
    /// `false` (and nothing changed) when that session ended meanwhile.
    async fn change_password(
        &self,
        user_id: i64,
        hash: &str,
        old_session: &str,
        new: &crate::store::NewSession,
        event: &crate::store::AuditEvent,
        now: Timestamp,
    ) -> Result<bool>;
    /// Whether the account has set a new password and not yet said what to do about its MFA.
    async fn password_prompt_pending(&self, user_id: i64) -> Result<bool>;
    /// Sets that; clearing returns whether it was set (so one answer is recorded once).
    async fn set_password_prompt(&self, user_id: i64, pending: bool) -> Result<bool>;
}
