//! The organisation's applications (its wiki, Grafana, its own web app) that send their people to
//! Tessera to sign in over OpenID Connect: registering one, replacing its secret, removing it,
//! and checking a secret it presents, from Settings -> Applications (the `manage-applications`
//! permission and a fresh second factor) or the command line; every change is in the activity
//! log and mailed to the owners.
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
use crate::form_errors::FieldErrors;
use crate::model::{parse_name, ListIssue, Organisation, Problem};
use crate::roles::{Permission, RoleInfo};
use crate::session::SessionInfo;
use crate::signing_keys::SigningAlg;
use crate::store::{Application, NewApplication};
use crate::tessera::Tessera;

/// At most this many redirect (or sign-out) URIs per application.
pub const MAX_URIS: usize = 20;

/// How long a new client secret waits for the page that shows it once.
pub const SECRET_SHOWN_FOR: std::time::Duration = std::time::Duration::from_secs(300);
const SECRET_CONTEXT: &str = "client-secret-to-show";

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

/// A random identifier or secret of `bytes` random bytes, in hex: URL-safe, one word to a
/// double click, and never taken for an option on a command line (base64url's `-` first made
/// `tessera app rotate-secret --client-id -x...` fail).
fn random(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

/// Why an application cannot be registered as given.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refused {
    Name(Problem),
    NameTaken,
    NoRedirectUri,
    /// The first bad URI of a list (`logout`: the sign-out list), its problem, and how many more.
    Uri {
        logout: bool,
        index: usize,
        problem: UriProblem,
        more: usize,
    },
    TooManyUris {
        logout: bool,
        have: usize,
    },
    UnknownRole(String),
}

impl Refused {
    /// For the command line, naming what was typed.
    fn message(&self, org_name: &str, form: &ApplicationForm) -> String {
        match self {
            Refused::Name(p) => format!("the application's name {p}"),
            Refused::NameTaken => format!("{org_name} already has an application called {:?}", form.name.trim()),
            Refused::NoRedirectUri => "give at least one redirect URI (--redirect-uri)".into(),
            Refused::Uri { logout, index, problem, .. } => {
                let (what, list) = if *logout {
                    ("sign-out redirect URI", &form.logout_uris)
                } else {
                    ("redirect URI", &form.redirect_uris)
                };
                format!("the {what} {:?} {problem}", list.get(*index).map(String::as_str).unwrap_or_default())
            }
            Refused::TooManyUris { .. } => format!("at most {MAX_URIS} of each kind of URI"),
            Refused::UnknownRole(name) => format!("{org_name} has no role called {name:?}"),
        }
    }

    /// For the form, per field (its URI fields take one URI per line).
    fn fields(&self) -> Option<FieldErrors> {
        let list = |logout: bool| if logout { "logout_uris" } else { "redirect_uris" };
        let n = |v: usize| u16::try_from(v).unwrap_or(u16::MAX);
        Some(match self {
            Refused::Name(p) => FieldErrors::one("name", *p),
            Refused::NameTaken => FieldErrors::one("name", Problem::Taken),
            Refused::NoRedirectUri => FieldErrors::one("redirect_uris", Problem::Missing),
            Refused::Uri { logout, index, problem, more } => FieldErrors::one(
                list(*logout),
                Problem::InList { issue: problem.issue(), line: n(index + 1), more: n(*more) },
            ),
            Refused::TooManyUris { logout, have } => {
                FieldErrors::one(list(*logout), Problem::TooMany { max: n(MAX_URIS), have: n(*have) })
            }
            // The roles are offered as checkboxes: only a forged form names another.
            Refused::UnknownRole(_) => return None,
        })
    }
}

impl UriProblem {
    fn issue(self) -> ListIssue {
        match self {
            UriProblem::NotAnAddress => ListIssue::NotAnAddress,
            UriProblem::NotHttps => ListIssue::NotHttps,
            UriProblem::HasCredentials => ListIssue::UriCredentials,
            UriProblem::HasFragment => ListIssue::UriFragment,
            UriProblem::TooLong => ListIssue::UriTooLong,
        }
    }
}

/// What refuses a change to the organisation's applications made in Settings.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// A form that only a forged request sends (a role that is not offered, a secret for a
    /// public application).
    #[error("bad request")]
    BadRequest,
    #[error("step-up required")]
    StepUpRequired,
    #[error("not allowed")]
    Forbidden,
    #[error("no such application")]
    NotFound,
    #[error(transparent)]
    Internal(#[from] Error),
}

