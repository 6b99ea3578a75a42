//! The token endpoint (an authorisation code or a refresh token for tokens), userinfo and
//! revocation. Applications authenticate with their secret (HTTP Basic or in the form) or, when
//! public, by PKCE alone. Every refusal is the protocol's error, never a detail about secrets.

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::secret::Token;
use crate::signing_keys::{SigningAlg, ID_TOKEN_TTL};
use crate::store::{Application, Grant, Member, NewToken, Spent, TokenKind};
use crate::tessera::Tessera;

use super::request::{Params, ACR_MFA, ACR_PASSWORD};
use super::{ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL};

/// A refusal of the token, userinfo or revocation endpoint (RFC 6749, section 5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

/// A refusal as the protocol writes it (JSON).
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub error_description: &'a str,
}

impl TokenError {
    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody { error: self.error, error_description: &self.description }
    }

    fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        TokenError { status, error, description: description.into() }
    }

    pub fn request(description: impl Into<String>) -> Self {
        TokenError::new(400, "invalid_request", description)
    }

    fn grant(description: impl Into<String>) -> Self {
        TokenError::new(400, "invalid_grant", description)
    }

    fn client() -> Self {
        TokenError::new(401, "invalid_client", "the client could not be authenticated")
    }

    fn internal(e: Error) -> Self {
        match e {
            Error::Busy => TokenError::new(503, "temporarily_unavailable", "try again shortly"),
            other => {
                tracing::error!(error = %other, "a token request failed");
                TokenError::new(500, "server_error", "try again shortly")
            }
        }
    }
}

impl From<Error> for TokenError {
    fn from(e: Error) -> Self {
        TokenError::internal(e)
    }
}

/// A successful token response.
#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub id_token: String,
    pub scope: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse").field("scope", &self.scope).finish_non_exhaustive()
    }
}

/// The ID token's claims (OpenID Connect Core, section 2), with the person's where the scope
/// asks for them.
#[derive(Debug, Serialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub azp: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub amr: Vec<String>,
    pub acr: &'static str,
    #[serde(flatten)]
    pub person: PersonClaims,
}

/// What an application learns of the person: with `email`, the address; with `profile`, the
/// name; always, the role (`groups`).
#[derive(Debug, Default, Serialize)]
pub struct PersonClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub groups: Vec<String>,
}

/// The userinfo answer.
#[derive(Debug, Serialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(flatten)]
    pub person: PersonClaims,
}

/// PKCE S256: the verifier's SHA-256, base64url without padding, must be the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), challenge.as_bytes()))
}

