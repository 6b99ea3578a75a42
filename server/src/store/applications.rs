//! The organisation's applications that sign people in with Tessera (see `applications`).

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::AuditEvent;

/// An application to register. Its secret, if it has one, is only ever a keyed hash here.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApplication {
    pub org_id: i64,
    pub client_id: String,
    pub name: String,
    pub name_canonical: String,
    pub secret_hash: Option<String>,
    pub require_mfa: bool,
    pub redirect_uris: Vec<String>,
    pub logout_uris: Vec<String>,
    /// The roles whose people may use it; empty: everyone.
    pub role_ids: Vec<i64>,
    /// `RS256` or `ES256`.
    pub id_token_alg: String,
}

impl std::fmt::Debug for NewApplication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApplication")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("secret_hash", &self.secret_hash.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// A registered application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: i64,
    pub org_id: i64,
    pub client_id: String,
    pub name: String,
    /// Confidential: it has a secret. Public: none, PKCE only.
    pub confidential: bool,
    pub require_mfa: bool,
    pub disabled: bool,
    pub created_at: Timestamp,
    /// What its ID tokens are signed with: `RS256` or `ES256`.
    pub id_token_alg: String,
    pub redirect_uris: Vec<String>,
    pub logout_uris: Vec<String>,
    pub role_ids: Vec<i64>,
}

#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// Registers `app` and records `audit`, all or nothing. A name the organisation already
    /// uses is a `Conflict`.
    async fn add_application(&self, app: &NewApplication, now: Timestamp, audit: &AuditEvent) -> Result<i64>;

    /// The organisation's applications, by name.
    async fn applications(&self, org_id: i64) -> Result<Vec<Application>>;

    /// The application with this client id, whatever its organisation, with its secret's hash.
    async fn application_by_client_id(&self, client_id: &str) -> Result<Option<(Application, Option<String>)>>;

    /// Replaces a confidential application's secret and records `audit`; `false` if the
    /// organisation has no such confidential application.
    async fn set_client_secret(
        &self,
        org_id: i64,
        client_id: &str,
        secret_hash: &str,
        audit: &AuditEvent,
    ) -> Result<bool>;

    /// Disables or enables the application and records `audit`; disabling revokes what it
    /// holds of anyone. `false` if the organisation has no such application.
    async fn set_application_disabled(
        &self,
        org_id: i64,
        client_id: &str,
        disabled: bool,
        now: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool>;

    /// Removes the application and records `audit`; `false` if the organisation has no such one.
    async fn remove_application(&self, org_id: i64, client_id: &str, audit: &AuditEvent) -> Result<bool>;
}
