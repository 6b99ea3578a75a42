//! Storage, one trait per area, with SQLite (the default, embedded) and PostgreSQL behind each.
//! The backend is picked once at start-up from the database URL; both run the same SQL, written
//! once per area in [`sql`], and the same store tests.
//!
//! Use cases hold the whole of it as `Arc<dyn Store>`, whose methods need no import. Code that
//! holds a concrete [`SqliteStore`] or [`PgStore`] brings the methods in with
//! `use tessera_server::store::prelude::*`.

mod access_codes;
mod accounts;
mod applications;
mod audit;
mod email_changes;
mod email_codes;
mod mail_schedule;
mod mail_templates;
mod mfa;
mod oidc;
mod orgs;
mod sessions;
mod signing_keys;
mod sql;
mod sso;
mod team;
mod throttle;
mod tokens;

use crate::error::{Error, Result};

pub use access_codes::{AccessCodeStore, AccessHold, NewAccessCode};
pub use accounts::AccountStore;
pub use applications::{Application, ApplicationStore, NewApplication};
pub use audit::{AuditEntry, AuditEvent, AuditFilter, AuditStore};
pub use email_changes::{EmailChangeStore, EmailChanged};
pub use email_codes::{CodeUse, EmailCodeStore};
pub use mail_schedule::{MailOutcome, MailScheduleStore, ScheduledMail};
pub use mail_templates::{MailTemplateStore, TemplateVersion};
pub use mfa::{CodesToShow, MfaStore, TotpCredential};
pub use oidc::{Grant, NewCode, NewGrant, NewToken, OidcStore, Spent, SpentCode, TokenKind};
pub use orgs::{NewOrganisation, OrgStore};
pub use sessions::{NewSession, Previous, SessionStore, Settle, SignInWrite, Written};
pub use signing_keys::{NewSigningKey, SigningKey, SigningKeyStore};
pub use sql::{PgStore, SqliteStore};
pub use sso::{FlowPurpose, OrgProvider, ProviderMfa, SsoFlow, SsoIdentity, SsoProvider, SsoStore};
pub use team::{Adoption, Cursor, Member, MemberFilter, MfaFilter, Overview, TeamStore};
pub use throttle::{Budget, SharedLimitStore, ThrottleAttempt, ThrottleStore};
pub use tokens::{LinkRecord, TokenPurpose, TokenStore, ValidToken};

/// The area traits, for calling store methods on anything but a `dyn Store`.
pub mod prelude {
    pub use super::{
        AccessCodeStore, AccountStore, ApplicationStore, AuditStore, EmailChangeStore, EmailCodeStore,
        MailScheduleStore, MailTemplateStore, MfaStore, OidcStore, OrgStore, SessionStore, SharedLimitStore,
        SigningKeyStore, SsoStore, Store, TeamStore, ThrottleStore, TokenStore,
    };
}

/// All of storage, as the use cases hold it. Anything that implements every area is a store.
pub trait Store:
    AccessCodeStore
    + ApplicationStore
    + OrgStore
    + TeamStore
    + AccountStore
    + TokenStore
    + SessionStore
    + SigningKeyStore
    + SsoStore
    + MfaStore
    + OidcStore
    + EmailCodeStore
    + EmailChangeStore
    + MailScheduleStore
    + MailTemplateStore
    + ThrottleStore
    + SharedLimitStore
    + AuditStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: AccessCodeStore
        + ApplicationStore
        + OrgStore
        + TeamStore
        + AccountStore
        + TokenStore
        + SessionStore
        + SigningKeyStore
        + SsoStore
        + MfaStore
        + OidcStore
        + EmailCodeStore
        + EmailChangeStore
        + MailScheduleStore
        + MailTemplateStore
        + ThrottleStore
        + SharedLimitStore
        + AuditStore
        + Send
        + Sync
        + 'static
{
}

/// Opens the store named by `url` (`sqlite://...` or `postgres://...`) and brings its schema up
/// to date.
pub async fn connect(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(std::sync::Arc::new(PgStore::open(url).await?))
    } else {
        Err(Error::Config(format!(
            "TESSERA_DATABASE_URL must start with sqlite:// or postgres:// (got {})",
            crate::secret::redact_url(url)
        )))
    }
}
