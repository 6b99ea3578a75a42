//! Settings -> Sign-in methods: which of the operator's providers an organisation's people may
//! sign in with, and from where those accounts may come (Google: the organisation's Workspace
//! domains; Microsoft: its tenants; another provider: the domains of verified addresses).
//!
//! Owners decide (a provider account opens the organisation's accounts, so this is theirs to
//! choose, as the MFA policy is), with a fresh second factor; managers of the security policy
//! see it. Every change is in the activity log and mailed to the owners. The operator can do the
//! same from the command line (`tessera sso allow|disallow`).

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::delivery::OwnersNotice;
use crate::error::{Error, Result};
use crate::form_errors::FieldErrors;
use crate::model::{ListIssue, Problem};
use crate::roles::Permission;
use crate::session::SessionInfo;
use crate::store::{OrgProvider, ProviderMfa, SsoProvider};
use crate::tessera::Tessera;

use super::flow::Verified;
use super::ProviderKind;

/// At most this many domains or tenants per provider.
pub const MAX_ACCOUNTS_FROM: usize = 50;

/// One provider as an organisation has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInMethod {
    pub provider_id: i64,
    pub name: String,
    pub kind: ProviderKind,
    pub allowed: bool,
    /// Where its accounts may come from; empty: any account the provider signs in.
    pub accounts_from: Vec<String>,
    /// What the provider's own MFA counts for.
    pub mfa: ProviderMfa,
    /// Domains whose verified addresses link themselves at a first sign-in.
    pub trust_email_from: Vec<String>,
    /// Domains whose verified addresses make new members at a first sign-in.
    pub create_from: Vec<String>,
    /// Microsoft: the tenants the operator accepts, of which the organisation may name some.
    pub tenants: Vec<String>,
}

/// One provider's form in Settings -> Sign-in methods, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodForm {
    pub allowed: bool,
    /// Domains or tenant ids (see [`parse_accounts_from`]); empty: any account.
    pub accounts_from: String,
    pub mfa: ProviderMfa,
    /// Domains whose addresses, verified by the provider, link themselves; empty: none.
    pub trust_email_from: String,
    /// Domains whose addresses, verified by the provider, make new members; empty: none.
    pub create_from: String,
}

/// The page: each provider the operator configured, and whether this person may change them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInMethods {
    pub methods: Vec<SignInMethod>,
    pub may_change: bool,
    /// Everyone but the owners must sign in with a provider.
    pub required: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MethodError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("step-up required")]
    StepUpRequired,
    /// Only owners change sign-in methods.
    #[error("not allowed")]
    Forbidden,
    #[error("no such provider")]
    NotFound,
    /// Provider sign-in cannot be required while no provider is allowed.
    #[error("no provider allowed")]
    NoProvider,
    /// The last provider allowed cannot be turned off while provider sign-in is required.
    #[error("the last provider")]
    LastProvider,
    #[error(transparent)]
    Internal(#[from] Error),
}

/// Reads "accounts from" as typed (one per line, or separated by spaces or commas) for a
/// provider of `kind`: domains, or for Microsoft tenant ids among the operator's `tenants`.
/// Lower case, duplicates dropped; the first bad entry is refused with its place in the list.
pub fn parse_accounts_from(
    kind: ProviderKind,
    typed: &str,
    tenants: &[String],
) -> std::result::Result<Vec<String>, Problem> {
    let entries: Vec<String> = typed
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|e| !e.is_empty())
        .map(|e| e.trim_start_matches('@').to_ascii_lowercase())
        .collect();
    let line = |i: usize| u16::try_from(i + 1).unwrap_or(u16::MAX);
    let problems: Vec<(usize, ListIssue)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let issue = match kind {
                ProviderKind::Microsoft if !super::is_tenant_id(e) => ListIssue::NotATenant,
                ProviderKind::Microsoft if !tenants.contains(e) => ListIssue::TenantNotAccepted,
                ProviderKind::Microsoft => return None,
                _ if !is_domain(e) => ListIssue::NotADomain,
                _ => return None,
            };
            Some((i, issue))
        })
        .collect();
    if let Some(&(i, issue)) = problems.first() {
        let more = u16::try_from(problems.len() - 1).unwrap_or(u16::MAX);
        return Err(Problem::InList { issue, line: line(i), more });
    }
    let mut out: Vec<String> = Vec::new();
    for e in entries {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    if out.len() > MAX_ACCOUNTS_FROM {
        let n = |v: usize| u16::try_from(v).unwrap_or(u16::MAX);
        return Err(Problem::TooMany { max: n(MAX_ACCOUNTS_FROM), have: n(out.len()) });
    }
    Ok(out)
}

