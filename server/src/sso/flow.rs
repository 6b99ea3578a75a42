//! A sign-in (or a link) at a provider: started here, back at [`CALLBACK`]. Authorization-code
//! flow with PKCE S256; `state` and `nonce` single-use and kept server-side (so they hold across
//! instances), bound to the browser that started the flow by an HttpOnly cookie and to the
//! provider it was started with. The ID token is verified by the `openidconnect` crate:
//! signature, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdToken, CoreIdTokenClaims, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse,
};

use super::{discovery, ProviderKind};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::secret::Token;
use crate::store::{FlowPurpose, SsoFlow, SsoProvider};
use crate::tessera::Tessera;

/// Where providers send the person back; register `TESSERA_BASE_URL` + this with the provider.
pub const CALLBACK: &str = "/sso/callback";

/// How long a flow may take at the provider.
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);

/// How long a provider's metadata and keys are kept before they are read again.
const METADATA_TTL: Duration = Duration::from_secs(60 * 60);

const PKCE_CONTEXT: &str = "sso-pkce-verifier";

/// A flow started: where to send the browser, and the binding it keeps (an HttpOnly cookie).
#[derive(Debug)]
pub struct Started {
    pub url: String,
    pub browser: Token,
}

/// Why a flow at a provider ended without signing in or linking. Each has its own message; none
/// tells whether an account exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoRefusal {
    /// The person said no at the provider (or closed the consent).
    Denied,
    /// The flow is unknown, used, expired, or was started in another browser.
    Expired,
    /// The provider failed (down, slow, an error) or its answer did not verify.
    ProviderFailed,
    /// No Tessera account that may sign in is linked to the provider's account.
    NotLinked,
    /// The person's organisation does not let its people sign in with this provider.
    NotAllowed,
    /// Linking: the provider's account is linked to another Tessera account already.
    LinkedElsewhere,
    /// Linking: this person has linked an account of this provider already.
    AlreadyLinked,
    /// The organisation accepts this provider's accounts from its own domains or tenants only,
    /// and this account is from elsewhere.
    NotFromOrganisation,
}

impl SsoRefusal {
    pub fn code(self) -> &'static str {
        match self {
            SsoRefusal::Denied => "denied",
            SsoRefusal::Expired => "expired",
            SsoRefusal::ProviderFailed => "failed",
            SsoRefusal::NotLinked => "not-linked",
            SsoRefusal::NotAllowed => "not-allowed",
            SsoRefusal::LinkedElsewhere => "linked-elsewhere",
            SsoRefusal::AlreadyLinked => "already-linked",
            SsoRefusal::NotFromOrganisation => "not-from-organisation",
        }
    }

    pub fn from_code(code: &str) -> Option<SsoRefusal> {
        use SsoRefusal::*;
        [Denied, Expired, ProviderFailed, NotLinked, NotAllowed, LinkedElsewhere, AlreadyLinked, NotFromOrganisation]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// What the person reads, `provider` being the provider's name.
    pub fn message(self, provider: &str) -> String {
        match self {
            SsoRefusal::Denied => format!("Signing in with {provider} was cancelled. Try again, or sign in with your email and password."),
            SsoRefusal::Expired => format!("That sign-in with {provider} had expired or was already used. Start again."),
            SsoRefusal::ProviderFailed => format!("{provider} could not confirm who you are just now. Try again in a moment, or sign in with your email and password."),
            SsoRefusal::NotLinked => format!("No Tessera account you may use is linked to that {provider} account yet. Sign in with your email and password once, and Tessera offers to link it."),
            SsoRefusal::NotAllowed => format!("Your organisation does not let its people sign in with {provider}. Sign in with your email and password."),
            SsoRefusal::LinkedElsewhere => format!("That {provider} account is linked to another Tessera account already. Unlink it there first, or link another {provider} account."),
            SsoRefusal::AlreadyLinked => format!("Your account is linked to a {provider} account already. Unlink it first to link another."),
            SsoRefusal::NotFromOrganisation => format!("Your organisation accepts only its own {provider} accounts, and that one is not one of them. Use your organisation's {provider} account, or sign in with your email and password."),
        }
    }
}

/// Who the provider says the person is, once its ID token verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verified {
    /// `iss sub`, or for Microsoft `tid oid`: what links are keyed by.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// Where the account comes from, as Settings -> Sign-in methods names it: Google's
    /// Workspace domain (`hd`), Microsoft's tenant id, or else the domain of a verified address.
    pub home: Option<String>,
    /// The ID token says the provider checked more than one factor: `amr` holds `mfa` (RFC
    /// 8176), or `acr` names a multi-factor policy.
    #[serde(default)]
    pub mfa: bool,
}

