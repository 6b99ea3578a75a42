//! Signing in with Google, Microsoft or another OpenID Connect provider: the providers the
//! operator configures (`tessera sso add|list|remove`), and reading their metadata.
//!
//! Tessera is the relying party here (the `openidconnect` crate speaks the protocol); its own
//! MFA still applies after the provider.

pub mod discovery;
pub mod flow;
pub mod landing;
pub mod methods;

use crate::error::{Error, Result};
use crate::store::SsoProvider;
use crate::tessera::Tessera;

pub use crate::store::ProviderMfa;
pub use discovery::DiscoveryError;
pub use flow::{SsoRefusal, Started, Verified, CALLBACK};
pub use landing::{Landing, PendingLink};
pub use methods::{MethodError, MethodForm, SignInMethod, SignInMethods};

/// The client secrets the operator gives, sealed at rest with the instance key.
const CLIENT_SECRET_CONTEXT: &str = "sso-client-secret";

pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Microsoft's issuer for one tenant (`{tenant}`) or, for several, for work and school accounts of
/// any tenant (then only the allowed ones pass, by the token's `tid`).
fn microsoft_issuer(tenants: &[String]) -> String {
    match tenants {
        [one] => format!("https://login.microsoftonline.com/{one}/v2.0"),
        _ => "https://login.microsoftonline.com/organizations/v2.0".into(),
    }
}

/// What kind of provider, which decides the button's name and how its tokens are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Google,
    /// Entra ID work and school accounts, of allowed tenants only.
    Microsoft,
    /// Any other OpenID Connect provider, by its issuer.
    Oidc,
}

impl ProviderKind {
    pub fn id(self) -> &'static str {
        match self {
            ProviderKind::Google => "google",
            ProviderKind::Microsoft => "microsoft",
            ProviderKind::Oidc => "oidc",
        }
    }

    pub fn from_id(id: &str) -> Option<ProviderKind> {
        [ProviderKind::Google, ProviderKind::Microsoft, ProviderKind::Oidc].into_iter().find(|k| k.id() == id)
    }
}

/// A provider as the operator gives it.
#[derive(Clone, Default)]
pub struct ProviderForm {
    pub kind: Option<ProviderKind>,
    /// Required for `oidc` ("Sign in with NAME"); Google and Microsoft are named for themselves.
    pub name: Option<String>,
    /// Required for `oidc`; for Google and Microsoft, only to stand in for them (a test provider).
    pub issuer: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    /// Microsoft: the tenant ids whose accounts may sign in (at least one).
    pub tenants: Vec<String>,
}

impl std::fmt::Debug for ProviderForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderForm")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("tenants", &self.tenants)
            .finish()
    }
}

/// What is wrong with a [`ProviderForm`], worded for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderProblem {
    #[error("say which kind of provider: google, microsoft or oidc")]
    NoKind,
    #[error("an oidc provider needs --name (shown as \"Sign in with NAME\", at most 40 characters)")]
    NoName,
    #[error("the name must be 1 to 40 characters, without line breaks")]
    BadName,
    #[error("an oidc provider needs --issuer, its issuer URL")]
    NoIssuer,
    #[error("the issuer must be an https URL (http only on this machine), without a query or #fragment")]
    BadIssuer,
    #[error("the client id must be 1 to 255 characters, without spaces")]
    BadClientId,
    #[error("the client secret must be 1 to 1,024 characters (give it on standard input)")]
    BadClientSecret,
    #[error("Microsoft needs at least one --tenant: the directory (tenant) id of each organisation whose accounts may sign in")]
    NoTenant,
    #[error("{0:?} is not a tenant id: Microsoft's tenant ids look like 72f988bf-86f1-41af-91ab-2d7cd011db47")]
    BadTenant(String),
    #[error("tenants are for Microsoft only")]
    TenantsNotMicrosoft,
}

/// A checked provider, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub kind: ProviderKind,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub tenants: Vec<String>,
}