/// A domain name like example.org: two labels or more of letters, digits and inner hyphens.
fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    s.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && !labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether the provider's account `who` comes from where the organisation accepts it.
pub fn accepted(accounts_from: &[String], who: &Verified) -> bool {
    accounts_from.is_empty() || who.home.as_ref().is_some_and(|home| accounts_from.contains(home))
}

/// The domain of `who`'s address where the provider verified it and the organisation trusts
/// it (`trusted`): such an address may link the provider's account to the Tessera account with
/// that address. An unverified address never does.
pub fn trusted_address<'a>(trusted: &[String], who: &'a Verified) -> Option<&'a str> {
    let email = who.email.as_deref().filter(|_| who.email_verified)?;
    let (_, domain) = email.rsplit_once('@')?;
    trusted.iter().any(|t| t.eq_ignore_ascii_case(domain)).then_some(email)
}

/// Whether the provider's own sign-in stands in for Tessera's second factor, as the
/// organisation chose for it (`mfa`) and as its ID token says (`who`).
pub fn provider_mfa_counts(mfa: ProviderMfa, who: &Verified) -> bool {
    match mfa {
        ProviderMfa::Always => false,
        ProviderMfa::WhenProven => who.mfa,
        ProviderMfa::Never => true,
    }
}

impl Tessera {
    /// Settings -> Sign-in methods: every provider the operator configured, as the
    /// organisation has it.
    pub async fn sign_in_methods(&self, s: &SessionInfo) -> std::result::Result<SignInMethods, MethodError> {
        if !s.can(Permission::ManagePolicy) {
            return Err(MethodError::Forbidden);
        }
        let providers = self.store.sso_providers().await?;
        let chosen = self.store.org_sso_providers(s.org_id).await?;
        let methods = providers
            .into_iter()
            .filter_map(|p| {
                let kind = ProviderKind::from_id(&p.kind)?;
                let org = chosen.iter().find(|o| o.provider_id == p.id);
                Some(SignInMethod {
                    provider_id: p.id,
                    name: p.name,
                    kind,
                    allowed: org.is_some(),
                    accounts_from: org.map(|o| o.accounts_from.clone()).unwrap_or_default(),
                    mfa: org.map(|o| o.mfa).unwrap_or_default(),
                    trust_email_from: org.map(|o| o.trust_email_from.clone()).unwrap_or_default(),
                    create_from: org.map(|o| o.create_from.clone()).unwrap_or_default(),
                    tenants: p.tenants,
                })
            })
            .collect();
        let required = self.store.sso_required(s.org_id).await?;
        Ok(SignInMethods { methods, may_change: s.role.is_owner(), required })
    }

    /// Settings -> Sign-in methods: lets the organisation's people sign in with a provider as
    /// `form` says (where accounts may come from, what its own MFA counts for, which verified
    /// addresses link themselves), or stops them (owners, fresh second factor).
    pub async fn set_sign_in_method(
        &self,
        s: &SessionInfo,
        provider_id: i64,
        form: &MethodForm,
        meta: &RequestMeta,
    ) -> std::result::Result<(), MethodError> {
        if !s.role.is_owner() {
            return Err(MethodError::Forbidden);
        }
        let provider = self.store.sso_providers().await?.into_iter().find(|p| p.id == provider_id);
        let Some(provider) = provider else { return Err(MethodError::NotFound) };
        let kind = ProviderKind::from_id(&provider.kind).ok_or(MethodError::NotFound)?;
        let setting = match form.allowed {
            true => Some(OrgProvider {
                provider_id,
                accounts_from: parse_accounts_from(kind, &form.accounts_from, &provider.tenants)
                    .map_err(|p| MethodError::Invalid(FieldErrors::one("accounts_from", p)))?,
                mfa: form.mfa,
                trust_email_from: parse_accounts_from(ProviderKind::Oidc, &form.trust_email_from, &[])
                    .map_err(|p| MethodError::Invalid(FieldErrors::one("trust_email_from", p)))?,
                create_from: parse_accounts_from(ProviderKind::Oidc, &form.create_from, &[])
                    .map_err(|p| MethodError::Invalid(FieldErrors::one("create_from", p)))?,
            }),
            false => None,
        };
        if setting.is_none() && self.store.sso_required(s.org_id).await? {
            let others = self.store.org_sso_providers(s.org_id).await?;
            if others.iter().all(|o| o.provider_id == provider_id) {
                return Err(MethodError::LastProvider);
            }
        }
        if !self.has_fresh_step_up(s) {
            return Err(MethodError::StepUpRequired);
        }
        self.change_sign_in_method(s.org_id, &s.org_name, &provider, setting, Some((s, meta))).await?;
        Ok(())
    }