/// A flow back from the provider, the browser's binding checked.
pub struct Returned {
    pub flow: SsoFlow,
    pub provider: SsoProvider,
    pub who: std::result::Result<Verified, SsoRefusal>,
}

impl Tessera {
    /// The providers' metadata with their keys; `fresh` reads them again whatever the cache has.
    pub(crate) async fn sso_metadata(
        &self,
        provider: &SsoProvider,
        fresh: bool,
    ) -> std::result::Result<Arc<CoreProviderMetadata>, discovery::DiscoveryError> {
        // Read at most once an hour per instance, and again at once when a token names a key
        // not among them (`fresh`).
        if let Some(m) = self.sso_cache.get(&provider.issuer, METADATA_TTL).filter(|_| !fresh) {
            return Ok(m);
        }
        let client = discovery::http_client().map_err(|e| discovery::DiscoveryError::Unreachable(e.to_string()))?;
        let microsoft = ProviderKind::from_id(&provider.kind) == Some(ProviderKind::Microsoft);
        let metadata = discovery::fetch(&client, &provider.issuer, microsoft).await?;
        let keys = discovery::fetch_keys(&client, metadata.jwks_uri()).await?;
        let metadata = Arc::new(metadata.set_jwks(keys));
        self.sso_cache.put(&provider.issuer, metadata.clone());
        Ok(metadata)
    }

