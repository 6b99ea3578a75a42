//! A provider's metadata (`/.well-known/openid-configuration`), read with an HTTP client that
//! never follows a redirect and gives up after [`TIMEOUT`].

use std::time::Duration;

use openidconnect::core::CoreProviderMetadata;
use openidconnect::reqwest;

use crate::error::{Error, Result};

/// How long a provider has to answer, whole request included.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The most a metadata document may weigh; real ones are a few KiB.
const MAX_METADATA_BYTES: usize = 256 * 1024;

/// The client every request to a provider goes through: no redirects (a redirected token or
/// metadata request could be sent anywhere), bounded in time. Made once, at the first use (not at
/// start-up: most deployments have no provider), and shared, so its connections are reused.
pub fn http_client() -> Result<reqwest::Client> {
    static CLIENT: std::sync::OnceLock<std::result::Result<reqwest::Client, String>> = std::sync::OnceLock::new();
    let made = CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| e.to_string())
    });
    made.clone().map_err(|e| Error::Config(format!("the HTTP client for sign-in providers: {e}")))
}

/// Why a provider's metadata could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("it could not be reached ({0})")]
    Unreachable(String),
    #[error("it did not answer within {} seconds", TIMEOUT.as_secs())]
    Slow,
    #[error(
        "it answered with a redirect, which Tessera does not follow; give the issuer exactly as the provider names it"
    )]
    Redirected,
    #[error("it answered with HTTP status {0}")]
    Status(u16),
    #[error("its metadata could not be read ({0})")]
    Unreadable(String),
    #[error("its metadata names another issuer, {0:?}; give the issuer exactly as the provider names it")]
    OtherIssuer(String),
}

/// Where `issuer` publishes its metadata.
pub fn metadata_url(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
}

/// Reads and checks the metadata of `issuer`. It must name `issuer` itself as the issuer, or,
/// with `tenant_template` (Microsoft's endpoint for several tenants), a template with
/// `{tenantid}`, which each token's own `tid` fills in.
pub async fn fetch(
    client: &reqwest::Client,
    issuer: &str,
    tenant_template: bool,
) -> std::result::Result<CoreProviderMetadata, DiscoveryError> {
    let failed = |e: reqwest::Error| match e.is_timeout() {
        true => DiscoveryError::Slow,
        false => DiscoveryError::Unreachable(reason(&e)),
    };
    let mut res = client
        .get(metadata_url(issuer))
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(failed)?;
    if res.status().is_redirection() {
        return Err(DiscoveryError::Redirected);
    }
    if !res.status().is_success() {
        return Err(DiscoveryError::Status(res.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(failed)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_METADATA_BYTES {
            return Err(DiscoveryError::Unreadable("it is larger than 256 KiB".into()));
        }
    }
    let metadata: CoreProviderMetadata =
        serde_json::from_slice(&body).map_err(|e| DiscoveryError::Unreadable(e.to_string()))?;
    let named = metadata.issuer().as_str();
    if named != issuer && !(tenant_template && named.contains("{tenantid}")) {
        return Err(DiscoveryError::OtherIssuer(named.to_string()));
    }
    Ok(metadata)
}

/// Reads a provider's key set (at `url`, from its metadata).
pub async fn fetch_keys(
    client: &reqwest::Client,
    url: &openidconnect::JsonWebKeySetUrl,
) -> std::result::Result<openidconnect::core::CoreJsonWebKeySet, DiscoveryError> {
    openidconnect::core::CoreJsonWebKeySet::fetch_async(url, client).await.map_err(|e| match e {
        openidconnect::DiscoveryError::Request(e) if e.to_string().contains("timed out") => DiscoveryError::Slow,
        other => DiscoveryError::Unreachable(other.to_string()),
    })
}

/// The innermost cause of a failed request ("Connection refused"), without the chain's noise.
fn reason(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}
