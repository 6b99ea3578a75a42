//! The use cases. The web layer and the CLI call these and nothing below them, so every rule
//! (who may, what is checked, what is recorded) lives here once.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::mail::{FileOutbox, Mailer};
use crate::model::{parse_name, Email, NewUser, OrgKind, Problem, Role};
use crate::password::{check_new_password, PasswordHasher, PasswordOwner, MIN_PASSWORD_CHARS};
use crate::policy::{self, MfaPolicy};
use crate::rate_limit::RateLimiter;
use crate::secret::{SecretKey, Token};
use crate::session::{SessionInfo, SessionState};
use crate::store::{Budget, NewOrganisation, NewSession, Store, TokenPurpose};
use crate::throttle;

/// How long a setup or set-password link stays valid.
pub const LINK_TTL: Duration = Duration::from_secs(24 * 3600);
/// A sign-in in progress, between its steps: the address typed (empty once the password is
/// accepted) and where the person was going.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginStep {
    pub email: String,
    pub next: String,
}

/// How long the first sign-in step is remembered for the second.
pub const LOGIN_STEP_TTL: Duration = Duration::from_secs(15 * 60);
const LOGIN_STEP_CONTEXT: &str = "login-step";

pub struct Tessera {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub(crate) hasher: PasswordHasher,
    pub(crate) key: SecretKey,
    pub(crate) mailer: Arc<dyn Mailer>,
    signin_limiter: RateLimiter,
    pub(crate) reset_limiter: RateLimiter,
}

/// Problems with what a person typed, per field (named as the form names it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, Problem)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<Problem> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, p)| *p)
    }

    pub(crate) fn push(&mut self, field: &'static str, problem: Problem) {
        self.0.push((field, problem));
    }

    pub(crate) fn one(field: &'static str, problem: Problem) -> FieldErrors {
        FieldErrors(vec![(field, problem)])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An operator's input that the rules refuse, worded for the command line.
fn invalid(what: &str, problem: Problem) -> Error {
    Error::Invalid(format!("{what} {problem}"))
}

/// A form that failed, or could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The one-time link is unknown, used or expired.
    #[error("the link is no longer valid")]
    LinkInvalid,
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Internal(Error),
}

impl From<Error> for FormError {
    fn from(e: Error) -> Self {
        match e {
            Error::Busy => FormError::Busy,
            other => FormError::Internal(other),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong password, unknown account, disabled account, or an account that must wait: always
    /// the same answer.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The address's failure budget is spent (known or unknown address alike): try again after
    /// this long.
    #[error("too many attempts")]
    Waiting(Duration),
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Internal(Error),
}

impl From<Error> for SignInError {
    fn from(e: Error) -> Self {
        match e {
            Error::Busy => SignInError::Busy,
            other => SignInError::Internal(other),
        }
    }
}

/// Where a correct password leads.
#[derive(Debug)]
pub enum SignInStep {
    /// Fully signed in.
    Done(Token),
    /// A `password_ok` session that can only answer the MFA challenge.
    MfaRequired(Token),
}

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
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: Arc<Config>,
        hasher: PasswordHasher,
        key: SecretKey,
    ) -> Self {
        let signin_limiter = RateLimiter::new(config.signin_rate);
        let reset_limiter = RateLimiter::new(config.reset_rate);
        // Until told otherwise, mail goes to the outbox in the data directory.
        let from = "Tessera <no-reply@localhost>".parse().expect("static mailbox");
        let mailer: Arc<dyn Mailer> = Arc::new(FileOutbox::new(config.data_dir.join("outbox"), from));
        Tessera { store, clock, config, hasher, key, mailer, signin_limiter, reset_limiter }
    }

    /// Sends mail through `mailer` (SMTP, or another outbox).
    pub fn with_mailer(mut self, mailer: Arc<dyn Mailer>) -> Self {
        self.mailer = mailer;
        self
    }