    /// Settings -> Sign-in methods: requires everyone but the owners to sign in with a provider
    /// (a password alone then stops working for them), or stops requiring it (owners, fresh
    /// second factor; at least one provider allowed first).
    pub async fn set_provider_sign_in_required(
        &self,
        s: &SessionInfo,
        required: bool,
        meta: &RequestMeta,
    ) -> std::result::Result<(), MethodError> {
        if !s.role.is_owner() {
            return Err(MethodError::Forbidden);
        }
        if required && self.store.org_sso_providers(s.org_id).await?.is_empty() {
            return Err(MethodError::NoProvider);
        }
        if !self.has_fresh_step_up(s) {
            return Err(MethodError::StepUpRequired);
        }
        let (detail, change) = match required {
            true => (
                "provider sign-in required for everyone but the owners",
                format!(
                    "Everyone in {} but the owners must now sign in with a provider: a password alone no longer signs them in.",
                    s.org_name
                ),
            ),
            false => (
                "provider sign-in no longer required",
                format!("People of {} may sign in with their password again.", s.org_name),
            ),
        };
        let (actor, org) = (Some(s.user_id), Some(s.org_id));
        let e = audit::event(
            self.clock.now(),
            Action::SignInMethodChanged,
            Outcome::Success,
            org,
            actor,
            None,
            meta,
            Some(detail),
        );
        self.store.set_sso_required(s.org_id, required, &e).await?;
        self.tell_owners(OwnersNotice::SignInMethods, s.org_id, &s.org_name, &change, Some(s), meta).await?;
        Ok(())
    }

    /// `tessera sso allow|disallow`: the same, by the operator (`from`: domains or tenants).
    pub async fn allow_sso_provider_by_operator(
        &self,
        org_name: &str,
        provider: &str,
        allowed: bool,
        from: &[String],
    ) -> Result<()> {
        let org = self.organisation_named(org_name).await?;
        let key = provider.trim().to_lowercase();
        let providers = self.store.sso_providers().await?;
        let p = providers
            .into_iter()
            .find(|p| p.name.to_lowercase() == key)
            .ok_or(Error::NotFound("a sign-in provider with that name"))?;
        let kind = ProviderKind::from_id(&p.kind).ok_or(Error::NotFound("a sign-in provider with that name"))?;
        // What the owners chose for the provider's MFA and for verified addresses stays.
        let current = self.store.org_sso_providers(org.id).await?.into_iter().find(|o| o.provider_id == p.id);
        let setting = match allowed {
            true => Some(OrgProvider {
                provider_id: p.id,
                accounts_from: parse_accounts_from(kind, &from.join(" "), &p.tenants)
                    .map_err(|problem| Error::Invalid(format!("--from {problem}")))?,
                mfa: current.as_ref().map(|c| c.mfa).unwrap_or_default(),
                trust_email_from: current.as_ref().map(|c| c.trust_email_from.clone()).unwrap_or_default(),
                create_from: current.map(|c| c.create_from).unwrap_or_default(),
            }),
            false => None,
        };
        self.change_sign_in_method(org.id, &org.name, &p, setting, None).await
    }

