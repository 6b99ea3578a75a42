//! The application: what every use case works with (storage, clock, configuration, hashing, the
//! instance key, mail, limits). The use cases are `impl Tessera` blocks in the modules named for
//! what they do; the web layer and the CLI call those and nothing below them, so every rule (who
//! may, what is checked, what is recorded) lives in one place.

use std::sync::Arc;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::Result;
use crate::mail::{FileOutbox, Mailer};
use crate::password::PasswordHasher;
use crate::rate_limit::RateLimiter;
use crate::secret::SecretKey;
use crate::session::SessionInfo;
use crate::store::Store;

pub struct Tessera {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub(crate) hasher: PasswordHasher,
    pub(crate) key: SecretKey,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) signin_limiter: RateLimiter,
    pub(crate) reset_limiter: RateLimiter,
    pub(crate) sso_cache: Arc<crate::provider_metadata::MetadataCache>,
}

impl Tessera {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: Arc<Config>,
        hasher: PasswordHasher,
        key: SecretKey,
    ) -> Self {
        let signin_limiter = RateLimiter::new(config.signin_rate);
        let reset_limiter = RateLimiter::new(config.reset_rate);
        // Until told otherwise, mail goes to the outbox in the data directory.
        let from = "Tessera <no-reply@localhost>".parse().expect("static mailbox");
        let mailer: Arc<dyn Mailer> = Arc::new(FileOutbox::new(config.data_dir.join("outbox"), from));
        Tessera {
            store,
            clock,
            config,
            hasher,
            key,
            mailer,
            signin_limiter,
            reset_limiter,
            sso_cache: Default::default(),
        }
    }

    /// Sends mail through `mailer` (SMTP, or another outbox).
    pub fn with_mailer(mut self, mailer: Arc<dyn Mailer>) -> Self {
        self.mailer = mailer;
        self
    }

    pub(crate) async fn audit(&self, e: crate::store::AuditEvent) -> Result<()> {
        self.store.record_audit(&e).await
    }

    /// Records an event the session's user did to their own account.
    pub(crate) async fn audit_own(
        &self,
        s: &SessionInfo,
        action: Action,
        outcome: Outcome,
        meta: &RequestMeta,
        detail: Option<&'static str>,
    ) -> Result<()> {
        let e = audit::event(
            self.clock.now(),
            action,
            outcome,
            Some(s.org_id),
            Some(s.user_id),
            Some(s.user_id),
            meta,
            detail,
        );
        self.audit(e).await
    }

    /// Whether Tessera can serve requests: the database answers (for `/readyz`).
    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await
    }

    /// Takes one request of `meta`'s address from `limiter` (requests without one, such as the
    /// command line's, are not limited).
    pub(crate) fn check_rate(
        &self,
        limiter: &RateLimiter,
        meta: &RequestMeta,
    ) -> std::result::Result<(), std::time::Duration> {
        match meta.ip {
            Some(ip) => limiter.check(ip, self.clock.now()),
            None => Ok(()),
        }
    }
}
