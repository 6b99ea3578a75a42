//! The OpenID Connect providers people may sign in with, as the operator configured them (see
//! `sso`).

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;

/// A provider as stored. Its client secret stays sealed; `tenants` are Microsoft's allowed
/// tenant ids.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoProvider {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    pub tenants: Vec<String>,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for SsoProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoProvider")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret_sealed", &"<redacted>")
            .field("tenants", &self.tenants)
            .finish()
    }
}

#[async_trait]
pub trait SsoStore: Send + Sync {
    /// Stores a provider (its `id` is ignored); `Conflict` if its name, whatever its case, is
    /// taken.
    async fn add_sso_provider(&self, provider: &SsoProvider) -> Result<i64>;

    /// Every provider, in the order they were added.
    async fn sso_providers(&self) -> Result<Vec<SsoProvider>>;

    /// Removes the provider named `name` (whatever its case); `false` if there was none.
    async fn remove_sso_provider(&self, name: &str) -> Result<bool>;
}
