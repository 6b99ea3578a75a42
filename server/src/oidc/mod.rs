//! Tessera as an OpenID Connect provider for the organisation's own applications: the
//! authorisation endpoint's decisions ([`authorize`]), the token, userinfo and revocation
//! endpoints ([`tokens`]) and the discovery document. The HTTP layer only reads requests and
//! writes answers; every rule is here.
//!
//! One sign-in of one person to one application is a grant; its code (single-use, 60 seconds,
//! bound to the redirect URI and the PKCE challenge) and its tokens (opaque, stored hashed)
//! hang off it, so a replayed code or refresh token, or a change to the person's password or
//! MFA, revokes everything issued from it at once. ID tokens are JWTs signed with the keys of
//! `signing_keys`.

pub mod authorize;
pub mod logout;
pub mod request;
pub mod tokens;

use std::time::Duration;

use serde::Serialize;

use crate::tessera::Tessera;

pub use authorize::{AppRefusal, Authorization};
pub use logout::Logout;
pub use request::{AuthRequest, ErrorResponse, Params, Prompt};
pub use tokens::{TokenError, TokenResponse};

/// How long an authorisation code can be exchanged.
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// How long an access token is good for.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a refresh token is good for if unused (each use replaces it).
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// The endpoints, under the issuer.
pub const TOKEN: &str = "/oauth2/token";
pub const USERINFO: &str = "/oauth2/userinfo";
pub const REVOKE: &str = "/oauth2/revoke";
pub const LOGOUT: &str = "/oauth2/logout";
pub const JWKS: &str = "/oauth2/jwks";
pub const DISCOVERY: &str = "/.well-known/openid-configuration";

/// The scopes Tessera knows; others are ignored.
pub const SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// What the discovery document says (OpenID Connect Discovery 1.0).
#[derive(Debug, Serialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    pub revocation_endpoint: String,
    pub end_session_endpoint: String,
    pub response_types_supported: [&'static str; 1],
    pub response_modes_supported: [&'static str; 1],
    pub grant_types_supported: [&'static str; 2],
    pub subject_types_supported: [&'static str; 1],
    pub id_token_signing_alg_values_supported: [&'static str; 2],
    pub scopes_supported: [&'static str; 3],
    pub claims_supported: [&'static str; 13],
    pub token_endpoint_auth_methods_supported: [&'static str; 3],
    pub revocation_endpoint_auth_methods_supported: [&'static str; 3],
    pub code_challenge_methods_supported: [&'static str; 1],
    pub acr_values_supported: [&'static str; 2],
    pub prompt_values_supported: [&'static str; 2],
    pub authorization_response_iss_parameter_supported: bool,
    pub claims_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
}

impl Tessera {
    /// The issuer: the public URL, as applications must configure it.
    pub fn issuer(&self) -> String {
        self.config.base_url.as_str().trim_end_matches('/').to_string()
    }

    pub fn discovery(&self) -> Discovery {
        let at = |path: &str| format!("{}{path}", self.issuer());
        Discovery {
            issuer: self.issuer(),
            authorization_endpoint: at(crate::sign_in::AUTHORIZE),
            token_endpoint: at(TOKEN),
            userinfo_endpoint: at(USERINFO),
            jwks_uri: at(JWKS),
            revocation_endpoint: at(REVOKE),
            end_session_endpoint: at(LOGOUT),
            response_types_supported: ["code"],
            response_modes_supported: ["query"],
            grant_types_supported: ["authorization_code", "refresh_token"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256", "ES256"],
            scopes_supported: SCOPES,
            claims_supported: [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "amr",
                "acr",
                "email",
                "email_verified",
                "name",
                "groups",
            ],
            token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
            revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
            code_challenge_methods_supported: ["S256"],
            acr_values_supported: [request::ACR_PASSWORD, request::ACR_MFA],
            prompt_values_supported: ["none", "login"],
            authorization_response_iss_parameter_supported: true,
            claims_parameter_supported: false,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
        }
    }

    /// Forgets codes and tokens a day after they ended (a replayed code is still recognised, and
    /// its sign-in revoked, for that day), and grants with nothing left (run periodically).
    pub async fn purge_expired_grants(&self) -> crate::error::Result<u64> {
        let before = crate::clock::Timestamp(self.clock.now().0 - 24 * 3600 * 1000);
        self.store.purge_grants(before).await
    }

    /// The person's identifier for applications: stable, opaque, the same for every application
    /// of the organisation, and never their email (which can change).
    pub fn subject_of(&self, user_id: i64) -> String {
        self.key.mac("oidc-subject", user_id.to_string().as_bytes())
    }
}

/// RFC 8176 methods of a sign-in: the password, and a second factor where one was proven.
pub fn amr(second_factor: bool) -> Vec<&'static str> {
    if second_factor {
        vec!["pwd", "otp", "mfa"]
    } else {
        vec!["pwd"]
    }
}
