//! The first run (the setup link, the first organisation and its owner) and the accounts operators
//! create on the command line.

use std::time::Duration;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::{Error, Result};
use crate::form_errors::{invalid, FieldErrors, FormError};
use crate::model::{parse_name, Email, NewUser, OrgKind, Problem, Role};
use crate::password::{check_new_password, PasswordOwner, MIN_PASSWORD_CHARS};
use crate::policy::{self, MfaPolicy};
use crate::secret::Token;
use crate::session::SessionState;
use crate::store::{NewOrganisation, TokenPurpose};
use crate::tessera::Tessera;

/// How long a setup or set-password link stays valid.
pub const LINK_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
pub struct SetupForm {
    pub org_name: String,
    pub org_kind: String,
    pub display_name: String,
    pub email: String,
    pub password: String,
}

/// An account created by an operator, with the link its owner uses to choose a password.
#[derive(Debug)]
pub struct CreatedAccount {
    pub org_id: i64,
    pub user_id: i64,
    pub set_password_link: Option<String>,
}

impl Tessera {
    /// With no organisation yet, issues a fresh setup link (any older one dies) and returns it.
    pub async fn setup_link_if_empty(&self) -> Result<Option<String>> {
        if self.store.count_organisations().await? > 0 {
            return Ok(None);
        }
        let now = self.clock.now();
        self.store.revoke_tokens(TokenPurpose::Setup, None, now).await?;
        let token = Token::generate();
        self.store.create_token(&token.hash(), TokenPurpose::Setup, None, None, now, LINK_TTL).await?;
        Ok(Some(self.config.link(&format!("/setup?token={}", token.expose()))))
    }

    /// Whether a one-time link may still be used (to show its form or an explanation).
    pub async fn link_is_valid(&self, token: &str, purpose: TokenPurpose) -> Result<bool> {
        let Some(token) = Token::parse(token) else { return Ok(false) };
        let valid = self.store.peek_token(&token.hash(), purpose, self.clock.now()).await?;
        Ok(match (valid, purpose) {
            (Some(_), TokenPurpose::Setup) => self.store.count_organisations().await? == 0,
            (v, _) => v.is_some(),
        })
    }

    /// Creates the first organisation and its owner through the setup link, and signs the owner in.
    pub async fn complete_setup(&self, token: &str, form: &SetupForm, meta: &RequestMeta) -> Result<Token, FormError> {
        let token = Token::parse(token).ok_or(FormError::LinkInvalid)?;
        let mut errors = FieldErrors::default();
        let org_name = parse_name(&form.org_name).map_err(|e| errors.push("org_name", e)).ok();
        let kind = form.org_kind.parse::<OrgKind>().map_err(|_| errors.push("org_kind", Problem::NotInList)).ok();
        let display_name = parse_name(&form.display_name).map_err(|e| errors.push("display_name", e)).ok();
        let email = Email::parse(&form.email).map_err(|e| errors.push("email", e)).ok();
        let min_chars =
            kind.map(|k| policy::min_password_chars(k, MfaPolicy::Visible, false)).unwrap_or(MIN_PASSWORD_CHARS);
        let owner = PasswordOwner { org_name: &form.org_name, email: &form.email, display_name: &form.display_name };
        let password = check_new_password(&form.password, min_chars, &owner)
            .map_err(|w| errors.push("password", Problem::Weak(w)))
            .ok();
        let (Some(org_name), Some(kind), Some(display_name), Some(email), Some(password)) =
            (org_name, kind, display_name, email, password)
        else {
            return Err(FormError::Invalid(errors));
        };
        // Spend no hashing on a dead link.
        if !self.link_is_valid(token.expose(), TokenPurpose::Setup).await? {
            return Err(FormError::LinkInvalid);
        }
        let hash = self.hasher.hash(password).await?;
        let now = self.clock.now();
        let org = NewOrganisation { name: org_name, kind };
        let owner = NewUser { email, display_name, password_hash: Some(hash) };
        let (org_id, user_id) = match self.store.complete_setup(&token.hash(), &org, &owner, now).await {
            Ok(Some(ids)) => ids,
            Ok(None) => return Err(FormError::LinkInvalid),
            Err(Error::Conflict(_)) => return Err(FormError::Invalid(FieldErrors::one("org_name", Problem::Taken))),
            Err(e) => return Err(e.into()),
        };
        self.audit(audit::event(
            now,
            Action::SetupCompleted,
            Outcome::Success,
            Some(org_id),
            Some(user_id),
            Some(user_id),
            meta,
            None,
        ))
        .await?;
        Ok(self.open_session(user_id, org_id, SessionState::Full, false, meta).await?)
    }