impl ProviderForm {
    /// Checks every field; the client secret only for its size (it is the provider's to judge).
    pub fn check(&self) -> std::result::Result<Checked, ProviderProblem> {
        let kind = self.kind.ok_or(ProviderProblem::NoKind)?;
        let name = match (kind, self.name.as_deref().map(str::trim)) {
            (_, Some(n)) if n.is_empty() || n.chars().count() > 40 || n.chars().any(char::is_control) => {
                return Err(ProviderProblem::BadName)
            }
            (_, Some(n)) => n.to_string(),
            (ProviderKind::Google, None) => "Google".into(),
            (ProviderKind::Microsoft, None) => "Microsoft".into(),
            (ProviderKind::Oidc, None) => return Err(ProviderProblem::NoName),
        };
        let tenants: Vec<String> = self.tenants.iter().map(|t| t.trim().to_ascii_lowercase()).collect();
        if let Some(bad) = tenants.iter().find(|t| !is_tenant_id(t)) {
            return Err(ProviderProblem::BadTenant(bad.clone()));
        }
        match kind {
            ProviderKind::Microsoft if tenants.is_empty() => return Err(ProviderProblem::NoTenant),
            ProviderKind::Google | ProviderKind::Oidc if !tenants.is_empty() => {
                return Err(ProviderProblem::TenantsNotMicrosoft)
            }
            _ => {}
        }
        let issuer = match (kind, self.issuer.as_deref()) {
            (_, Some(typed)) => check_issuer(typed)?,
            (ProviderKind::Google, None) => GOOGLE_ISSUER.into(),
            (ProviderKind::Microsoft, None) => microsoft_issuer(&tenants),
            (ProviderKind::Oidc, None) => return Err(ProviderProblem::NoIssuer),
        };
        let client_id = self.client_id.trim();
        if client_id.is_empty()
            || client_id.len() > 255
            || client_id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ProviderProblem::BadClientId);
        }
        let secret = self.client_secret.trim_end_matches(['\r', '\n']);
        if secret.is_empty() || secret.len() > 1024 {
            return Err(ProviderProblem::BadClientSecret);
        }
        Ok(Checked { kind, name, issuer, client_id: client_id.to_string(), tenants })
    }
}

/// An issuer URL as typed (it is compared as a string with what the provider says it is): https,
/// or http on this machine only; no query, fragment or credentials.
fn check_issuer(typed: &str) -> std::result::Result<String, ProviderProblem> {
    let issuer = crate::applications::check_redirect_uri(typed).map_err(|_| ProviderProblem::BadIssuer)?;
    match url::Url::parse(&issuer) {
        Ok(url) if url.query().is_none() => Ok(issuer),
        _ => Err(ProviderProblem::BadIssuer),
    }
}

/// A Microsoft tenant id: a GUID (a domain name would not match the issuer in its tokens).
pub(crate) fn is_tenant_id(t: &str) -> bool {
    let groups: Vec<&str> = t.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Why `tessera sso add` did not add a provider.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0}")]
    Invalid(ProviderProblem),
    #[error("there is already a provider named {0:?}; remove it first (tessera sso remove)")]
    Taken(String),
    #[error("{issuer} did not answer as an OpenID Connect provider: {why}")]
    Discovery { issuer: String, why: DiscoveryError },
    #[error(transparent)]
    Internal(#[from] Error),
}

impl Tessera {
    /// `tessera sso add`: checks the form, reads the provider's metadata (so a mistyped issuer is
    /// caught now, not at someone's first sign-in), and stores it with its secret sealed.
    pub async fn add_sso_provider_by_operator(
        &self,
        form: &ProviderForm,
    ) -> std::result::Result<SsoProvider, AddError> {
        let checked = form.check().map_err(AddError::Invalid)?;
        let client = discovery::http_client()?;
        discovery::fetch(&client, &checked.issuer, checked.kind == ProviderKind::Microsoft)
            .await
            .map_err(|why| AddError::Discovery { issuer: checked.issuer.clone(), why })?;
        let secret = form.client_secret.trim_end_matches(['\r', '\n']);
        let mut provider = SsoProvider {
            id: 0,
            kind: checked.kind.id().into(),
            name: checked.name,
            issuer: checked.issuer,
            client_id: checked.client_id,
            client_secret_sealed: self.key.seal(CLIENT_SECRET_CONTEXT, secret.as_bytes()),
            tenants: checked.tenants,
            created_at: self.clock.now(),
        };
        provider.id = match self.store.add_sso_provider(&provider).await {
            Ok(id) => id,
            Err(Error::Conflict(_)) => return Err(AddError::Taken(provider.name)),
            Err(e) => return Err(e.into()),
        };
        tracing::info!(provider = %provider.name, issuer = %provider.issuer, "sign-in provider added");
        Ok(provider)
    }