    async fn change_sign_in_method(
        &self,
        org_id: i64,
        org_name: &str,
        provider: &SsoProvider,
        setting: Option<OrgProvider>,
        by: Option<(&SessionInfo, &RequestMeta)>,
    ) -> Result<()> {
        let name = &provider.name;
        let (mut detail, mut change) = match setting.as_ref().map(|s| s.accounts_from.as_slice()) {
            None => {
                (format!("{name}: not allowed"), format!("People of {org_name} can no longer sign in with {name}."))
            }
            Some([]) => (
                format!("{name}: allowed, any account"),
                format!("People of {org_name} may now sign in with {name}, with any {name} account linked to theirs."),
            ),
            Some(from) => (
                format!("{name}: allowed, accounts from {}", from.join(", ")),
                format!(
                    "People of {org_name} may now sign in with {name}, with accounts from {} only.",
                    from.join(", ")
                ),
            ),
        };
        match setting.as_ref().map(|s| s.mfa) {
            Some(ProviderMfa::WhenProven) => {
                detail.push_str("; Tessera's MFA skipped when the provider proves its own");
                change.push_str(&format!(
                    " Tessera does not ask for its MFA after {name} when {name} says it checked a second factor itself."
                ));
            }
            Some(ProviderMfa::Never) => {
                detail.push_str("; Tessera's MFA never asked after it");
                change.push_str(&format!(
                    " Warning: Tessera no longer asks for its MFA after {name}, so whoever controls a linked {name} account signs in with nothing else."
                ));
            }
            Some(ProviderMfa::Always) | None => {}
        }
        if let Some(trusted) = setting.as_ref().map(|s| &s.trust_email_from).filter(|t| !t.is_empty()) {
            let domains = trusted.join(", ");
            detail.push_str(&format!("; trusts verified addresses at {domains}"));
            change.push_str(&format!(
                " A {name} account whose address {name} has verified at {domains} now links itself, at its first sign-in, to the Tessera account with that address."
            ));
        }
        if let Some(created) = setting.as_ref().map(|s| &s.create_from).filter(|c| !c.is_empty()) {
            let domains = created.join(", ");
            detail.push_str(&format!("; creates members from {domains}"));
            change.push_str(&format!(
                " Someone without an account whose {name} address is verified at {domains} now becomes a member (role Member) at their first sign-in with {name}."
            ));
        }
        let (actor, meta, who) = match by {
            Some((s, meta)) => (Some(s.user_id), meta.clone(), ""),
            None => (None, RequestMeta::default(), ", by an operator"),
        };
        let mut e = audit::event(
            self.clock.now(),
            Action::SignInMethodChanged,
            Outcome::Success,
            Some(org_id),
            actor,
            None,
            &meta,
            None,
        );
        e.detail = Some(format!("{detail}{who}"));
        self.store.set_org_sso_provider(org_id, provider.id, setting.as_ref(), &e).await?;
        self.tell_owners(OwnersNotice::SignInMethods, org_id, org_name, &change, by.map(|(s, _)| s), &meta).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn who(home: Option<&str>) -> Verified {
        Verified { subject: "s".into(), email: None, email_verified: false, home: home.map(str::to_string), mfa: false }
    }

    #[test]
    fn domains_are_read_one_per_line_or_separated_and_checked() {
        let read = |typed: &str| parse_accounts_from(ProviderKind::Google, typed, &[]);
        assert_eq!(read("Example.org\n@acme.co.uk, example.org"), Ok(vec!["example.org".into(), "acme.co.uk".into()]));
        assert_eq!(read("  \n"), Ok(vec![]));
        assert_eq!(
            read("example.org\nlocalhost\n-bad-.org\n10.0.0.1"),
            Err(Problem::InList { issue: ListIssue::NotADomain, line: 2, more: 2 })
        );
        assert_eq!(read("a@b.org"), Err(Problem::InList { issue: ListIssue::NotADomain, line: 1, more: 0 }));
        let many: Vec<String> = (0..=MAX_ACCOUNTS_FROM).map(|i| format!("d{i}.org")).collect();
        assert_eq!(read(&many.join(" ")), Err(Problem::TooMany { max: 50, have: 51 }));
    }

    #[test]
    fn microsoft_takes_only_tenants_the_operator_accepts() {
        let tenants = vec![TENANT.to_string()];
        let read = |typed: &str| parse_accounts_from(ProviderKind::Microsoft, typed, &tenants);
        assert_eq!(read(&TENANT.to_uppercase()), Ok(vec![TENANT.to_string()]));
        assert_eq!(read("example.org"), Err(Problem::InList { issue: ListIssue::NotATenant, line: 1, more: 0 }));
        assert_eq!(
            read("00000000-0000-0000-0000-000000000001"),
            Err(Problem::InList { issue: ListIssue::TenantNotAccepted, line: 1, more: 0 })
        );
    }

    #[test]
    fn a_provider_proves_its_own_mfa_only_by_saying_so() {
        use super::super::flow::provider_checked_mfa;
        let claims = |v: serde_json::Value| v.as_object().unwrap().clone();
        assert!(provider_checked_mfa(&claims(serde_json::json!({ "amr": ["pwd", "mfa"] }))));
        assert!(provider_checked_mfa(&claims(serde_json::json!({ "amr": ["pwd", "hwk"] }))));
        assert!(provider_checked_mfa(&claims(serde_json::json!({
            "acr": "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
        }))));
        for nothing in [
            serde_json::json!({}),
            serde_json::json!({ "amr": ["pwd"] }),
            serde_json::json!({ "amr": ["otp"] }),
            serde_json::json!({ "amr": "mfa" }),
            serde_json::json!({ "acr": "1" }),
        ] {
            assert!(!provider_checked_mfa(&claims(nothing.clone())), "{nothing}");
        }
        let mut who = who(None);
        assert!(!provider_mfa_counts(ProviderMfa::Always, &who));
        assert!(!provider_mfa_counts(ProviderMfa::WhenProven, &who));
        assert!(provider_mfa_counts(ProviderMfa::Never, &who));
        who.mfa = true;
        assert!(!provider_mfa_counts(ProviderMfa::Always, &who));
        assert!(provider_mfa_counts(ProviderMfa::WhenProven, &who));
    }

    #[test]
    fn an_account_passes_when_nothing_is_named_or_its_home_is() {
        assert!(accepted(&[], &who(None)));
        let from = vec!["example.org".to_string()];
        assert!(accepted(&from, &who(Some("example.org"))));
        assert!(!accepted(&from, &who(Some("gmail.com"))));
        // No home (a personal Google account, an unverified address): never from a named place.
        assert!(!accepted(&from, &who(None)));
    }
}
