//! Where a flow at a provider lands: a sign-in that goes on through the same pipeline as after
//! a right password (the second factor, enrolment, an application's request), a provider linked
//! to the signed-in account, or a refusal that says why without telling whether an account
//! exists.

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::{Error, Result};
use crate::mail::messages::notice_mail;
use crate::mail::Notice;
use crate::sign_in::{Destination, DisabledAccount, FirstFactor, Progress};
use crate::store::{FlowPurpose, SsoIdentity, SsoProvider};
use crate::tessera::Tessera;

use super::flow::{Returned, SsoRefusal, Verified};
use super::methods;

/// How long a provider account that nobody is linked to waits, in the browser that signed in
/// with it, for its person to prove their Tessera account and link it.
pub const PENDING_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);
const PENDING_LINK_CONTEXT: &str = "sso-pending-link";

/// A provider account no Tessera account is linked to yet, as the browser that signed in with it
/// keeps it (sealed): once the person proves their Tessera account (password, then MFA as
/// usual), Account security offers to link it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingLink {
    pub provider_id: i64,
    pub provider: String,
    pub who: Verified,
}

/// What a provider's answer led to.
#[derive(Debug)]
pub enum Landing {
    /// Signed in with the provider; on to the step the sign-in pipeline names.
    SignedIn(Progress),
    /// The right account of a disabled person: the page that says so.
    Disabled(Box<DisabledAccount>),
    /// The provider's account is now linked to the signed-in person's.
    Linked { provider: String },
    /// No Tessera account is linked to the provider's account: the browser keeps it, sealed,
    /// for its person to link once they have proved their Tessera account.
    NotLinked(Box<PendingLink>),
    /// Refused, back where the flow started (`linking`: Account security; else the sign-in
    /// page), saying why; `provider` is the provider's id where the flow was known.
    Refused { provider: Option<i64>, reason: SsoRefusal, linking: bool },
}