    /// `tessera sso list`.
    pub async fn sso_providers(&self) -> Result<Vec<SsoProvider>> {
        self.store.sso_providers().await
    }

    /// `tessera sso remove`: nobody signs in with it any more.
    pub async fn remove_sso_provider_by_operator(&self, name: &str) -> Result<()> {
        match self.store.remove_sso_provider(name).await? {
            true => {
                tracing::info!(provider = %name.trim(), "sign-in provider removed");
                Ok(())
            }
            false => Err(Error::NotFound("a sign-in provider with that name")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn form(kind: ProviderKind) -> ProviderForm {
        ProviderForm {
            kind: Some(kind),
            client_id: "client-1".into(),
            client_secret: "s3cret\n".into(),
            ..ProviderForm::default()
        }
    }

    #[test]
    fn google_and_microsoft_are_named_for_themselves_and_know_their_issuers() {
        let g = form(ProviderKind::Google).check().unwrap();
        assert_eq!((g.name.as_str(), g.issuer.as_str()), ("Google", GOOGLE_ISSUER));
        let one = ProviderForm { tenants: vec![TENANT.to_uppercase()], ..form(ProviderKind::Microsoft) };
        let m = one.check().unwrap();
        assert_eq!(m.issuer, format!("https://login.microsoftonline.com/{TENANT}/v2.0"));
        assert_eq!(m.tenants, vec![TENANT.to_string()], "kept in lower case, as tokens carry them");
        let two = ProviderForm { tenants: vec![TENANT.into(), "00000000-0000-0000-0000-000000000001".into()], ..one };
        assert_eq!(two.check().unwrap().issuer, "https://login.microsoftonline.com/organizations/v2.0");
    }

    #[test]
    fn every_field_is_checked() {
        let bad = |f: ProviderForm| f.check().unwrap_err();
        assert_eq!(bad(ProviderForm { kind: None, ..form(ProviderKind::Google) }), ProviderProblem::NoKind);
        assert_eq!(bad(form(ProviderKind::Oidc)), ProviderProblem::NoName);
        let named = ProviderForm { name: Some("Okta".into()), ..form(ProviderKind::Oidc) };
        assert_eq!(bad(named.clone()), ProviderProblem::NoIssuer);
        for issuer in
            ["http://idp.example.org", "https://idp.example.org/?tenant=1", "https://u:p@idp.example.org", "idp"]
        {
            let f = ProviderForm { issuer: Some(issuer.into()), ..named.clone() };
            assert_eq!(bad(f), ProviderProblem::BadIssuer, "{issuer}");
        }
        let ok = ProviderForm { issuer: Some("http://127.0.0.1:4000/oidc".into()), ..named.clone() };
        assert_eq!(ok.check().unwrap().issuer, "http://127.0.0.1:4000/oidc");
        for name in ["", "   ", "a\nb", &"x".repeat(41)] {
            assert_eq!(
                bad(ProviderForm { name: Some(name.into()), ..ok.clone() }),
                ProviderProblem::BadName,
                "{name:?}"
            );
        }
        assert_eq!(bad(ProviderForm { client_id: "a b".into(), ..ok.clone() }), ProviderProblem::BadClientId);
        assert_eq!(bad(ProviderForm { client_secret: "\n".into(), ..ok.clone() }), ProviderProblem::BadClientSecret);
        assert_eq!(bad(form(ProviderKind::Microsoft)), ProviderProblem::NoTenant);
        let domain = ProviderForm { tenants: vec!["contoso.com".into()], ..form(ProviderKind::Microsoft) };
        assert_eq!(bad(domain), ProviderProblem::BadTenant("contoso.com".into()));
        let google = ProviderForm { tenants: vec![TENANT.into()], ..form(ProviderKind::Google) };
        assert_eq!(bad(google), ProviderProblem::TenantsNotMicrosoft);
    }

    #[test]
    fn the_secret_never_reaches_debug_output() {
        assert!(!format!("{:?}", form(ProviderKind::Google)).contains("s3cret"));
    }
}
