//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an application signs the person
//! out of Tessera too. With an ID token Tessera issued naming the person of this browser's
//! session, the session ends at once and the browser goes to the application's registered
//! post-logout URI; without one, the person is asked, so another site cannot sign them out.

use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde::Deserialize;

use crate::error::Result;
use crate::session::SessionInfo;
use crate::tessera::Tessera;

use super::request::{redirect_with, Params};

/// What the logout endpoint does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logout {
    /// End this browser's session, then go to `to` (the application's page) or, without one,
    /// Tessera's signed-out page.
    SignOut { to: Option<String> },
    /// Nothing proves the application speaks for this browser's person: ask them.
    Confirm,
    /// A request that cannot be answered (a post-logout URI nobody registered, ...).
    Invalid(String),
}

#[derive(Deserialize)]
struct Hint {
    sub: String,
    aud: String,
}

impl Tessera {
    /// Decides a logout request (`query`, as sent) for the browser's session `s`.
    pub async fn end_session(&self, query: &str, s: Option<&SessionInfo>) -> Result<Logout> {
        let params = match Params::read(query) {
            Ok(p) => p,
            Err(e) => return Ok(Logout::Invalid(e)),
        };
        let hint = match params.get("id_token_hint") {
            Some(token) => self.verified_hint(token).await?,
            None => None,
        };
        if let (Some(h), Some(client_id)) = (&hint, params.get("client_id")) {
            if h.aud != client_id {
                return Ok(Logout::Invalid("client_id is not the audience of id_token_hint".into()));
            }
        }
        let client_id = hint.as_ref().map(|h| h.aud.as_str()).or(params.get("client_id"));
        let app = match client_id {
            Some(id) => self.store.application_by_client_id(id).await?.map(|(app, _)| app),
            None => None,
        };
        let to = match params.get("post_logout_redirect_uri") {
            None => None,
            Some(uri) => match &app {
                Some(app) if app.logout_uris.iter().any(|u| u == uri) => {
                    let state: Vec<(&str, &str)> = params.get("state").map(|s| ("state", s)).into_iter().collect();
                    Some(redirect_with(uri, &state))
                }
                _ => {
                    return Ok(Logout::Invalid(
                        "post_logout_redirect_uri is not one the application registered for after sign-out".into(),
                    ))
                }
            },
        };
        let speaks_for_session = match (s, &hint) {
            (None, _) => true,
            (Some(s), Some(h)) => h.sub == self.subject_of(s.user_id),
            (Some(_), None) => false,
        };
        Ok(if speaks_for_session { Logout::SignOut { to } } else { Logout::Confirm })
    }

    /// The subject and audience of an ID token Tessera signed (expired or not: a hint may be
    /// old), if it verifies against the published keys.
    async fn verified_hint(&self, token: &str) -> Result<Option<Hint>> {
        let Ok(header) = decode_header(token) else { return Ok(None) };
        let Some(kid) = header.kid else { return Ok(None) };
        let set = self.jwks().await?;
        let Some(jwk) = set.find(&kid) else { return Ok(None) };
        let Ok(key) = DecodingKey::from_jwk(jwk) else { return Ok(None) };
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[self.issuer()]);
        validation.validate_exp = false;
        validation.validate_aud = false;
        Ok(decode::<Hint>(token, &key, &validation).ok().map(|d| d.claims))
    }
}
