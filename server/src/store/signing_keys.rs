//! The keys ID tokens are signed with (see `signing_keys`).

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;

/// A key to store. The private half is sealed; the public half is the JWK as published.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSigningKey {
    pub kid: String,
    pub alg: String,
    pub private_sealed: String,
    pub public_jwk: String,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for NewSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_sealed", &"<redacted>")
            .finish()
    }
}

/// A stored key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    pub private_sealed: String,
    pub public_jwk: String,
    pub created_at: Timestamp,
    pub replaced_at: Option<Timestamp>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("replaced_at", &self.replaced_at)
            .finish()
    }
}

#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Stores `key` as the current key of its algorithm. With `replace`, the current one (if
    /// any) is replaced as of `key.created_at`, in the same transaction; without, `key` is only
    /// stored if its algorithm has no current key (`false`: another instance's key is current).
    async fn add_signing_key(&self, key: &NewSigningKey, replace: bool) -> Result<bool>;

    /// The current key of each algorithm.
    async fn current_signing_keys(&self) -> Result<Vec<SigningKey>>;

    /// The current keys and those replaced at or after `since`, newest first.
    async fn published_signing_keys(&self, since: Timestamp) -> Result<Vec<SigningKey>>;

    /// Deletes keys replaced before `before`.
    async fn delete_replaced_signing_keys(&self, before: Timestamp) -> Result<u64>;
}