    pub(crate) async fn audit(&self, e: crate::store::AuditEvent) -> Result<()> {
        self.store.record_audit(&e).await
    }

    // --- first run and operators ---------------------------------------------------------------

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
        Ok(self.open_session(user_id, org_id, SessionState::Full, meta).await?)
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

    /// A new set-password link for `user_id`; every older one stops working. `issued_by` is the
    /// administrator named on the link's page if it expires.
    pub(crate) async fn set_password_link(&self, user_id: i64, issued_by: Option<i64>) -> Result<String> {
        let now = self.clock.now();
        self.store.revoke_tokens(TokenPurpose::SetPassword, Some(user_id), now).await?;
        let token = Token::generate();
        self.store
            .create_token(&token.hash(), TokenPurpose::SetPassword, Some(user_id), issued_by, now, LINK_TTL)
            .await?;
        Ok(self.config.link(&format!("/set-password?token={}", token.expose())))
    }

    /// Sets a password through a one-time link; every older session of the account ends.
    /// Returns the account's address, for the sign-in page that follows.
    pub async fn complete_set_password(
        &self,
        token: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<String, FormError> {
        let token = Token::parse(token).ok_or(FormError::LinkInvalid)?;
        let now = self.clock.now();
        let valid = self.store.peek_token(&token.hash(), TokenPurpose::SetPassword, now).await?;
        let Some(user_id) = valid.and_then(|v| v.user_id) else { return Err(FormError::LinkInvalid) };
        let (org, role) = self.store.primary_membership(user_id).await?.ok_or(FormError::LinkInvalid)?;
        let min_chars = policy::min_password_chars(org.kind, org.mfa_policy, role.requires_mfa);
        let person = self.store.member(org.id, user_id).await?.ok_or(FormError::LinkInvalid)?;
        let owner = PasswordOwner { org_name: &org.name, email: &person.email, display_name: &person.display_name };
        let normalized = check_new_password(password, min_chars, &owner)
            .map_err(|w| FormError::Invalid(FieldErrors::one("password", Problem::Weak(w))))?;
        let hash = self.hasher.hash(normalized).await?;
        let now = self.clock.now();
        match self.store.complete_set_password(&token.hash(), TokenPurpose::SetPassword, &hash, now).await? {
            Some(user_id) => {
                self.audit(audit::event(
                    now,
                    Action::PasswordSet,
                    Outcome::Success,
                    Some(org.id),
                    Some(user_id),
                    Some(user_id),
                    meta,
                    Some("through a one-time link"),
                ))
                .await?;
                Ok(person.email)
            }
            None => Err(FormError::LinkInvalid),
        }
    }

    // --- sign-in -------------------------------------------------------------------------------

    /// `tessera org set-policy`: sets an organisation's MFA policy, with an optional grace period
    /// (in days, for `required`) before enrolment is forced.
    pub async fn set_mfa_policy_by_operator(
        &self,
        org_name: &str,
        policy: MfaPolicy,
        grace_days: Option<u32>,
    ) -> Result<()> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        self.apply_mfa_policy(&org, policy, grace_days, None, &RequestMeta::default()).await
    }

