//! Configuration from the environment. Defaults make `tessera` run on a laptop with nothing set:
//! SQLite in `./data`, mail to `./data/outbox/`, http on loopback.

use std::path::PathBuf;
use std::time::Duration;

use crate::client_ip::TrustedProxies;
use crate::error::{Error, Result};
use crate::rate_limit::RateLimit;
use crate::session::SessionLimits;

// Still reached here by the binary, which redacts the database URL it reports.
pub use crate::secret::redact_url;

#[derive(Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Links in emails and the same-origin check use this, never request headers.
    pub base_url: url::Url,
    pub smtp_url: Option<String>,
    /// Sender of Tessera's mail (`Name <address>`); defaults to no-reply at the base URL's host.
    pub mail_from: Option<String>,
    /// The name authenticator apps show beside the account (`TESSERA_ISSUER`); unset, each
    /// organisation's own name, so people in several organisations can tell the entries apart.
    pub issuer: Option<String>,
    pub session: SessionLimits,
    /// How recent a second factor must be for sensitive changes (step-up).
    pub step_up_max_age: Duration,
    pub signin_rate: RateLimit,
    /// Per-IP limit on asking for password reset links.
    pub reset_rate: RateLimit,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How often `tessera serve` looks for scheduled mail that is due.
    pub schedule_every: Duration,
    /// How long a temporary access code (after an administrator's MFA reset) works.
    pub access_code_ttl: Duration,
    /// Reverse proxies and load balancers whose forwarding header names the client
    /// (`TESSERA_TRUSTED_PROXIES`, `TESSERA_FORWARDED_HEADER`); none by default.
    pub trusted_proxies: TrustedProxies,
    /// How long `tessera serve` keeps answering after SIGTERM with `/readyz` saying it is
    /// draining, so a load balancer stops sending before the listener closes
    /// (`TESSERA_DRAIN_SECONDS`, 0 by default).
    pub drain: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("base_url", &self.base_url.as_str())
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("issuer", &self.issuer)
            .field("session", &self.session)
            .field("step_up_max_age", &self.step_up_max_age)
            .field("signin_rate", &self.signin_rate)
            .field("reset_rate", &self.reset_rate)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("schedule_every", &self.schedule_every)
            .field("access_code_ttl", &self.access_code_ttl)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("drain", &self.drain)
            .finish()
    }
}