    /// `tessera org create`: an organisation and its owner. Without a password the owner gets a
    /// one-time link to choose one.
    pub async fn create_organisation(
        &self,
        name: &str,
        kind: OrgKind,
        owner_email: &str,
        owner_name: Option<&str>,
        password: Option<&str>,
    ) -> Result<CreatedAccount> {
        let name = parse_name(name).map_err(|p| invalid("the organisation name", p))?;
        let email = Email::parse(owner_email).map_err(|p| invalid("the owner's email address", p))?;
        let display_name = self.default_name(owner_name, &email)?;
        let min_chars = policy::min_password_chars(kind, MfaPolicy::Visible, false);
        let password_hash = match password {
            Some(p) => {
                let owner = PasswordOwner { org_name: &name, email: &email.display, display_name: &display_name };
                Some(self.hash_new_password(p, min_chars, &owner).await?)
            }
            None => None,
        };
        let now = self.clock.now();
        let org = NewOrganisation { name, kind };
        let has_password = password_hash.is_some();
        let (org_id, user_id) =
            self.store.create_organisation(&org, &NewUser { email, display_name, password_hash }, now).await?;
        self.operator_created(Action::OrganisationCreated, org_id, user_id, has_password).await
    }

    /// `tessera user add`: a member of an existing organisation.
    pub async fn add_user(
        &self,
        org_name: &str,
        email: &str,
        name: Option<&str>,
        role: Role,
        password: Option<&str>,
    ) -> Result<CreatedAccount> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        let email = Email::parse(email).map_err(|p| invalid("the email address", p))?;
        let display_name = self.default_name(name, &email)?;
        let password_hash = match password {
            Some(p) => {
                let role_requires = self.store.builtin_role(org.id, role).await?.is_some_and(|r| r.requires_mfa);
                let min_chars = policy::min_password_chars(org.kind, org.mfa_policy, role_requires);
                let owner = PasswordOwner { org_name: &org.name, email: &email.display, display_name: &display_name };
                Some(self.hash_new_password(p, min_chars, &owner).await?)
            }
            None => None,
        };
        let has_password = password_hash.is_some();
        let now = self.clock.now();
        let role = self.store.builtin_role(org.id, role).await?.ok_or(Error::NotFound("role"))?;
        let user_id =
            self.store.add_member(org.id, &NewUser { email, display_name, password_hash }, role.id, now).await?;
        self.operator_created(Action::MemberAdded, org.id, user_id, has_password).await
    }

    /// Records an account an operator created and, without a password, issues its link.
    async fn operator_created(
        &self,
        action: Action,
        org_id: i64,
        user_id: i64,
        has_password: bool,
    ) -> Result<CreatedAccount> {
        let e = audit::event(
            self.clock.now(),
            action,
            Outcome::Success,
            Some(org_id),
            None,
            Some(user_id),
            &RequestMeta::default(),
            Some("by an operator"),
        );
        self.audit(e).await?;
        let set_password_link = if has_password { None } else { Some(self.set_password_link(user_id, None).await?) };
        Ok(CreatedAccount { org_id, user_id, set_password_link })
    }

    pub(crate) fn default_name(&self, name: Option<&str>, email: &Email) -> Result<String> {
        match name {
            Some(n) => parse_name(n).map_err(|p| invalid("the name", p)),
            None => Ok(email.display.split('@').next().unwrap_or_default().to_string()),
        }
    }

    async fn hash_new_password(&self, password: &str, min_chars: usize, owner: &PasswordOwner<'_>) -> Result<String> {
        let normalized =
            check_new_password(password, min_chars, owner).map_err(|w| invalid("the password", Problem::Weak(w)))?;
        self.hasher.hash(normalized).await
    }
}
