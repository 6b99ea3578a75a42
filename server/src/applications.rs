//! The organisation's applications (its wiki, Grafana, its own web app) that send their people to
//! Tessera to sign in over OpenID Connect: registering one, replacing its secret, removing it,
//! and checking a secret it presents. So far from the command line; every change is in the
//! activity log and mailed to the owners.
//!
//! A confidential application (a server) gets a client secret, shown once and kept only as a
//! keyed hash; a public one (in a browser or on a phone) has none and must use PKCE. Where it
//! may be sent back to is a list of exact URIs, compared as strings: https, or plain http on the
//! machine itself only (a developer's application on `localhost`).

use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::delivery::OwnersNotice;
use crate::error::{Error, Result};
use crate::model::{parse_name, Organisation};
use crate::signing_keys::SigningAlg;
use crate::store::{Application, NewApplication};
use crate::tessera::Tessera;

/// At most this many redirect (or sign-out) URIs per application.
pub const MAX_URIS: usize = 20;

/// What is wrong with a redirect URI, worded for the person who typed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UriProblem {
    #[error("is not a full address like https://wiki.example.org/callback")]
    NotAnAddress,
    #[error("must use https (plain http only on the machine itself: localhost, 127.0.0.1 or [::1])")]
    NotHttps,
    #[error("must not hold a user name or password")]
    HasCredentials,
    #[error("must not end in a #fragment")]
    HasFragment,
    #[error("is longer than 2,000 characters")]
    TooLong,
}

/// Checks a redirect or sign-out URI and returns it exactly as typed (less surrounding spaces):
/// it is later compared as a string with what an application sends, never normalised.
pub fn check_redirect_uri(input: &str) -> std::result::Result<String, UriProblem> {
    let typed = input.trim();
    if typed.len() > 2000 {
        return Err(UriProblem::TooLong);
    }
    let url = url::Url::parse(typed).map_err(|_| UriProblem::NotAnAddress)?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(UriProblem::NotAnAddress);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UriProblem::HasCredentials);
    }
    if url.fragment().is_some() || typed.contains('#') {
        return Err(UriProblem::HasFragment);
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(typed.to_string()),
        "http" if loopback => Ok(typed.to_string()),
        _ => Err(UriProblem::NotHttps),
    }
}

/// An application to register, as an operator gives it.
#[derive(Debug, Clone, Default)]
pub struct ApplicationForm {
    pub name: String,
    /// A server that can keep a secret; otherwise public (PKCE only).
    pub confidential: bool,
    pub redirect_uris: Vec<String>,
    pub logout_uris: Vec<String>,
    /// Names of the roles whose people may use it; none: everyone.
    pub roles: Vec<String>,
    /// On top of the organisation's policy: a person without MFA enrols before returning.
    pub require_mfa: bool,
    /// ES256 for its ID tokens; otherwise RS256, the standard's default that every library knows.
    pub es256: bool,
}

/// A registered application's id, and its secret: shown this once, never again.
pub struct Registered {
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A random identifier or secret of `bytes` random bytes, URL-safe.
fn random(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, raw)
}

impl Tessera {
    /// `tessera app add`.
    pub async fn add_application_by_operator(&self, org_name: &str, form: &ApplicationForm) -> Result<Registered> {
        let org = self.organisation_named(org_name).await?;
        let name = parse_name(&form.name).map_err(|p| Error::Invalid(format!("the application's name {p}")))?;
        let redirect_uris = uris(&form.redirect_uris, "redirect URI")?;
        if redirect_uris.is_empty() {
            return Err(Error::Invalid("give at least one redirect URI (--redirect-uri)".into()));
        }
        let logout_uris = uris(&form.logout_uris, "sign-out redirect URI")?;
        let known = self.store.roles(org.id).await?;
        let mut role_ids = Vec::new();
        for wanted in &form.roles {
            let role = known.iter().find(|r| r.name.eq_ignore_ascii_case(wanted.trim()));
            role_ids.push(role.ok_or_else(|| Error::Invalid(format!("{org_name} has no role called {wanted:?}")))?.id);
        }
        let client_id = random(16);
        let client_secret = form.confidential.then(|| random(32));
        let app = NewApplication {
            org_id: org.id,
            client_id: client_id.clone(),
            name_canonical: name.to_lowercase(),
            name,
            secret_hash: client_secret.as_deref().map(|s| self.client_secret_hash(s)),
            require_mfa: form.require_mfa,
            redirect_uris,
            logout_uris,
            role_ids,
            id_token_alg: if form.es256 { SigningAlg::Es256 } else { SigningAlg::Rs256 }.as_str().to_string(),
        };
        let kind = if form.confidential { "confidential" } else { "public" };
        let detail = format!("{} ({kind}, client id {client_id})", app.name);
        let audit = self.operator_event(Action::ApplicationAdded, org.id, &detail);
        self.store.add_application(&app, self.clock.now(), &audit).await.map_err(|e| match e {
            Error::Conflict(_) => {
                Error::Invalid(format!("{org_name} already has an application called {:?}", app.name))
            }
            other => other,
        })?;
        let change =
            format!("The application {} was registered: its people may now sign in to it with Tessera.", app.name);
        self.tell_owners(OwnersNotice::Applications, org.id, &org.name, &change, None, &RequestMeta::default()).await?;
        Ok(Registered { client_id, client_secret })
    }

    /// `tessera app list`.
    pub async fn applications_by_operator(&self, org_name: &str) -> Result<Vec<Application>> {
        let org = self.organisation_named(org_name).await?;
        self.store.applications(org.id).await
    }

