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
    /// Set once the process was asked to stop: `/readyz` then says no, so a load balancer sends
    /// no new requests while the ones in flight finish.
    draining: std::sync::atomic::AtomicBool,
}

/// Why an instance should not be sent requests now.
#[derive(Debug)]
pub enum NotReady {
    Draining,
    Database(crate::error::Error),
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
            draining: Default::default(),
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
        self.audit(self.own_event(s, action, outcome, meta, detail)).await
    }

    /// An event the session's user did to their own account, now (for a transaction that
    /// records it with other writes).
    pub(crate) fn own_event(
        &self,
        s: &SessionInfo,
        action: Action,
        outcome: Outcome,
        meta: &RequestMeta,
        detail: Option<&'static str>,
    ) -> crate::store::AuditEvent {
        let (org, user) = (Some(s.org_id), Some(s.user_id));
        audit::event(self.clock.now(), action, outcome, org, user, user, meta, detail)
    }

    /// Whether Tessera should be sent requests (for `/readyz`): not while draining, and only
    /// while the database answers.
    pub async fn ready(&self) -> std::result::Result<(), NotReady> {
        if self.draining.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(NotReady::Draining);
        }
        self.store.ping().await.map_err(NotReady::Database)
    }

    /// From now on `/readyz` says this instance is stopping (it still serves what it is sent).
    pub fn start_draining(&self) {
        self.draining.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Takes one request of `meta`'s address from `limiter`, then from the bucket all instances
    /// share under `purpose` (requests without an address, such as the command line's, are not
    /// limited). `Err` holds how long to wait.
    pub(crate) async fn check_rate(
        &self,
        limiter: &RateLimiter,
        purpose: &str,
        meta: &RequestMeta,
    ) -> std::result::Result<(), std::time::Duration> {
        let Some(ip) = meta.ip else { return Ok(()) };
        let now = self.clock.now();
        limiter.check(ip, now)?;
        let (cap, cost) = limiter.cap_and_cost_ms();
        match self.store.take_shared_credit(&format!("{purpose}:{ip}"), now, cap, cost).await {
            Ok(None) => Ok(()),
            Ok(Some(wait)) => Err(wait),
            // The request itself needs the database and will say so; the limit does not stand
            // in its way.
            Err(e) => {
                tracing::warn!(error = %e, "could not read the shared per-IP limit");
                Ok(())
            }
        }
    }

    /// Forgets shared per-IP buckets that are full again (for the periodic clean-up).
    pub async fn purge_idle_limits(&self) -> Result<()> {
        let longest =
            [&self.signin_limiter, &self.reset_limiter].iter().map(|l| l.cap_and_cost_ms().0).max().unwrap_or(0);
        self.store.purge_shared_credit(crate::clock::Timestamp(self.clock.now().0 - longest)).await
    }
}