impl Config {
    /// Reads `TESSERA_*` variables through `get` (the process environment in production, a map in
    /// tests). `site_addr` is the listen address, used for the default base URL.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>, site_addr: &str) -> Result<Config> {
        let data_dir = PathBuf::from(get("TESSERA_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = get("TESSERA_DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("tessera.db").display()));
        let base = get("TESSERA_BASE_URL").unwrap_or_else(|| format!("http://{site_addr}"));
        let base_url = url::Url::parse(base.trim_end_matches('/'))
            .map_err(|e| Error::Config(format!("TESSERA_BASE_URL {base:?} is not a URL: {e}")))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.host_str().is_none() {
            return Err(Error::Config("TESSERA_BASE_URL must be an http:// or https:// URL".into()));
        }
        let minutes = |name: &str, default: u64| -> Result<Duration> {
            match get(name) {
                None => Ok(Duration::from_secs(default * 60)),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|m| *m > 0)
                    .map(|m| Duration::from_secs(m * 60))
                    .ok_or_else(|| Error::Config(format!("{name} must be a whole number of minutes above 0"))),
            }
        };
        let session = SessionLimits {
            idle: minutes("TESSERA_SESSION_IDLE_MINUTES", 60)?,
            absolute: minutes("TESSERA_SESSION_ABSOLUTE_MINUTES", 12 * 60)?,
        };
        let step_up_max_age = minutes("TESSERA_STEP_UP_MINUTES", 5)?;
        let access_code_ttl = minutes("TESSERA_ACCESS_CODE_MINUTES", 60)?;
        // Offices behind one address (NAT) may need more: the per-account budget still holds.
        let count = |name: &str, default: u32| -> Result<u32> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| Error::Config(format!("{name} must be a whole number from 1 to 100000"))),
            }
        };
        let per_minute = count("TESSERA_SIGNIN_PER_MINUTE", 30)?;
        let signin_rate = RateLimit {
            burst: count("TESSERA_SIGNIN_BURST", 30)?,
            refill: Duration::from_micros(60_000_000 / u64::from(per_minute)),
        };
        // Reset links are mail: an address may ask for a few an hour, in a burst at most that many.
        let resets = count("TESSERA_RESET_PER_HOUR", 10)?;
        let reset_rate = RateLimit { burst: resets, refill: Duration::from_micros(3_600_000_000 / u64::from(resets)) };
        let schedule_every = Duration::from_secs(u64::from(count("TESSERA_SCHEDULE_SECONDS", 60)?));
        let trusted_proxies = TrustedProxies::parse(
            &get("TESSERA_TRUSTED_PROXIES").unwrap_or_default(),
            &get("TESSERA_FORWARDED_HEADER").unwrap_or_default(),
        )
        .map_err(|e| Error::Config(format!("TESSERA_TRUSTED_PROXIES / TESSERA_FORWARDED_HEADER: {e}")))?;
        let drain =
            match get("TESSERA_DRAIN_SECONDS") {
                None => Duration::ZERO,
                Some(v) => {
                    v.trim().parse::<u64>().ok().filter(|s| *s <= 600).map(Duration::from_secs).ok_or_else(|| {
                        Error::Config("TESSERA_DRAIN_SECONDS must be a whole number from 0 to 600".into())
                    })?
                }
            };
        Ok(Config {
            data_dir,
            database_url,
            base_url,
            smtp_url: get("TESSERA_SMTP_URL").filter(|s| !s.trim().is_empty()),
            mail_from: get("TESSERA_MAIL_FROM").filter(|s| !s.trim().is_empty()),
            issuer: get("TESSERA_ISSUER").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
            session,
            step_up_max_age,
            signin_rate,
            reset_rate,
            // Room for a mail template (two bodies of 20,000 characters, percent-encoded).
            max_body_bytes: 256 * 1024,
            schedule_every,
            access_code_ttl,
            trusted_proxies,
            drain,
        })
    }

    pub fn from_env(site_addr: &str) -> Result<Config> {
        Self::from_lookup(|k| std::env::var(k).ok(), site_addr)
    }

    /// Cookies are `Secure` and `__Host-` prefixed whenever the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// `scheme://host[:port]` as browsers send it in `Origin`.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// Plain http is for development on this machine only.
    pub fn insecure_remote_base_url(&self) -> bool {
        if self.secure_cookies() {
            return false;
        }
        match self.base_url.host() {
            Some(url::Host::Domain(d)) => d != "localhost",
            Some(url::Host::Ipv4(ip)) => !ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => !ip.is_loopback(),
            None => true,
        }
    }

    /// A link to `path` (which starts with `/`) on the public URL.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path_and_query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| m.get(k).cloned(), "127.0.0.1:3000")
    }

    #[test]
    fn defaults_run_on_a_laptop() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://./data/tessera.db");
        assert_eq!(c.origin(), "http://127.0.0.1:3000");
        assert!(!c.secure_cookies());
        assert!(!c.insecure_remote_base_url());
        assert_eq!(c.session, SessionLimits::default());
        assert_eq!(c.link("/setup?token=x"), "http://127.0.0.1:3000/setup?token=x");
    }

    #[test]
    fn https_base_urls_make_cookies_secure() {
        let c = cfg(&[("TESSERA_BASE_URL", "https://id.example.org/")]).unwrap();
        assert!(c.secure_cookies());
        assert_eq!(c.origin(), "https://id.example.org");
        assert_eq!(c.link("/login"), "https://id.example.org/login");
        let c = cfg(&[("TESSERA_BASE_URL", "http://id.example.org")]).unwrap();
        assert!(c.insecure_remote_base_url());
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        assert!(cfg(&[("TESSERA_BASE_URL", "ftp://x")]).is_err());
        assert!(cfg(&[("TESSERA_BASE_URL", "not a url")]).is_err());
        assert!(cfg(&[("TESSERA_SESSION_IDLE_MINUTES", "0")]).is_err());
        assert!(cfg(&[("TESSERA_SESSION_IDLE_MINUTES", "ten")]).is_err());
        assert!(cfg(&[("TESSERA_TRUSTED_PROXIES", "10.0.0.0/99")]).unwrap_err().to_string().contains("10.0.0.0/99"));
        assert!(cfg(&[("TESSERA_DRAIN_SECONDS", "-1")]).is_err());
        let c = cfg(&[("TESSERA_TRUSTED_PROXIES", "127.0.0.1"), ("TESSERA_DRAIN_SECONDS", "3")]).unwrap();
        assert!(!c.trusted_proxies.is_empty());
        assert_eq!(c.drain, Duration::from_secs(3));
        let c = cfg(&[("TESSERA_SESSION_IDLE_MINUTES", "5"), ("TESSERA_SESSION_ABSOLUTE_MINUTES", "30")]).unwrap();
        assert_eq!(c.session.idle, Duration::from_secs(300));
        assert_eq!(c.session.absolute, Duration::from_secs(1800));
        assert_eq!(cfg(&[]).unwrap().step_up_max_age, Duration::from_secs(300));
        assert_eq!(cfg(&[("TESSERA_STEP_UP_MINUTES", "2")]).unwrap().step_up_max_age, Duration::from_secs(120));
        assert_eq!(cfg(&[]).unwrap().access_code_ttl, Duration::from_secs(3600));
        assert_eq!(cfg(&[("TESSERA_ACCESS_CODE_MINUTES", "15")]).unwrap().access_code_ttl, Duration::from_secs(900));
        assert!(cfg(&[("TESSERA_ACCESS_CODE_MINUTES", "0")]).is_err());
        assert_eq!(cfg(&[]).unwrap().issuer, None);
        let rate = cfg(&[]).unwrap().signin_rate;
        assert_eq!((rate.burst, rate.refill), (30, Duration::from_secs(2)));
        let rate = cfg(&[("TESSERA_SIGNIN_BURST", "300"), ("TESSERA_SIGNIN_PER_MINUTE", "600")]).unwrap().signin_rate;
        assert_eq!((rate.burst, rate.refill), (300, Duration::from_millis(100)));
        assert!(cfg(&[("TESSERA_SIGNIN_BURST", "0")]).is_err());
        assert!(cfg(&[("TESSERA_SIGNIN_PER_MINUTE", "lots")]).is_err());
        assert_eq!(cfg(&[("TESSERA_ISSUER", "  ")]).unwrap().issuer, None);
        assert_eq!(cfg(&[("TESSERA_ISSUER", " Acme SSO ")]).unwrap().issuer.as_deref(), Some("Acme SSO"));
    }

    #[test]
    fn debug_output_hides_database_passwords() {
        let c = cfg(&[("TESSERA_DATABASE_URL", "postgres://tessera:hunter2@db/tessera")]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