    /// `tessera app rotate-secret`: a new secret for a confidential application (shown once);
    /// the old one stops working at once.
    pub async fn rotate_client_secret_by_operator(&self, org_name: &str, client_id: &str) -> Result<String> {
        let org = self.organisation_named(org_name).await?;
        let app = self.application_of(&org, client_id).await?;
        if !app.confidential {
            return Err(Error::Invalid(format!("{} is a public application: it has no secret", app.name)));
        }
        let secret = random(32);
        let audit = self.operator_event(Action::ApplicationSecretRotated, org.id, &app.name);
        if !self.store.set_client_secret(org.id, client_id, &self.client_secret_hash(&secret), &audit).await? {
            return Err(Error::NotFound("application"));
        }
        let change = format!("The application {} has a new client secret; the old one no longer works.", app.name);
        self.tell_owners(OwnersNotice::Applications, org.id, &org.name, &change, None, &RequestMeta::default()).await?;
        Ok(secret)
    }

    /// `tessera app remove`: nobody signs in to it through Tessera any more.
    pub async fn remove_application_by_operator(&self, org_name: &str, client_id: &str) -> Result<String> {
        let org = self.organisation_named(org_name).await?;
        let app = self.application_of(&org, client_id).await?;
        let audit = self.operator_event(Action::ApplicationRemoved, org.id, &app.name);
        if !self.store.remove_application(org.id, client_id, &audit).await? {
            return Err(Error::NotFound("application"));
        }
        let change = format!("The application {} was removed: nobody signs in to it with Tessera any more.", app.name);
        self.tell_owners(OwnersNotice::Applications, org.id, &org.name, &change, None, &RequestMeta::default()).await?;
        Ok(app.name)
    }

    /// The application `client_id` names, if `secret` is its secret (the same work whether the
    /// application exists, is public or the secret is wrong).
    pub async fn authenticate_application(&self, client_id: &str, secret: &str) -> Result<Option<Application>> {
        let found = self.store.application_by_client_id(client_id).await?;
        let presented = self.client_secret_hash(secret);
        let stored = found.as_ref().and_then(|(_, hash)| hash.clone()).unwrap_or_default();
        let matches = bool::from(presented.as_bytes().ct_eq(stored.as_bytes())) && !stored.is_empty();
        Ok(found.filter(|(app, _)| matches && app.confidential && !app.disabled).map(|(app, _)| app))
    }

    /// Client secrets are random and long, so a keyed hash (not a slow password hash) keeps a
    /// stolen database from giving them away.
    fn client_secret_hash(&self, secret: &str) -> String {
        self.key.mac("client-secret", secret.as_bytes())
    }

    async fn organisation_named(&self, name: &str) -> Result<Organisation> {
        self.store.find_organisation_by_name(name).await?.ok_or(Error::NotFound("organisation"))
    }

    /// The organisation's application `client_id` (another organisation's is not found).
    async fn application_of(&self, org: &Organisation, client_id: &str) -> Result<Application> {
        let found = self.store.application_by_client_id(client_id).await?.map(|(app, _)| app);
        found.filter(|a| a.org_id == org.id).ok_or(Error::NotFound("application"))
    }

    fn operator_event(&self, action: Action, org_id: i64, detail: &str) -> crate::store::AuditEvent {
        let mut e = audit::event(
            self.clock.now(),
            action,
            Outcome::Success,
            Some(org_id),
            None,
            None,
            &RequestMeta::default(),
            None,
        );
        // The application's name and id (no secret), and who: the activity log's reader needs both.
        e.detail = Some(format!("{detail}, by an operator"));
        e
    }
}

/// Each URI checked, duplicates dropped, at most [`MAX_URIS`].
fn uris(typed: &[String], what: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for uri in typed {
        let checked = check_redirect_uri(uri).map_err(|p| Error::Invalid(format!("the {what} {uri:?} {p}")))?;
        if !out.contains(&checked) {
            out.push(checked);
        }
    }
    if out.len() > MAX_URIS {
        return Err(Error::Invalid(format!("at most {MAX_URIS} of each kind of URI")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_http_and_kept_as_typed() {
        for ok in [
            "https://wiki.example.org/callback",
            "https://grafana.example.org:8443/login/generic_oauth?x=1",
            "http://localhost:3000/cb",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "  https://WIKI.example.org/Callback/  ",
        ] {
            assert_eq!(check_redirect_uri(ok), Ok(ok.trim().to_string()), "{ok:?}");
        }
        for (bad, why) in [
            ("http://wiki.example.org/callback", UriProblem::NotHttps),
            ("http://10.0.0.5/cb", UriProblem::NotHttps),
            ("http://localhost.evil.example/cb", UriProblem::NotHttps),
            ("javascript:alert(1)", UriProblem::NotAnAddress),
            ("/callback", UriProblem::NotAnAddress),
            ("wiki.example.org/callback", UriProblem::NotAnAddress),
            ("https://user:pw@wiki.example.org/cb", UriProblem::HasCredentials),
            ("https://wiki.example.org/cb#frag", UriProblem::HasFragment),
            ("https://wiki.example.org/cb#", UriProblem::HasFragment),
            ("ftp://wiki.example.org/cb", UriProblem::NotHttps),
        ] {
            assert_eq!(check_redirect_uri(bad), Err(why), "{bad:?}");
        }
        assert_eq!(check_redirect_uri(&format!("https://a.example/{}", "x".repeat(2000))), Err(UriProblem::TooLong));
    }
}