    fn sso_client(&self, provider: &SsoProvider, metadata: &CoreProviderMetadata) -> Result<SsoClient> {
        let secret = self.key.open(super::CLIENT_SECRET_CONTEXT, &provider.client_secret_sealed);
        let secret = secret.and_then(|s| String::from_utf8(s).ok()).ok_or(Error::Config(format!(
            "the client secret of {} cannot be opened with this instance key; add the provider again",
            provider.name
        )))?;
        let redirect = RedirectUrl::new(format!("{}{CALLBACK}", self.issuer()))
            .map_err(|e| Error::Config(format!("TESSERA_BASE_URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(secret)),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a flow at `provider` (by id) for `purpose`; a sign-in goes to `destination` once
    /// done. `Err(refusal)` where the provider is gone or cannot be read now.
    pub async fn start_sso(
        &self,
        provider_id: i64,
        purpose: FlowPurpose,
        destination: &crate::sign_in::Destination,
    ) -> Result<std::result::Result<Started, SsoRefusal>> {
        let Some(provider) = self.sso_provider(provider_id).await? else { return Ok(Err(SsoRefusal::Expired)) };
        let metadata = match self.sso_metadata(&provider, false).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(provider = %provider.name, error = %e, "sign-in provider unavailable");
                return Ok(Err(SsoRefusal::ProviderFailed));
            }
        };
        let client = self.sso_client(&provider, &metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (state, nonce, browser) = (Token::generate(), Token::generate(), Token::generate());
        let state_value = state.expose().to_string();
        let nonce_value = nonce.expose().to_string();
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state_value),
                move || Nonce::new(nonce_value),
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let flow = SsoFlow {
            state_hash: state.hash(),
            provider_id,
            browser_hash: browser.hash(),
            purpose,
            nonce: nonce.expose().to_string(),
            pkce_verifier_sealed: self.key.seal(PKCE_CONTEXT, verifier.secret().as_bytes()),
            destination: destination.path().to_string(),
            expires_at: self.clock.now().plus(FLOW_TTL),
        };
        self.store.start_sso_flow(&flow).await?;
        Ok(Ok(Started { url: url.to_string(), browser }))
    }

    /// A provider sent the browser back (`query`, as sent), with the browser's binding cookie:
    /// the flow it belongs to, and who the provider says the person is. `Err(refusal)` where
    /// there is no flow to go on with (unknown, used, expired, another browser's).
    pub async fn return_from_sso(
        &self,
        query: &str,
        browser: Option<&str>,
    ) -> Result<std::result::Result<Returned, SsoRefusal>> {
        let mut params: HashMap<String, String> = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            // A parameter twice is an answer nobody can read one way only.
            if params.insert(k.into_owned(), v.into_owned()).is_some() || params.len() > 16 {
                return Ok(Err(SsoRefusal::Expired));
            }
        }
        let Some(state) = params.get("state").and_then(|s| Token::parse(s)) else {
            return Ok(Err(SsoRefusal::Expired));
        };
        // Started in another browser: someone else's flow (or a login CSRF), never continued,
        // and not spent either.
        let Some(browser) = browser.and_then(Token::parse) else { return Ok(Err(SsoRefusal::Expired)) };
        let Some(flow) = self.store.take_sso_flow(&state.hash(), &browser.hash(), self.clock.now()).await? else {
            return Ok(Err(SsoRefusal::Expired));
        };
        let Some(provider) = self.sso_provider(flow.provider_id).await? else { return Ok(Err(SsoRefusal::Expired)) };
        let who = self.verify_sso_answer(&provider, &flow, &params).await?;
        Ok(Ok(Returned { flow, provider, who }))
    }

    async fn verify_sso_answer(
        &self,
        provider: &SsoProvider,
        flow: &SsoFlow,
        params: &HashMap<String, String>,
    ) -> Result<std::result::Result<Verified, SsoRefusal>> {
        let failed = |why: &str| {
            tracing::warn!(provider = %provider.name, why, "a sign-in at a provider did not verify");
            Ok(Err(SsoRefusal::ProviderFailed))
        };
        if let Some(error) = params.get("error") {
            return match error.as_str() {
                "access_denied" | "consent_required" | "interaction_required" | "login_required" => {
                    Ok(Err(SsoRefusal::Denied))
                }
                _ => failed("the provider answered with an error"),
            };
        }
        let metadata = match self.sso_metadata(provider, false).await {
            Ok(m) => m,
            Err(_) => return failed("its metadata could not be read"),
        };
        let microsoft = ProviderKind::from_id(&provider.kind) == Some(ProviderKind::Microsoft);
        let template = metadata.issuer().as_str().contains("{tenantid}");
        // RFC 9207: where the provider names itself in the answer, it must be the one started.
        if let Some(iss) = params.get("iss") {
            let ours = match template {
                true => provider.tenants.iter().any(|t| *iss == metadata.issuer().as_str().replace("{tenantid}", t)),
                false => iss == metadata.issuer().as_str(),
            };
            if !ours {
                return failed("the answer names another issuer");
            }
        }
        let Some(code) = params.get("code") else { return failed("the answer has no code") };
        let Some(verifier) =
            self.key.open(PKCE_CONTEXT, &flow.pkce_verifier_sealed).and_then(|v| String::from_utf8(v).ok())
        else {
            return failed("the PKCE verifier cannot be opened");
        };
        let client = self.sso_client(provider, &metadata)?;
        let http = discovery::http_client()?;
        let request = match client.exchange_code(AuthorizationCode::new(code.clone())) {
            Ok(r) => r,
            Err(_) => return failed("the provider has no token endpoint"),
        };
        let tokens = match request.set_pkce_verifier(PkceCodeVerifier::new(verifier)).request_async(&http).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(provider = %provider.name, error = %e, "the provider's token endpoint refused the code");
                return Ok(Err(SsoRefusal::ProviderFailed));
            }
        };
        let Some(id_token) = tokens.id_token() else { return failed("the answer has no ID token") };
        let nonce = Nonce::new(flow.nonce.clone());
        let claims = match self.verified_claims(&client, id_token, &nonce, template) {
            // A key the cached set does not have: the provider rotated its keys; read them again.
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let Ok(metadata) = self.sso_metadata(provider, true).await else {
                    return failed("its keys could not be read");
                };
                let client = self.sso_client(provider, &metadata)?;
                self.verified_claims(&client, id_token, &nonce, template).cloned()
            }
            other => other.cloned(),
        };
        let claims = match claims {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(provider = %provider.name, error = %e, "an ID token did not verify");
                return Ok(Err(SsoRefusal::ProviderFailed));
            }
        };
        let extra = extra_claims(id_token);
        let subject = if microsoft {
            let (Some(tid), Some(oid)) =
                (extra.get("tid").and_then(|v| v.as_str()), extra.get("oid").and_then(|v| v.as_str()))
            else {
                return failed("a Microsoft token without tid or oid");
            };
            let tid = tid.to_ascii_lowercase();
            // The issuer is the tenant's own (the metadata's is a template), and only allowed
            // tenants pass.
            let expected = metadata.issuer().as_str().replace("{tenantid}", &tid);
            if !provider.tenants.contains(&tid) || claims.issuer().as_str() != expected {
                return failed("a token of a tenant that is not allowed");
            }
            format!("{tid} {oid}")
        } else {
            format!("{} {}", claims.issuer().as_str(), claims.subject().as_str())
        };
        let mut email = claims.email().map(|e| e.as_str().to_string());
        let mut email_verified = match microsoft {
            true => extra.get("xms_edov").and_then(|v| v.as_bool()).unwrap_or(false),
            false => claims.email_verified().unwrap_or(false),
        };
        // A provider that follows the standard to the letter gives the address at userinfo
        // only, for the subject the ID token named.
        if email.is_none() {
            let subject = claims.subject().clone();
            if let Ok(request) = client.user_info(tokens.access_token().clone(), Some(subject)) {
                match request.request_async::<EmptyAdditionalClaims, _, CoreGenderClaim>(&http).await {
                    Ok(info) => {
                        email = info.email().map(|e| e.as_str().to_string());
                        email_verified = !microsoft && info.email_verified().unwrap_or(false);
                    }
                    Err(e) => tracing::warn!(provider = %provider.name, error = %e, "userinfo did not answer"),
                }
            }
        }
        let home = match ProviderKind::from_id(&provider.kind) {
            Some(ProviderKind::Google) => extra.get("hd").and_then(|v| v.as_str()).map(str::to_ascii_lowercase),
            Some(ProviderKind::Microsoft) => subject.split(' ').next().map(str::to_string),
            _ => email
                .as_deref()
                .filter(|_| email_verified)
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, domain)| domain.to_ascii_lowercase()),
        };
        let mfa = provider_checked_mfa(&extra);
        Ok(Ok(Verified { subject, email, email_verified, home, mfa }))
    }

    fn verified_claims<'t>(
        &self,
        client: &SsoClient,
        id_token: &'t CoreIdToken,
        nonce: &Nonce,
        template: bool,
    ) -> std::result::Result<&'t CoreIdTokenClaims, ClaimsVerificationError> {
        let now = self.clock.now();
        let verifier = client
            .id_token_verifier()
            // Tessera's clock, so that tests can move it.
            .set_time_fn(move || timestamp_to_utc(now))
            // Microsoft's several-tenant metadata names a template: the tenant is checked after.
            .require_issuer_match(!template)
            // Signed with the provider's own keys only: never `none`, never an HMAC of the
            // client secret.
            .set_allowed_algs(ASYMMETRIC_ALGS);
        id_token.claims(&verifier, nonce)
    }

    /// Forgets flows that expired a day ago or more (kept that long to tell a late callback why).
    pub async fn purge_expired_sso_flows(&self) -> Result<u64> {
        self.store.purge_sso_flows(Timestamp(self.clock.now().0 - 24 * 3600 * 1000)).await
    }

    pub(crate) async fn sso_provider(&self, id: i64) -> Result<Option<SsoProvider>> {
        Ok(self.store.sso_providers().await?.into_iter().find(|p| p.id == id))
    }
}