impl Tessera {
    /// A provider sent the browser back with `query`; `browser` is the binding cookie of the
    /// flow, `signed_in` the user of the browser's session (a link needs the person who started
    /// it), `previous` the browser's session token (a sign-in ends it).
    pub async fn finish_sso(
        &self,
        query: &str,
        browser: Option<&str>,
        signed_in: Option<i64>,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<Landing> {
        let Returned { flow, provider, who } = match self.return_from_sso(query, browser).await? {
            Ok(returned) => returned,
            Err(reason) => {
                let e = audit::event(self.clock.now(), Action::SignIn, Outcome::Failure, None, None, None, meta, None);
                self.audit(with_detail(e, "at a sign-in provider: unknown, used or expired, or another browser's"))
                    .await?;
                return Ok(Landing::Refused { provider: None, reason, linking: false });
            }
        };
        let linking = matches!(flow.purpose, FlowPurpose::Link { .. });
        let refused = |reason| Landing::Refused { provider: Some(provider.id), reason, linking };
        let who = match who {
            Ok(who) => who,
            Err(reason) => {
                let e =
                    audit::event(self.clock.now(), Action::SignIn, Outcome::Failure, None, signed_in, None, meta, None);
                let why =
                    if reason == SsoRefusal::Denied { "cancelled" } else { "the provider's answer did not verify" };
                self.audit(with_detail(e, &format!("with {}: {why}", provider.name))).await?;
                return Ok(refused(reason));
            }
        };
        match flow.purpose {
            FlowPurpose::Link { user_id } if signed_in == Some(user_id) => {
                self.link_identity(user_id, &provider, who, meta).await
            }
            // Signed out, or someone else signed in, since the link was started.
            FlowPurpose::Link { .. } => Ok(refused(SsoRefusal::Expired)),
            FlowPurpose::SignIn => {
                let destination = Destination::from_next(&flow.destination);
                self.sign_in_with(&provider, who, destination, previous, meta).await
            }
        }
    }

    async fn sign_in_with(
        &self,
        provider: &SsoProvider,
        who: Verified,
        destination: Destination,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<Landing> {
        let now = self.clock.now();
        let refused = |reason| Landing::Refused { provider: Some(provider.id), reason, linking: false };
        let identity = match self.store.sso_identity(provider.id, &who.subject).await? {
            Some(identity) => Some(identity),
            None => match self.link_by_trusted_address(provider, &who, meta).await? {
                Some(identity) => Some(identity),
                None => self.create_by_verified_address(provider, &who, meta).await?,
            },
        };
        let membership = match &identity {
            Some(i) => self.store.primary_membership(i.user_id).await?,
            None => None,
        };
        let (Some(identity), Some((org, role))) = (identity.clone(), membership) else {
            let e = audit::event(now, Action::SignIn, Outcome::Failure, None, None, None, meta, None);
            self.audit(with_detail(e, &format!("with {}: no linked account", provider.name))).await?;
            return Ok(match identity {
                None => Landing::NotLinked(Box::new(PendingLink {
                    provider_id: provider.id,
                    provider: provider.name.clone(),
                    who,
                })),
                Some(_) => refused(SsoRefusal::NotLinked),
            });
        };
        let user_id = identity.user_id;
        let failure = |detail: String| {
            let e = audit::event(now, Action::SignIn, Outcome::Failure, Some(org.id), None, Some(user_id), meta, None);
            with_detail(e, &detail)
        };
        let member = self.store.member(org.id, user_id).await?.ok_or(Error::NotFound("member"))?;
        if member.disabled {
            self.audit(failure(format!("with {}: account is disabled", provider.name))).await?;
            let account = Box::new(DisabledAccount::new(member.email, org.name, user_id, org.id));
            return Ok(Landing::Disabled(self.on_the_way(account, &destination, meta).await?));
        }
        let Some(allowed) = self.org_provider(org.id, provider.id).await? else {
            self.audit(failure(format!("with {}: not allowed by the organisation", provider.name))).await?;
            return Ok(refused(SsoRefusal::NotAllowed));
        };
        if !methods::accepted(&allowed.accounts_from, &who) {
            let from = who.home.as_deref().unwrap_or("nowhere it names");
            self.audit(failure(format!("with {}: an account from {from}, not accepted", provider.name))).await?;
            return Ok(refused(SsoRefusal::NotFromOrganisation));
        }
        let mut owed = self.second_factor_owed(user_id, &org, &role).await?;
        let mut how = provider.name.clone();
        // Where the owners let the provider's own MFA count, it stands in for Tessera's (never
        // for the temporary access code an administrator's MFA reset holds the account for).
        if methods::provider_mfa_counts(allowed.mfa, &who) && (owed.has_mfa || owed.by_email) {
            owed.has_mfa = false;
            owed.by_email = false;
            how.push_str(if who.mfa { ", whose own MFA was accepted" } else { ", trusted without Tessera's MFA" });
        }
        let (first, budget) = (FirstFactor::Provider(&how), crate::store::Settle::Untouched);
        let step = self.first_factor_passed(user_id, org.id, owed, first, budget, previous, meta).await?;
        Ok(Landing::SignedIn(self.progress(step, destination).await?))
    }

    /// A provider account nobody is linked to, whose address the provider verified at a domain
    /// the organisation of the account with that address trusts for it: linked now, mailed and
    /// audited, as if its person had linked it. `None`: nothing to link by (no address, not
    /// verified, no such account, not trusted, not allowed or not accepted there).
    async fn link_by_trusted_address(
        &self,
        provider: &SsoProvider,
        who: &Verified,
        meta: &RequestMeta,
    ) -> Result<Option<SsoIdentity>> {
        let Some(email) = who.email.as_deref().filter(|_| who.email_verified) else { return Ok(None) };
        let canonical = crate::model::canonical_email(email);
        let Some(user) = self.store.credentials_by_email(&canonical).await? else { return Ok(None) };
        if user.disabled {
            return Ok(None);
        }
        let Some((org, _)) = self.store.primary_membership(user.user_id).await? else { return Ok(None) };
        let Some(setting) = self.org_provider(org.id, provider.id).await? else { return Ok(None) };
        if !methods::accepted(&setting.accounts_from, who)
            || methods::trusted_address(&setting.trust_email_from, who).is_none()
        {
            return Ok(None);
        }
        let identity = SsoIdentity {
            provider_id: provider.id,
            user_id: user.user_id,
            subject: who.subject.clone(),
            email: Some(email.to_string()),
            linked_at: self.clock.now(),
        };
        match self.store.link_sso_identity(&identity).await {
            Ok(()) => {}
            // The person has another account of this provider linked already.
            Err(Error::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        let now = self.clock.now();
        let target = Some(user.user_id);
        let e = audit::event(now, Action::SsoLinked, Outcome::Success, Some(org.id), None, target, meta, None);
        let detail = format!("{} ({email}), by its verified address, which the organisation trusts", provider.name);
        self.audit(with_detail(e, &detail)).await?;
        self.tell_linked(org.id, user.user_id, provider, email.to_string(), meta).await?;
        Ok(Some(identity))
    }

    /// Someone without an account whose address the provider verified at a domain from which
    /// exactly one organisation creates members: a new member of it (role Member, no
    /// password), linked to the provider account, audited. `None`: nothing to create (no
    /// verified address, an account with it exists, no organisation or more than one).
    async fn create_by_verified_address(
        &self,
        provider: &SsoProvider,
        who: &Verified,
        meta: &RequestMeta,
    ) -> Result<Option<SsoIdentity>> {
        let Some(email) = who.email.as_deref().filter(|_| who.email_verified) else { return Ok(None) };
        let Ok(address) = crate::model::Email::parse(email) else { return Ok(None) };
        let orgs: Vec<i64> = self
            .store
            .orgs_allowing_sso_provider(provider.id)
            .await?
            .into_iter()
            .filter(|(_, o)| {
                methods::accepted(&o.accounts_from, who) && methods::trusted_address(&o.create_from, who).is_some()
            })
            .map(|(org_id, _)| org_id)
            .collect();
        let [org_id] = orgs[..] else {
            if orgs.len() > 1 {
                tracing::warn!(provider = %provider.name, "several organisations create members from one domain");
            }
            return Ok(None);
        };
        if self.store.credentials_by_email(&address.canonical).await?.is_some() {
            return Ok(None);
        }
        let Some(role) = self.store.builtin_role(org_id, crate::model::Role::Member).await? else { return Ok(None) };
        let display_name = self.default_name(None, &address)?;
        let now = self.clock.now();
        let user = crate::model::NewUser { email: address, display_name, password_hash: None };
        let user_id = match self.store.add_member(org_id, &user, role.id, now).await {
            Ok(id) => id,
            // Created at this moment by another sign-in: that one links it.
            Err(Error::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let identity = SsoIdentity {
            provider_id: provider.id,
            user_id,
            subject: who.subject.clone(),
            email: Some(email.to_string()),
            linked_at: now,
        };
        self.store.link_sso_identity(&identity).await?;
        let detail = format!(
            "by signing in with {} ({email}), a verified address the organisation creates members from",
            provider.name
        );
        let e = audit::event(now, Action::MemberAdded, Outcome::Success, Some(org_id), None, Some(user_id), meta, None);
        self.audit(with_detail(e, &detail)).await?;
        Ok(Some(identity))
    }

    async fn link_identity(
        &self,
        user_id: i64,
        provider: &SsoProvider,
        who: Verified,
        meta: &RequestMeta,
    ) -> Result<Landing> {
        let refused = |reason| Landing::Refused { provider: Some(provider.id), reason, linking: true };
        let org = self.store.primary_membership(user_id).await?.map(|(o, _)| o.id);
        let allowed = match org {
            Some(org_id) => self.org_provider(org_id, provider.id).await?,
            None => None,
        };
        let Some(allowed) = allowed else { return Ok(refused(SsoRefusal::NotAllowed)) };
        // Linked, an account from elsewhere could not sign in anyway.
        if !methods::accepted(&allowed.accounts_from, &who) {
            return Ok(refused(SsoRefusal::NotFromOrganisation));
        }
        if let Some(existing) = self.store.sso_identity(provider.id, &who.subject).await? {
            return Ok(match existing.user_id == user_id {
                true => Landing::Linked { provider: provider.name.clone() },
                false => refused(SsoRefusal::LinkedElsewhere),
            });
        }
        let identity = SsoIdentity {
            provider_id: provider.id,
            user_id,
            subject: who.subject,
            email: who.email.clone(),
            linked_at: self.clock.now(),
        };
        match self.store.link_sso_identity(&identity).await {
            Ok(()) => {}
            Err(Error::Conflict(_)) => return Ok(refused(SsoRefusal::AlreadyLinked)),
            Err(e) => return Err(e),
        }
        let now = self.clock.now();
        let e = audit::event(now, Action::SsoLinked, Outcome::Success, org, Some(user_id), Some(user_id), meta, None);
        let account = who.email.as_ref().map(|a| format!(" ({a})")).unwrap_or_default();
        self.audit(with_detail(e, &format!("{}{account}", provider.name))).await?;
        if let Some(org_id) = org {
            let account = who.email.unwrap_or_else(|| "an account without an email address".into());
            self.tell_linked(org_id, user_id, provider, account, meta).await?;
        }
        Ok(Landing::Linked { provider: provider.name.clone() })
    }

    /// How organisation `org_id` lets its people use provider `provider_id`, if it does.
    async fn org_provider(&self, org_id: i64, provider_id: i64) -> Result<Option<crate::store::OrgProvider>> {
        Ok(self.store.org_sso_providers(org_id).await?.into_iter().find(|o| o.provider_id == provider_id))
    }

    /// Mails a person that `provider`'s `account` now signs in to theirs.
    async fn tell_linked(
        &self,
        org_id: i64,
        user_id: i64,
        provider: &SsoProvider,
        account: String,
        meta: &RequestMeta,
    ) -> Result<()> {
        if let Some(m) = self.store.member(org_id, user_id).await? {
            let notice = Notice::ProviderLinked { provider: provider.name.clone(), account };
            let mail = notice_mail(&self.config, &m.email, &m.display_name, notice, self.clock.now(), meta);
            self.deliver(org_id, &mail, user_id).await;
        }
        Ok(())
    }

    /// What the browser keeps of a provider account nobody is linked to (see [`PendingLink`]),
    /// sealed with the instance key for [`PENDING_LINK_TTL`].
    pub fn seal_pending_link(&self, link: &PendingLink) -> String {
        self.seal_for(PENDING_LINK_CONTEXT, PENDING_LINK_TTL, link)
    }

    /// What [`Tessera::seal_pending_link`] sealed, unless it was tampered with or expired.
    pub fn open_pending_link(&self, sealed: &str) -> Option<PendingLink> {
        self.open_sealed(PENDING_LINK_CONTEXT, sealed)
    }

    /// Account security -> "Link it": links the provider account this browser signed in with
    /// (`sealed`, see [`PendingLink`]) to the signed-in person, after a fresh second factor,
    /// as the link from Account security does (the organisation must allow the provider and
    /// accept the account; the person is mailed).
    pub async fn link_pending(
        &self,
        s: &crate::session::SessionInfo,
        sealed: &str,
        meta: &RequestMeta,
    ) -> std::result::Result<Landing, crate::account::AccountError> {
        let expired = Landing::Refused { provider: None, reason: SsoRefusal::Expired, linking: true };
        let Some(pending) = self.open_pending_link(sealed) else { return Ok(expired) };
        if !self.has_fresh_step_up(s) {
            return Err(crate::account::AccountError::StepUpRequired);
        }
        let Some(provider) = self.sso_provider(pending.provider_id).await? else { return Ok(expired) };
        Ok(self.link_identity(s.user_id, &provider, pending.who, meta).await?)
    }

    /// The providers linked to a person's account: (provider id, provider name, the address it
    /// gave).
    pub async fn linked_providers(&self, user_id: i64) -> Result<Vec<(i64, String, Option<String>)>> {
        let providers = self.store.sso_providers().await?;
        let linked = self.store.sso_identities_of(user_id).await?;
        Ok(linked
            .into_iter()
            .filter_map(|i| {
                let p = providers.iter().find(|p| p.id == i.provider_id)?;
                Some((p.id, p.name.clone(), i.email))
            })
            .collect())
    }

    /// Whether `s`'s provider links must stay: their organisation requires sign-in with a
    /// provider, and they are not an owner.
    pub async fn links_locked(&self, s: &crate::session::SessionInfo) -> Result<bool> {
        Ok(!s.role.is_owner() && self.store.sso_required(s.org_id).await?)
    }

    /// The providers a person may link or sign in with: those their organisation allows.
    pub async fn allowed_providers(&self, org_id: i64) -> Result<Vec<(i64, String)>> {
        let allowed = self.store.org_sso_providers(org_id).await?;
        let providers = self.store.sso_providers().await?;
        Ok(providers
            .into_iter()
            .filter(|p| allowed.iter().any(|o| o.provider_id == p.id))
            .map(|p| (p.id, p.name))
            .collect())
    }

    /// The providers the sign-in page offers: those some organisation allows (which
    /// organisation a person belongs to is known only once the provider has said who they are).
    pub async fn sign_in_providers(&self) -> Result<Vec<(i64, String)>> {
        self.store.offered_sso_providers().await
    }

    /// The name of provider `id`, for a message about it ("the provider" once it is gone).
    pub async fn sso_provider_name(&self, id: Option<i64>) -> Result<String> {
        let providers = self.store.sso_providers().await?;
        Ok(providers.into_iter().find(|p| Some(p.id) == id).map(|p| p.name).unwrap_or_else(|| "the provider".into()))
    }

    /// Account security -> Unlink: the provider's account no longer signs in to this one (a
    /// fresh second factor first). `Ok(false)`: nothing was linked.
    pub async fn unlink_sso_provider(
        &self,
        s: &crate::session::SessionInfo,
        provider_id: i64,
        meta: &RequestMeta,
    ) -> std::result::Result<bool, crate::account::AccountError> {
        // The only way in the organisation leaves them (the owners keep their passwords).
        if !s.role.is_owner() && self.store.sso_required(s.org_id).await? {
            return Err(crate::account::AccountError::ProviderRequired);
        }
        if !self.has_fresh_step_up(s) {
            return Err(crate::account::AccountError::StepUpRequired);
        }
        if !self.store.unlink_sso_identity(s.user_id, provider_id).await? {
            return Ok(false);
        }
        let name = self.sso_provider_name(Some(provider_id)).await?;
        let now = self.clock.now();
        let (actor, org) = (Some(s.user_id), Some(s.org_id));
        let e = audit::event(now, Action::SsoUnlinked, Outcome::Success, org, actor, actor, meta, None);
        self.audit(with_detail(e, &name)).await?;
        let notice = Notice::ProviderUnlinked { provider: name };
        let mail = notice_mail(&self.config, &s.email, &s.display_name, notice, now, meta);
        self.deliver(s.org_id, &mail, s.user_id).await;
        Ok(true)
    }
}

fn with_detail(mut e: crate::store::AuditEvent, detail: &str) -> crate::store::AuditEvent {
    e.detail = Some(detail.to_string());
    e
}