/// The client id and secret of an `Authorization: Basic` header (RFC 6749, section 2.3.1: each
/// form-encoded before joining).
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| -> Option<String> {
        percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(|c| c.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

fn seconds(t: Timestamp) -> i64 {
    t.0.div_euclid(1000)
}

impl Tessera {
    /// Which application is calling: by its secret (Basic or in the form, not both), or for a
    /// public application by its client id alone (its proof is PKCE).
    pub async fn authenticate_client(
        &self,
        authorization: Option<&str>,
        form: &Params,
    ) -> std::result::Result<Application, TokenError> {
        let basic = match authorization {
            Some(h) => Some(basic_credentials(h).ok_or_else(TokenError::client)?),
            None => None,
        };
        let posted = form.get("client_secret").map(|s| (form.get("client_id").unwrap_or_default().to_string(), s));
        let app = match (basic, posted) {
            (Some(_), Some(_)) => return Err(TokenError::request("use one way of authenticating the client, not two")),
            (Some((id, secret)), None) => {
                if form.get("client_id").is_some_and(|posted| posted != id) {
                    return Err(TokenError::request("client_id differs from the authenticated client"));
                }
                self.authenticate_application(&id, &secret).await?
            }
            (None, Some((id, secret))) => self.authenticate_application(&id, secret).await?,
            (None, None) => {
                let id = form.get("client_id").ok_or_else(TokenError::client)?;
                let found = self.store.application_by_client_id(id).await?.map(|(app, _)| app);
                found.filter(|a| !a.confidential && !a.disabled)
            }
        };
        app.ok_or_else(TokenError::client)
    }

    /// `POST /oauth2/token`: `form` as sent, `authorization` the header if any.
    pub async fn token(
        &self,
        authorization: Option<&str>,
        form: &str,
        meta: &RequestMeta,
    ) -> std::result::Result<TokenResponse, TokenError> {
        let form = Params::read(form).map_err(TokenError::request)?;
        let app = self.authenticate_client(authorization, &form).await?;
        match form.get("grant_type") {
            Some("authorization_code") => self.exchange_code(&app, &form, meta).await,
            Some("refresh_token") => self.refresh(&app, &form, meta).await,
            Some(_) => Err(TokenError::new(400, "unsupported_grant_type", "use authorization_code or refresh_token")),
            None => Err(TokenError::request("grant_type is missing")),
        }
    }

    async fn exchange_code(
        &self,
        app: &Application,
        form: &Params,
        meta: &RequestMeta,
    ) -> std::result::Result<TokenResponse, TokenError> {
        let code = form.get("code").ok_or_else(|| TokenError::request("code is missing"))?;
        let redirect_uri = form.get("redirect_uri").ok_or_else(|| TokenError::request("redirect_uri is missing"))?;
        let Some(code) = Token::parse(code) else { return Err(TokenError::grant("the code is not valid")) };
        let now = self.clock.now();
        let spent = match self.store.spend_code(&code.hash(), app.id, now).await? {
            Spent::Now(spent) => spent,
            Spent::Again { grant_id, user_id, org_id } => {
                self.tokens_revoked(app, grant_id, user_id, org_id, "an authorisation code was used twice", meta)
                    .await?;
                return Err(TokenError::grant("the code was used already; everything issued with it is revoked"));
            }
            Spent::Unknown => return Err(TokenError::grant("the code is not valid")),
        };
        if now >= spent.expires_at {
            return Err(TokenError::grant("the code has expired"));
        }
        if spent.redirect_uri != redirect_uri {
            return Err(TokenError::grant("redirect_uri differs from the authorisation request's"));
        }
        match (&spent.code_challenge, form.get("code_verifier")) {
            (Some(challenge), Some(verifier)) if pkce_matches(verifier, challenge) => {}
            (Some(_), Some(_)) => return Err(TokenError::grant("the code_verifier does not match the code_challenge")),
            (Some(_), None) => return Err(TokenError::grant("code_verifier is missing")),
            (None, Some(_)) => return Err(TokenError::grant("a code_verifier was sent but no code_challenge")),
            (None, None) => {}
        }
        self.issue_tokens(app, &spent.grant, spent.nonce, now).await
    }

    async fn refresh(
        &self,
        app: &Application,
        form: &Params,
        meta: &RequestMeta,
    ) -> std::result::Result<TokenResponse, TokenError> {
        let token = form.get("refresh_token").ok_or_else(|| TokenError::request("refresh_token is missing"))?;
        let Some(token) = Token::parse(token) else { return Err(TokenError::grant("the refresh token is not valid")) };
        let now = self.clock.now();
        let (access, refresh) = (Token::generate(), Token::generate());
        let successors = new_tokens(&access, &refresh, now);
        match self.store.rotate_refresh_token(&token.hash(), app.id, &successors, now).await? {
            Spent::Now(grant) => {
                let member = self.active_member(&grant).await?;
                let id_token = self.id_token(app, &grant, &member, None, now).await?;
                Ok(response(access, refresh, id_token, grant.scope))
            }
            Spent::Again { grant_id, user_id, org_id } => {
                self.tokens_revoked(app, grant_id, user_id, org_id, "a refresh token was used twice", meta).await?;
                Err(TokenError::grant("the refresh token was used already; every token of this sign-in is revoked"))
            }
            Spent::Unknown => Err(TokenError::grant("the refresh token is not valid")),
        }
    }

    /// Tokens for a grant whose code was just spent.
    async fn issue_tokens(
        &self,
        app: &Application,
        grant: &Grant,
        nonce: Option<String>,
        now: Timestamp,
    ) -> std::result::Result<TokenResponse, TokenError> {
        let member = self.active_member(grant).await?;
        let (access, refresh) = (Token::generate(), Token::generate());
        if !self.store.add_tokens(grant.id, &new_tokens(&access, &refresh, now)).await? {
            return Err(TokenError::grant("the sign-in was revoked"));
        }
        let id_token = self.id_token(app, grant, &member, nonce, now).await?;
        Ok(response(access, refresh, id_token, grant.scope.clone()))
    }

    /// The grant's person, unless they were disabled or left the organisation since.
    async fn active_member(&self, grant: &Grant) -> std::result::Result<Member, TokenError> {
        match self.store.member(grant.org_id, grant.user_id).await? {
            Some(m) if !m.disabled => Ok(m),
            _ => Err(TokenError::grant("the person may no longer sign in")),
        }
    }

    async fn id_token(
        &self,
        app: &Application,
        grant: &Grant,
        member: &Member,
        nonce: Option<String>,
        now: Timestamp,
    ) -> Result<String> {
        let amr: Vec<String> = grant.amr.split(' ').map(str::to_string).collect();
        let mfa = amr.iter().any(|m| m == "mfa");
        let claims = IdClaims {
            iss: self.issuer(),
            sub: self.subject_of(grant.user_id),
            aud: app.client_id.clone(),
            azp: app.client_id.clone(),
            exp: seconds(now.plus(ID_TOKEN_TTL)),
            iat: seconds(now),
            auth_time: seconds(grant.auth_time),
            nonce,
            amr,
            acr: if mfa { ACR_MFA } else { ACR_PASSWORD },
            person: person_claims(&grant.scope, member),
        };
        let alg = SigningAlg::parse(&app.id_token_alg).unwrap_or(SigningAlg::Rs256);
        self.sign_token(&claims, alg).await
    }

    /// `GET|POST /oauth2/userinfo` with the access token (`Authorization: Bearer`).
    pub async fn userinfo(&self, authorization: Option<&str>) -> std::result::Result<UserInfo, TokenError> {
        let bearer = authorization.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")));
        let invalid = || TokenError::new(401, "invalid_token", "the access token is not valid");
        let token = bearer.and_then(|t| Token::parse(t.trim())).ok_or_else(invalid)?;
        let now = self.clock.now();
        let grant = self.store.grant_of_token(&token.hash(), TokenKind::Access, now).await?.ok_or_else(invalid)?;
        let member = self.active_member(&grant).await.map_err(|_| invalid())?;
        Ok(UserInfo { sub: self.subject_of(grant.user_id), person: person_claims(&grant.scope, &member) })
    }

    /// `POST /oauth2/revoke` (RFC 7009): revoking either token of a sign-in ends both. An unknown
    /// token is not an error.
    pub async fn revoke(&self, authorization: Option<&str>, form: &str) -> std::result::Result<(), TokenError> {
        let form = Params::read(form).map_err(TokenError::request)?;
        let app = self.authenticate_client(authorization, &form).await?;
        let token = form.get("token").ok_or_else(|| TokenError::request("token is missing"))?;
        if let Some(token) = Token::parse(token) {
            self.store.revoke_grant_of_token(&token.hash(), app.id, self.clock.now()).await?;
        }
        Ok(())
    }

    async fn tokens_revoked(
        &self,
        app: &Application,
        grant_id: i64,
        user_id: i64,
        org_id: i64,
        why: &str,
        meta: &RequestMeta,
    ) -> Result<()> {
        tracing::warn!(grant_id, client_id = %app.client_id, "{why}: the sign-in's tokens are revoked");
        let detail = format!("{}: {why}", app.name);
        let mut e = audit::event(
            self.clock.now(),
            Action::ApplicationTokensRevoked,
            Outcome::Failure,
            Some(org_id),
            None,
            Some(user_id),
            meta,
            None,
        );
        e.detail = Some(detail);
        self.audit(e).await
    }
}

fn new_tokens(access: &Token, refresh: &Token, now: Timestamp) -> [NewToken; 2] {
    [
        NewToken { token_hash: access.hash(), kind: TokenKind::Access, expires_at: now.plus(ACCESS_TOKEN_TTL) },
        NewToken { token_hash: refresh.hash(), kind: TokenKind::Refresh, expires_at: now.plus(REFRESH_TOKEN_TTL) },
    ]
}

fn response(access: Token, refresh: Token, id_token: String, scope: String) -> TokenResponse {
    TokenResponse {
        access_token: access.expose().to_string(),
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.as_secs(),
        refresh_token: refresh.expose().to_string(),
        id_token,
        scope,
    }
}

fn person_claims(scope: &str, m: &Member) -> PersonClaims {
    let has = |name: &str| scope.split(' ').any(|s| s == name);
    PersonClaims {
        email: has("email").then(|| m.email.clone()),
        // Every address in Tessera was proven by a link mailed to it before it could be used.
        email_verified: has("email").then_some(true),
        name: has("profile").then(|| m.display_name.clone()),
        groups: vec![m.role.name.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_is_checked_as_rfc_7636_says() {
        // A pair worked out with Python's hashlib, not with this code.
        let (verifier, challenge) =
            ("tessera-pkce-verifier-0123456789-abcdefghijklmnop", "bbJvJLa1aJRnpL8uL2PfJJZVzoRnhmJCePua1Y_miCI");
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!pkce_matches(&verifier.replace('0', "1"), challenge));
        // Too short, or with characters the RFC does not allow.
        assert!(!pkce_matches("short", challenge));
        assert!(!pkce_matches(&format!("{verifier}!"), challenge));
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("my%20app:s%3Acret+x"));
        assert_eq!(basic_credentials(&header), Some(("my app".into(), "s:cret x".into())));
        assert_eq!(basic_credentials("Basic !!!"), None);
        assert_eq!(basic_credentials("Bearer abc"), None);
    }
}