/// Who makes a change: an operator at the command line, or a person in Settings.
#[derive(Clone, Copy)]
enum By<'a> {
    Operator,
    Person(&'a SessionInfo, &'a RequestMeta),
}

impl By<'_> {
    fn meta(&self) -> RequestMeta {
        match self {
            By::Operator => RequestMeta::default(),
            By::Person(_, meta) => (*meta).clone(),
        }
    }
}

impl Tessera {
    /// `tessera app add`.
    pub async fn add_application_by_operator(&self, org_name: &str, form: &ApplicationForm) -> Result<Registered> {
        let org = self.organisation_named(org_name).await?;
        match self.register(org.id, &org.name, form, By::Operator).await? {
            Ok(registered) => Ok(registered),
            Err(refused) => Err(Error::Invalid(refused.message(org_name, form))),
        }
    }

    /// Settings -> Applications: registers an application (fresh second factor needed).
    pub async fn add_application(
        &self,
        s: &SessionInfo,
        form: &ApplicationForm,
        meta: &RequestMeta,
    ) -> Result<Registered, ApplicationError> {
        self.may_change_applications(s)?;
        match self.register(s.org_id, &s.org_name, form, By::Person(s, meta)).await? {
            Ok(registered) => Ok(registered),
            Err(refused) => Err(refused.fields().map_or(ApplicationError::BadRequest, ApplicationError::Invalid)),
        }
    }