    /// `tessera org password-expiry`: passwords expire after `days` (30 to 365), or never.
    pub async fn set_password_expiry_by_operator(&self, org_name: &str, days: Option<u32>) -> Result<()> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        self.apply_password_expiry(&org, days, None, &RequestMeta::default()).await
    }

    /// Stores "Passwords expire after N days" (checked against [`policy::PASSWORD_MAX_AGE_DAYS`]),
    /// records who changed it and tells the owners. People whose passwords are older must choose
    /// a new one at their next request.
    pub(crate) async fn apply_password_expiry(
        &self,
        org: &crate::model::Organisation,
        days: Option<u32>,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        if days.is_some_and(|d| !policy::PASSWORD_MAX_AGE_DAYS.contains(&d)) {
            return Err(Error::Invalid("passwords may expire after 30 to 365 days".into()));
        }
        if days == org.password_max_age_days {
            return Ok(());
        }
        self.store.set_password_max_age(org.id, days).await?;
        let (detail, change) = match days {
            Some(d) => ("passwords now expire", format!("Passwords now expire after {d} days.")),
            None => ("passwords no longer expire", "Passwords no longer expire.".to_string()),
        };
        self.policy_changed(org, detail, &change, actor, meta).await
    }

    /// `tessera org email-codes`: allows or stops allowing emailed codes as a second factor and,
    /// given role names, for exactly those roles (otherwise the roles chosen before keep them).
    pub async fn set_email_codes_by_operator(
        &self,
        org_name: &str,
        allowed: bool,
        roles: Option<&[String]>,
    ) -> Result<()> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        let ids = match roles {
            None => None,
            Some(names) => {
                let known = self.store.roles(org.id).await?;
                let mut ids = Vec::new();
                for name in names {
                    let role = known.iter().find(|r| r.name.eq_ignore_ascii_case(name.trim()));
                    let role = role.ok_or_else(|| Error::Invalid(format!("{org_name} has no role called {name:?}")))?;
                    ids.push(role.id);
                }
                Some(ids)
            }
        };
        self.apply_email_codes(&org, allowed, ids.as_deref(), None, &RequestMeta::default()).await
    }

    /// Stores "Allow email codes as a second factor" (never for healthcare) and, given `roles`,
    /// which roles may use them; records who changed it and tells the owners. Saving what is
    /// already stored changes and tells nothing.
    pub(crate) async fn apply_email_codes(
        &self,
        org: &crate::model::Organisation,
        allowed: bool,
        roles: Option<&[i64]>,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        if allowed && !policy::email_codes_in_force(org.kind, allowed) {
            return Err(Error::Invalid("Healthcare organisations must use an authenticator app.".into()));
        }
        let known = self.store.roles(org.id).await?;
        let chosen: Vec<&str> = known
            .iter()
            .filter(|r| roles.map_or(r.email_codes, |ids| ids.contains(&r.id)))
            .map(|r| r.name.as_str())
            .collect();
        if allowed && chosen.is_empty() {
            return Err(Error::Invalid("choose at least one role that may use email codes, or turn them off".into()));
        }
        if !self.store.set_email_codes_allowed(org.id, allowed, roles).await? {
            return Ok(());
        }
        let (detail, change) = if allowed {
            let who = chosen.join(", ");
            (
                format!("email codes allowed as a second factor for: {who}"),
                format!("Email codes are now allowed as a second factor for these roles: {who}. Where MFA is required, their people without an authenticator app sign in with a code we email them, and those with an app may choose one; people in other roles need an app. Email is weaker than an app."),
            )
        } else {
            (
                "email codes no longer allowed as a second factor".to_string(),
                "Email codes are no longer allowed as a second factor: where MFA is required, everyone needs an authenticator app.".to_string(),
            )
        };
        self.policy_changed(org, &detail, &change, actor, meta).await
    }

    /// `tessera org email-only-resets`: lets MFA resets go ahead on requests verified by email
    /// only (flagged in the activity log), or refuses them again.
    pub async fn set_email_only_resets_by_operator(&self, org_name: &str, allowed: bool) -> Result<()> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        self.apply_email_only_resets(&org, allowed, None, &RequestMeta::default()).await
    }

    /// Stores whether MFA resets verified by email only may go ahead, records who changed it and
    /// tells the owners. Saving what is already stored changes and tells nothing.
    pub(crate) async fn apply_email_only_resets(
        &self,
        org: &crate::model::Organisation,
        allowed: bool,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        if !self.store.set_email_only_resets(org.id, allowed).await? {
            return Ok(());
        }
        let (detail, change) = if allowed {
            (
                "MFA resets verified by email only allowed",
                "MFA resets may now go ahead when the person asking was verified by email only; each is flagged in the activity log. An email alone does not prove who is asking.",
            )
        } else {
            (
                "MFA resets verified by email only refused",
                "MFA resets are refused again when the person asking was verified by email only.",
            )
        };
        self.policy_changed(org, detail, change, actor, meta).await
    }

    /// Puts a change of the organisation's security policy on record and mails the owners.
    async fn policy_changed(
        &self,
        org: &crate::model::Organisation,
        detail: &str,
        change: &str,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let mut e = audit::event(
            self.clock.now(),
            Action::PolicyChanged,
            Outcome::Success,
            Some(org.id),
            actor.map(|s| s.user_id),
            None,
            meta,
            None,
        );
        // Tessera's own phrase, with at most a number in it (the grace period's days).
        e.detail = Some(detail.to_string());
        self.audit(e).await?;
        self.tell_owners(org.id, &org.name, change, actor, meta).await
    }

    /// Validates and stores a policy change, records who made it and tells the owners.
    pub(crate) async fn apply_mfa_policy(
        &self,
        org: &crate::model::Organisation,
        new_policy: MfaPolicy,
        grace_days: Option<u32>,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        policy::may_set(org.kind, new_policy).map_err(|m| Error::Invalid(m.to_string()))?;
        let now = self.clock.now();
        let days = grace_days.map(|d| d.min(365)).filter(|d| *d > 0);
        let grace_until = match (new_policy, days) {
            (MfaPolicy::Required, Some(days)) => Some(now.plus(Duration::from_secs(u64::from(days) * 86_400))),
            _ => None,
        };
        self.store.set_mfa_policy(org.id, new_policy, grace_until).await?;
        let detail = match (new_policy, days.filter(|_| grace_until.is_some())) {
            (MfaPolicy::Hidden, _) => "policy set to hidden".to_string(),
            (MfaPolicy::Visible, _) => "policy set to visible".to_string(),
            (MfaPolicy::Required, Some(1)) => "policy set to required, with a grace period of 1 day".to_string(),
            (MfaPolicy::Required, Some(d)) => format!("policy set to required, with a grace period of {d} days"),
            (MfaPolicy::Required, None) => "policy set to required".to_string(),
        };
        let change = match (new_policy, days) {
            (MfaPolicy::Hidden, _) => {
                "The MFA policy is now Hidden: MFA is not offered to anyone who does not already use it.".to_string()
            }
            (MfaPolicy::Visible, _) => {
                "The MFA policy is now Visible: everyone may turn MFA on, nobody has to.".to_string()
            }
            (MfaPolicy::Required, Some(d)) => {
                format!("The MFA policy is now Required, with {d} days for everyone to set it up.")
            }
            (MfaPolicy::Required, None) => "The MFA policy is now Required: everyone must use MFA.".to_string(),
        };
        self.policy_changed(org, &detail, &change, actor, meta).await
    }

    /// Mails every owner of the organisation that its MFA rules changed, by whom and from where.
    pub(crate) async fn tell_owners(
        &self,
        org_id: i64,
        org_name: &str,
        change: &str,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let Some(owner_role) = self.store.builtin_role(org_id, Role::Owner).await? else { return Ok(()) };
        let filter = crate::store::MemberFilter { role_id: Some(owner_role.id), ..Default::default() };
        // Owners are few; a page of 1,000 is all of them.
        let (owners, _) = self.store.members(org_id, &filter, false, &crate::store::Cursor::First, 1000).await?;
        let by = match actor {
            Some(s) => format!("{} ({})", s.display_name, s.email),
            None => "An operator, on the command line".to_string(),
        };
        let at = self.clock.now();
        for owner in owners.iter().filter(|o| !o.disabled) {
            let mail = crate::mail::messages::rules_changed_mail(
                &self.config,
                &owner.email,
                &owner.display_name,
                org_name,
                change,
                &by,
                at,
                meta,
            );
            self.deliver(org_id, &mail, owner.user_id).await;
        }
        Ok(())
    }

    /// Per-IP limit on the sign-in endpoints; `Err` holds how long to wait.
    pub fn check_signin_rate(&self, meta: &RequestMeta) -> std::result::Result<(), Duration> {
        self.check_rate(&self.signin_limiter, meta)
    }

    /// Takes one request of `meta`'s address from `limiter` (requests without one, such as the
    /// command line's, are not limited).
    pub(crate) fn check_rate(&self, limiter: &RateLimiter, meta: &RequestMeta) -> std::result::Result<(), Duration> {
        match meta.ip {
            Some(ip) => limiter.check(ip, self.clock.now()),
            None => Ok(()),
        }
    }

    /// Checks email and password. Whatever is wrong (no such account, wrong password, disabled)
    /// the answer and the work done are the same. Once an address's failure budget is spent,
    /// every attempt on it, known or not, answers `Waiting` with the real wait, and the owner of a
    /// real account is told once per episode. An attempt refused for capacity is given back.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<SignInStep, SignInError> {
        let result = self.check_password(email, password, previous, meta).await;
        crate::telemetry::sign_in(&result);
        result
    }

    async fn check_password(
        &self,
        email: &str,
        password: &str,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<SignInStep, SignInError> {
        let now = self.clock.now();
        let canonical = crate::model::canonical_email(email);
        let account_key = self.account_key(email);
        let budget = self.store.throttle_take(&account_key, now, throttle::delay_after).await?;
        let allowed = budget.taken();
        let creds = self.store.credentials_by_email(&canonical).await?;
        let stored_hash = creds.as_ref().and_then(|c| c.password_hash.as_deref());
        // Always hash, even when the answer is already known, so timing tells nothing.
        let verified = match self.hasher.verify(password, stored_hash).await {
            Ok(v) => v,
            Err(e) => {
                // Refused for capacity (503, "try again"): the person did nothing wrong, so the
                // attempt goes back and retrying as told cannot lock them out.
                if let Some(attempt) = &allowed {
                    self.store.throttle_refund(&account_key, attempt).await?;
                }
                return Err(e.into());
            }
        };
        let account = creds.as_ref().map(|c| c.user_id);
        // One membership lookup whether the account exists or not, so timing tells nothing; it
        // lets the organisation's activity log show failed sign-ins to its members' accounts.
        let membership = self.store.primary_membership(account.unwrap_or(0)).await?;
        let org_of_account = membership.as_ref().map(|(o, _)| o.id);
        let disabled = creds.as_ref().is_some_and(|c| c.disabled);
        let user = creds.filter(|c| verified.ok && !c.disabled && allowed.is_some());
        let (Some(user), Some((org, role))) = (user, membership) else {
            let detail = match allowed {
                None => "account is waiting out its failure budget",
                Some(_) if disabled && verified.ok => "account is disabled",
                Some(_) => "wrong email or password",
            };
            let target = org_of_account.and(account);
            let e =
                audit::event(now, Action::SignIn, Outcome::Failure, org_of_account, None, target, meta, Some(detail));
            self.audit(e).await?;
            return Err(match (budget, allowed) {
                (Budget::Waiting { until }, _) => SignInError::Waiting(until.since(now)),
                // This failure spent the free tries: the start of a lock-out episode.
                (_, Some(attempt)) if attempt.failures == throttle::FREE_FAILURES => {
                    if let (Some(user_id), Some(org_id), false) = (account, org_of_account, disabled) {
                        self.tell_of_lock_out(user_id, org_id, attempt.failures, meta);
                    }
                    SignInError::InvalidCredentials
                }
                _ => SignInError::InvalidCredentials,
            });
        };
        let has_mfa = self.store.totp_credential(user.user_id).await?.is_some();
        let held = !has_mfa && self.store.access_hold(user.user_id).await?.is_some();
        // Without an app, where the organisation requires MFA and allows email codes, the second
        // factor is a code mailed now; where an administrator's reset holds the account, it is
        // the temporary access code they hand over.
        let rules = policy::OrgRules::of(&org);
        let requirement = policy::with_hold(rules.requirement(role.requires_mfa, role.email_codes, has_mfa, now), held);
        let by_email = requirement == policy::Requirement::ByEmail;
        let access_code = held && requirement == policy::Requirement::MustEnrol;
        let challenged = has_mfa || by_email || access_code;
        // With MFA the budget is cleared only once the second factor is proven: a right password
        // alone gives back its own attempt but must not refill the guesses left for codes.
        match (challenged, allowed) {
            (false, _) => self.store.throttle_clear(&account_key, now).await?,
            (true, Some(attempt)) => self.store.throttle_refund(&account_key, &attempt).await?,
            (true, None) => {}
        }
        if verified.needs_rehash {
            let fresh = self.hasher.hash(crate::password::normalize(password)).await?;
            self.store.set_password_hash(user.user_id, &fresh, now).await?;
        }
        if let Some(old) = previous.and_then(Token::parse) {
            self.store.delete_session(&old.hash()).await?;
        }
        let (state, detail) = match (has_mfa, by_email, access_code) {
            (true, _, _) => (SessionState::PasswordOk, Some("password accepted; second factor required")),
            (false, true, _) => (SessionState::PasswordOk, Some("password accepted; emailed code required")),
            (false, false, true) => {
                (SessionState::PasswordOk, Some("password accepted; temporary access code required"))
            }
            (false, false, false) => (SessionState::Full, None),
        };
        self.audit(audit::event(
            now,
            Action::SignIn,
            Outcome::Success,
            Some(org.id),
            Some(user.user_id),
            Some(user.user_id),
            meta,
            detail,
        ))
        .await?;
        let token = self.open_session(user.user_id, org.id, state, meta).await?;
        if by_email {
            self.mail_sign_in_code(&token, meta).await?;
        }
        if challenged {
            return Ok(SignInStep::MfaRequired(token));
        }
        self.signed_in(user.user_id).await?;
        Ok(SignInStep::Done(token))
    }

    /// Mails the code a half-finished sign-in proves itself with, for someone without an app. A
    /// code sent moments ago for another sign-in holds the next one back (one a minute): the
    /// challenge page then offers to send one once the wait is over.
    async fn mail_sign_in_code(&self, token: &Token, meta: &RequestMeta) -> Result<()> {
        let Some(s) = self.store.find_session(&token.hash()).await? else { return Ok(()) };
        match self.send_email_code(&s, meta).await {
            Err(crate::mfa::CodeError::Internal(e)) => Err(e),
            Ok(_) | Err(_) => Ok(()),
        }
    }

    /// A sign-in completed (password and, where the account has one, second factor). It proves
    /// the person knows their password, so any reset link they asked for stops working.
    pub(crate) async fn signed_in(&self, user_id: i64) -> Result<()> {
        let now = self.clock.now();
        self.store.record_sign_in(user_id, now).await?;
        self.store.revoke_tokens(TokenPurpose::ResetPassword, Some(user_id), now).await?;
        Ok(())
    }

    /// Mails the owner of an account whose free sign-in tries were just spent. In the background:
    /// the answer must take as long for an unknown address, which gets no mail.
    fn tell_of_lock_out(&self, user_id: i64, org_id: i64, failures: i64, meta: &RequestMeta) {
        let (store, mailer, config) = (self.store.clone(), self.mailer.clone(), self.config.clone());
        let (meta, at) = (meta.clone(), self.clock.now());
        tokio::spawn(async move {
            let member = match store.member(org_id, user_id).await {
                Ok(Some(m)) => m,
                Ok(None) => return,
                Err(e) => return tracing::error!(error = %e, user_id, "lock-out mail not sent"),
            };
            let notice = crate::mail::Notice::SignInPaused { failures };
            let message =
                crate::mail::messages::notice_mail(&config, &member.email, &member.display_name, notice, at, &meta);
            if let Err(e) = crate::mfa::send_message(&*store, &*mailer, org_id, &message).await {
                tracing::error!(error = %e, user_id, "lock-out mail not sent");
            }
        });
    }

    /// What the first sign-in step keeps for the next ones (in a cookie): the typed address and
    /// the page the person was going to, sealed with the instance key so the cookie is
    /// unreadable and unforgeable, and good for [`LOGIN_STEP_TTL`] whatever the browser does.
    pub fn seal_login_step(&self, step: &LoginStep) -> String {
        let expires = self.clock.now().plus(LOGIN_STEP_TTL);
        // Neither part can hold a line break: addresses refuse whitespace, and the web layer
        // only keeps plain paths.
        let plain = format!("{}\n{}\n{}", expires.0, step.email.replace('\n', ""), step.next.replace('\n', ""));
        self.key.seal(LOGIN_STEP_CONTEXT, plain.as_bytes())
    }

    /// What [`Tessera::seal_login_step`] sealed, unless it was tampered with or has expired.
    pub fn open_login_step(&self, sealed: &str) -> Option<LoginStep> {
        let plain = String::from_utf8(self.key.open(LOGIN_STEP_CONTEXT, sealed)?).ok()?;
        let mut parts = plain.splitn(3, '\n');
        let expires: i64 = parts.next()?.parse().ok()?;
        let (email, next) = (parts.next()?.to_string(), parts.next()?.to_string());
        (self.clock.now().0 < expires).then_some(LoginStep { email, next })
    }

    /// The key of an account's failure budget: an HMAC of the canonical email, so typed emails
    /// are not kept readable.
    pub(crate) fn account_key(&self, email: &str) -> String {
        let canonical = crate::model::canonical_email(email);
        self.key.mac("signin-throttle", canonical.as_bytes())
    }

    pub(crate) fn new_session(
        &self,
        token: &Token,
        user_id: i64,
        org_id: i64,
        state: SessionState,
        meta: &RequestMeta,
    ) -> NewSession {
        NewSession {
            token_hash: token.hash(),
            user_id,
            org_id,
            state,
            ip: meta.ip.map(|i| i.to_string()),
            user_agent: meta.user_agent.clone(),
            second_factor_at: None,
        }
    }

    async fn open_session(&self, user_id: i64, org_id: i64, state: SessionState, meta: &RequestMeta) -> Result<Token> {
        let token = Token::generate();
        let s = self.new_session(&token, user_id, org_id, state, meta);
        self.store.create_session(&s, self.clock.now()).await?;
        Ok(token)
    }

    /// Whether Tessera can serve requests: the database answers (for `/readyz`).
    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await
    }

    /// The live session behind a cookie value, if any. Expired sessions are deleted on sight.
    pub async fn session(&self, token: &str) -> Result<Option<SessionInfo>> {
        let Some(token) = Token::parse(token) else { return Ok(None) };
        let hash = token.hash();
        let Some(s) = self.store.find_session(&hash).await? else { return Ok(None) };
        let now = self.clock.now();
        if !self.config.session.is_live_in_state(s.state, s.created_at, s.last_seen_at, now) {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        if self.config.session.should_touch(s.last_seen_at, now) {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(Some(s))
    }

    /// Ends the session on the server; the cookie alone is worthless afterwards.
    pub async fn sign_out(&self, token: &str, meta: &RequestMeta) -> Result<()> {
        let Some(token) = Token::parse(token) else { return Ok(()) };
        let hash = token.hash();
        let session = self.store.find_session(&hash).await?;
        if self.store.delete_session(&hash).await? {
            if let Some(s) = session {
                self.audit_own(&s, Action::SignOut, Outcome::Success, meta, None).await?;
            }
        }
        Ok(())
    }

    /// Deletes sessions past their limits (run periodically).
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = self.clock.now();
        let idle_before = crate::clock::Timestamp(now.0 - self.config.session.idle.as_millis() as i64);
        let created_before = crate::clock::Timestamp(now.0 - self.config.session.absolute.as_millis() as i64);
        self.store.purge_sessions(idle_before, created_before).await
    }
}
