//! The OpenID Connect providers people may sign in with, as the operator configured them (see
//! `sso`).

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::AuditEvent;

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

/// An account at a provider, linked to a Tessera account by the provider's identifier for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    pub provider_id: i64,
    pub user_id: i64,
    /// `iss sub`, or for Microsoft `tid oid`.
    pub subject: String,
    pub email: Option<String>,
    pub linked_at: Timestamp,
}

/// A provider an organisation lets its people sign in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgProvider {
    pub provider_id: i64,
    /// Where its accounts may come from (Google: Workspace domains; Microsoft: tenant ids;
    /// another provider: domains of verified addresses); empty: any account it signs in.
    pub accounts_from: Vec<String>,
    pub mfa: ProviderMfa,
    /// Domains whose addresses, verified by the provider, link a provider account to the
    /// Tessera account of that address at its first sign-in; empty: none.
    pub trust_email_from: Vec<String>,
    /// Domains whose addresses, verified by the provider, make a new member (role Member) of
    /// someone without an account at their first sign-in; empty: none.
    pub create_from: Vec<String>,
}

/// What a provider's own MFA counts for, as an organisation's owners choose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProviderMfa {
    /// Tessera's second factor is asked after the provider, as after a password (the default).
    #[default]
    Always,
    /// Skipped when the ID token says the provider checked a second factor (`amr`, `acr`).
    WhenProven,
    /// Never asked after this provider: its own sign-in is trusted whole.
    Never,
}

impl ProviderMfa {
    pub const ALL: [ProviderMfa; 3] = [ProviderMfa::Always, ProviderMfa::WhenProven, ProviderMfa::Never];

    pub fn id(self) -> &'static str {
        match self {
            ProviderMfa::Always => "always",
            ProviderMfa::WhenProven => "when-proven",
            ProviderMfa::Never => "never",
        }
    }

    pub fn from_id(id: &str) -> Option<ProviderMfa> {
        ProviderMfa::ALL.into_iter().find(|m| m.id() == id)
    }
}

/// Why a flow was started: to sign in, or to link the provider to a signed-in account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowPurpose {
    SignIn,
    Link { user_id: i64 },
}

/// A sign-in or link started at a provider, as kept until it comes back.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoFlow {
    pub state_hash: String,
    pub provider_id: i64,
    pub browser_hash: String,
    pub purpose: FlowPurpose,
    pub nonce: String,
    pub pkce_verifier_sealed: String,
    pub destination: String,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for SsoFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoFlow")
            .field("provider_id", &self.provider_id)
            .field("purpose", &self.purpose)
            .field("expires_at", &self.expires_at)
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

    /// Keeps a flow until it comes back.
    async fn start_sso_flow(&self, flow: &SsoFlow) -> Result<()>;

    /// The flow of `state_hash` started by the browser of `browser_hash`, marked used, if it was
    /// neither used nor expired at `now`: one conditional update, so of two callbacks with one
    /// state only one gets it, and another browser's cannot spend it.
    async fn take_sso_flow(&self, state_hash: &str, browser_hash: &str, now: Timestamp) -> Result<Option<SsoFlow>>;

    /// Forgets flows that expired before `before`.
    async fn purge_sso_flows(&self, before: Timestamp) -> Result<u64>;

    /// Links an identity; `Conflict` if the provider's account is linked already (to anyone), or
    /// the person already has one of this provider.
    async fn link_sso_identity(&self, identity: &SsoIdentity) -> Result<()>;

    /// The link of the provider's account `subject`, if any.
    async fn sso_identity(&self, provider_id: i64, subject: &str) -> Result<Option<SsoIdentity>>;

    /// A person's links, by provider.
    async fn sso_identities_of(&self, user_id: i64) -> Result<Vec<SsoIdentity>>;

    /// Removes a person's link to a provider; `false` if there was none.
    async fn unlink_sso_identity(&self, user_id: i64, provider_id: i64) -> Result<bool>;

    /// Lets an organisation's people sign in with a provider as `setting` says (`Some`; its
    /// `provider_id` is `provider_id`), or stops them (`None`); `audit` is written with the
    /// change.
    async fn set_org_sso_provider(
        &self,
        org_id: i64,
        provider_id: i64,
        setting: Option<&OrgProvider>,
        audit: &AuditEvent,
    ) -> Result<()>;

    /// The providers an organisation's people may sign in with, and from where.
    async fn org_sso_providers(&self, org_id: i64) -> Result<Vec<OrgProvider>>;

    /// Every organisation that allows provider `provider_id`, with how.
    async fn orgs_allowing_sso_provider(&self, provider_id: i64) -> Result<Vec<(i64, OrgProvider)>>;

    /// Whether the organisation requires its people, owners apart, to sign in with a provider.
    async fn sso_required(&self, org_id: i64) -> Result<bool>;

    /// Requires provider sign-in of the organisation's people (owners apart), or stops
    /// requiring it; `audit` is written with the change.
    async fn set_sso_required(&self, org_id: i64, required: bool, audit: &AuditEvent) -> Result<()>;

    /// The providers some organisation allows, (id, name), in the order they were added.
    async fn offered_sso_providers(&self) -> Result<Vec<(i64, String)>>;
}