const ASYMMETRIC_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

type SsoClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn timestamp_to_utc(t: Timestamp) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(t.0).unwrap_or_default()
}

/// Whether an ID token's claims say the provider checked a second factor: `amr` (RFC 8176)
/// lists `mfa`, or a password or PIN together with something held or something one is (a
/// one-time code, a key, a fingerprint...); or `acr` names OpenID's multi-factor policy. A
/// provider that says nothing did not prove it.
pub(crate) fn provider_checked_mfa(claims: &serde_json::Map<String, serde_json::Value>) -> bool {
    const KNOWN: [&str; 2] = ["pwd", "pin"];
    const HELD_OR_BEING: [&str; 11] = ["otp", "hwk", "swk", "sms", "tel", "sc", "fpt", "face", "iris", "retina", "vbm"];
    const MULTI_FACTOR_ACR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
    let amr: Vec<&str> = claims
        .get("amr")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|m| m.as_str()).collect())
        .unwrap_or_default();
    let has = |set: &[&str]| amr.iter().any(|m| set.contains(m));
    let acr = claims.get("acr").and_then(|v| v.as_str()).unwrap_or_default();
    amr.contains(&"mfa") || (has(&KNOWN) && has(&HELD_OR_BEING)) || acr == MULTI_FACTOR_ACR
}

/// The claims of an ID token the core claims type does not name (Microsoft's `tid`, `oid`,
/// `xms_edov`), read from the payload whose signature was verified just before.
fn extra_claims(id_token: &CoreIdToken) -> serde_json::Map<String, serde_json::Value> {
    use base64::Engine;
    let jwt = id_token.to_string();
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_default()
}