    async fn register(
        &self,
        org_id: i64,
        org_name: &str,
        form: &ApplicationForm,
        by: By<'_>,
    ) -> Result<std::result::Result<Registered, Refused>> {
        let name = match parse_name(&form.name) {
            Ok(name) => name,
            Err(p) => return Ok(Err(Refused::Name(p))),
        };
        let redirect_uris = match uris(&form.redirect_uris, false) {
            Ok(u) if u.is_empty() => return Ok(Err(Refused::NoRedirectUri)),
            Ok(u) => u,
            Err(refused) => return Ok(Err(refused)),
        };
        let logout_uris = match uris(&form.logout_uris, true) {
            Ok(u) => u,
            Err(refused) => return Ok(Err(refused)),
        };
        let known = self.store.roles(org_id).await?;
        let mut role_ids = Vec::new();
        for wanted in &form.roles {
            match known.iter().find(|r| r.name.eq_ignore_ascii_case(wanted.trim())) {
                Some(role) => role_ids.push(role.id),
                None => return Ok(Err(Refused::UnknownRole(wanted.clone()))),
            }
        }
        let client_id = random(16);
        let client_secret = form.confidential.then(|| random(32));
        let app = NewApplication {
            org_id,
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
        let audit = self.application_event(Action::ApplicationAdded, org_id, &detail, by);
        match self.store.add_application(&app, self.clock.now(), &audit).await {
            Err(Error::Conflict(_)) => return Ok(Err(Refused::NameTaken)),
            other => other?,
        };
        let change =
            format!("The application {} was registered: its people may now sign in to it with Tessera.", app.name);
        self.tell_owners(OwnersNotice::Applications, org_id, org_name, &change, None, &by.meta()).await?;
        Ok(Ok(Registered { client_id, client_secret }))
    }

    /// `tessera app list`.
    pub async fn applications_by_operator(&self, org_name: &str) -> Result<Vec<Application>> {
        let org = self.organisation_named(org_name).await?;
        self.store.applications(org.id).await
    }

    /// Settings -> Applications: the organisation's applications, and its roles (to name who
    /// may use each, and to offer).
    pub async fn applications(&self, s: &SessionInfo) -> Result<(Vec<Application>, Vec<RoleInfo>), ApplicationError> {
        if !s.can(Permission::ManageApplications) {
            return Err(ApplicationError::Forbidden);
        }
        Ok((self.store.applications(s.org_id).await?, self.store.roles(s.org_id).await?))
    }

    /// Settings -> Applications: one of the organisation's applications, and its roles.
    pub async fn application(
        &self,
        s: &SessionInfo,
        client_id: &str,
    ) -> Result<(Application, Vec<RoleInfo>), ApplicationError> {
        if !s.can(Permission::ManageApplications) {
            return Err(ApplicationError::Forbidden);
        }
        let app = self.application_in(s.org_id, client_id).await?.ok_or(ApplicationError::NotFound)?;
        Ok((app, self.store.roles(s.org_id).await?))
    }

    /// `tessera app rotate-secret`: a new secret for a confidential application (shown once);
    /// the old one stops working at once.
    pub async fn rotate_client_secret_by_operator(&self, org_name: &str, client_id: &str) -> Result<String> {
        let org = self.organisation_named(org_name).await?;
        let app = self.application_in(org.id, client_id).await?.ok_or(Error::NotFound("application"))?;
        if !app.confidential {
            return Err(Error::Invalid(format!("{} is a public application: it has no secret", app.name)));
        }
        self.new_client_secret(&org.name, &app, By::Operator).await
    }

    /// Settings -> Applications: the same (fresh second factor needed).
    pub async fn rotate_client_secret(
        &self,
        s: &SessionInfo,
        client_id: &str,
        meta: &RequestMeta,
    ) -> Result<String, ApplicationError> {
        let app = self.changeable(s, client_id).await?;
        if !app.confidential {
            return Err(ApplicationError::BadRequest);
        }
        Ok(self.new_client_secret(&s.org_name, &app, By::Person(s, meta)).await?)
    }

    async fn new_client_secret(&self, org_name: &str, app: &Application, by: By<'_>) -> Result<String> {
        let secret = random(32);
        let audit = self.application_event(Action::ApplicationSecretRotated, app.org_id, &app.name, by);
        let hash = self.client_secret_hash(&secret);
        if !self.store.set_client_secret(app.org_id, &app.client_id, &hash, &audit).await? {
            return Err(Error::NotFound("application"));
        }
        let change = format!("The application {} has a new client secret; the old one no longer works.", app.name);
        self.tell_owners(OwnersNotice::Applications, app.org_id, org_name, &change, None, &by.meta()).await?;
        Ok(secret)
    }

    /// Settings -> Applications: turns an application off (nobody signs in to it, and what it
    /// holds of anyone is revoked) or on again (fresh second factor needed).
    pub async fn set_application_disabled(
        &self,
        s: &SessionInfo,
        client_id: &str,
        disabled: bool,
        meta: &RequestMeta,
    ) -> Result<(), ApplicationError> {
        let app = self.changeable(s, client_id).await?;
        if app.disabled == disabled {
            return Ok(());
        }
        let action = if disabled { Action::ApplicationDisabled } else { Action::ApplicationEnabled };
        let audit = self.application_event(action, s.org_id, &app.name, By::Person(s, meta));
        if !self.store.set_application_disabled(s.org_id, client_id, disabled, self.clock.now(), &audit).await? {
            return Err(ApplicationError::NotFound);
        }
        let change = if disabled {
            format!(
                "The application {} was disabled: nobody can sign in to it with Tessera until it is enabled.",
                app.name
            )
        } else {
            format!("The application {} was enabled: its people may sign in to it with Tessera again.", app.name)
        };
        self.tell_owners(OwnersNotice::Applications, s.org_id, &s.org_name, &change, None, meta).await?;
        Ok(())
    }

    /// `tessera app remove`: nobody signs in to it through Tessera any more.
    pub async fn remove_application_by_operator(&self, org_name: &str, client_id: &str) -> Result<String> {
        let org = self.organisation_named(org_name).await?;
        let app = self.application_in(org.id, client_id).await?.ok_or(Error::NotFound("application"))?;
        self.remove(&org.name, &app, By::Operator).await?;
        Ok(app.name)
    }

    /// Settings -> Applications: the same (fresh second factor needed).
    pub async fn remove_application(
        &self,
        s: &SessionInfo,
        client_id: &str,
        meta: &RequestMeta,
    ) -> Result<String, ApplicationError> {
        let app = self.changeable(s, client_id).await?;
        self.remove(&s.org_name, &app, By::Person(s, meta)).await?;
        Ok(app.name)
    }

    async fn remove(&self, org_name: &str, app: &Application, by: By<'_>) -> Result<()> {
        let audit = self.application_event(Action::ApplicationRemoved, app.org_id, &app.name, by);
        if !self.store.remove_application(app.org_id, &app.client_id, &audit).await? {
            return Err(Error::NotFound("application"));
        }
        let change = format!("The application {} was removed: nobody signs in to it with Tessera any more.", app.name);
        self.tell_owners(OwnersNotice::Applications, app.org_id, org_name, &change, None, &by.meta()).await
    }

    /// A new client secret sealed for the page that shows it once: only to this session, for
    /// [`SECRET_SHOWN_FOR`], and only on that application's page.
    pub fn seal_secret_to_show(&self, s: &SessionInfo, client_id: &str, secret: &str) -> String {
        let expires = self.clock.now().plus(SECRET_SHOWN_FOR);
        let plain = format!("{}\n{}\n{client_id}\n{secret}", expires.0, s.token_hash);
        self.key.seal(SECRET_CONTEXT, plain.as_bytes())
    }

    /// What [`Tessera::seal_secret_to_show`] sealed, if it is this session's, for this
    /// application, and still in time.
    pub fn open_secret_to_show(&self, s: &SessionInfo, client_id: &str, sealed: &str) -> Option<String> {
        let plain = String::from_utf8(self.key.open(SECRET_CONTEXT, sealed)?).ok()?;
        let mut parts = plain.splitn(4, '\n');
        let expires: i64 = parts.next()?.parse().ok()?;
        let (session, app, secret) = (parts.next()?, parts.next()?, parts.next()?);
        let fits = session == s.token_hash && app == client_id && self.clock.now().0 < expires;
        fits.then(|| secret.to_string())
    }

    /// The organisation's application `client_id`, if `s` may change it now.
    async fn changeable(&self, s: &SessionInfo, client_id: &str) -> Result<Application, ApplicationError> {
        self.may_change_applications(s)?;
        self.application_in(s.org_id, client_id).await?.ok_or(ApplicationError::NotFound)
    }

    /// Changes to applications need the permission and a fresh second factor: an application
    /// admits people to the organisation's systems.
    fn may_change_applications(&self, s: &SessionInfo) -> Result<(), ApplicationError> {
        if !s.can(Permission::ManageApplications) {
            return Err(ApplicationError::Forbidden);
        }
        if !self.has_fresh_step_up(s) {
            return Err(ApplicationError::StepUpRequired);
        }
        Ok(())
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

    pub(crate) async fn organisation_named(&self, name: &str) -> Result<Organisation> {
        self.store.find_organisation_by_name(name).await?.ok_or(Error::NotFound("organisation"))
    }

    /// The organisation's application `client_id` (another organisation's is not found).
    async fn application_in(&self, org_id: i64, client_id: &str) -> Result<Option<Application>> {
        let found = self.store.application_by_client_id(client_id).await?.map(|(app, _)| app);
        Ok(found.filter(|a| a.org_id == org_id))
    }

    fn application_event(&self, action: Action, org_id: i64, detail: &str, by: By<'_>) -> crate::store::AuditEvent {
        let (actor, meta, who) = match by {
            By::Operator => (None, RequestMeta::default(), ", by an operator"),
            By::Person(s, meta) => (Some(s.user_id), meta.clone(), ""),
        };
        let mut e = audit::event(self.clock.now(), action, Outcome::Success, Some(org_id), actor, None, &meta, None);
        // The application's name and id (no secret), and who: the activity log's reader needs both.
        e.detail = Some(format!("{detail}{who}"));
        e
    }
}

/// Each URI checked, duplicates dropped, at most [`MAX_URIS`]; the first bad one refused (with
/// its place in the list and how many more are bad).
fn uris(typed: &[String], logout: bool) -> std::result::Result<Vec<String>, Refused> {
    let checked: Vec<_> = typed.iter().filter(|u| !u.trim().is_empty()).map(|u| check_redirect_uri(u)).collect();
    let problems: Vec<(usize, UriProblem)> =
        checked.iter().enumerate().filter_map(|(i, r)| r.as_ref().err().map(|p| (i, *p))).collect();
    if let Some(&(index, problem)) = problems.first() {
        return Err(Refused::Uri { logout, index, problem, more: problems.len() - 1 });
    }
    let mut out: Vec<String> = Vec::new();
    for uri in checked.into_iter().flatten() {
        if !out.contains(&uri) {
            out.push(uri);
        }
    }
    if out.len() > MAX_URIS {
        return Err(Refused::TooManyUris { logout, have: out.len() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_secrets_are_plain_hex_words() {
        // Base64url's `-` and `_`, at the start of a client id, made the command line read it
        // as an option; hex has neither.
        for _ in 0..200 {
            let id = random(16);
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
        }
    }

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
