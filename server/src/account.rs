//! A person's own account: changing the password, signed in. A sensitive change: it needs a
//! fresh second factor (the app, a recovery code, or an emailed code for someone without an
//! app) and the current password, ends every other session and tells the owner by mail.

use std::time::Duration;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::Error;
use crate::form_errors::FieldErrors;
use crate::mail::messages::{notice_mail, Notice};
use crate::model::Problem;
use crate::password::{check_new_password, PasswordOwner};
use crate::policy;
use crate::secret::Token;
use crate::session::{SessionInfo, SessionState};
use crate::store::Budget;
use crate::tessera::Tessera;
use crate::throttle;

/// What the change-password form sends.
#[derive(Debug, Clone, Default)]
pub struct PasswordChange {
    pub current: String,
    pub password: String,
    pub password_again: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The change needs a fresh second factor first.
    #[error("step-up required")]
    StepUpRequired,
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// Too many wrong passwords for this account: try again after this long.
    #[error("too many attempts")]
    Waiting(Duration),
    /// Only a password that expired is replaced this way.
    #[error("the password has not expired")]
    NotExpired,
    /// The organisation requires sign-in with a provider: links stay.
    #[error("provider sign-in required")]
    ProviderRequired,
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Internal(Error),
}

impl From<Error> for AccountError {
    fn from(e: Error) -> Self {
        match e {
            Error::Busy => AccountError::Busy,
            other => AccountError::Internal(other),
        }
    }
}

/// A new password typed twice, checked against its owner's rules: normalised when it and every
/// problem already in `errors` pass, otherwise each problem is in `errors`.
pub(crate) fn new_password_twice(
    (password, again): (&str, &str),
    min_chars: usize,
    owner: &PasswordOwner,
    errors: &mut FieldErrors,
) -> Option<String> {
    let normalized =
        check_new_password(password, min_chars, owner).map_err(|w| errors.push("password", Problem::Weak(w))).ok();
    if normalized.is_some() && password != again {
        errors.push("password_again", Problem::Mismatch);
    }
    normalized.filter(|_| errors.is_empty())
}

impl Tessera {
    /// Changes the signed-in person's password. Wrong current passwords draw on the account's
    /// failure budget like sign-in attempts. Every other session ends and this one gets a new
    /// token (returned), keeping its fresh second factor; any reset link dies.
    pub async fn change_password(
        &self,
        s: &SessionInfo,
        form: &PasswordChange,
        meta: &RequestMeta,
    ) -> Result<Token, AccountError> {
        if s.state != SessionState::Full || !self.has_fresh_step_up(s) {
            return Err(AccountError::StepUpRequired);
        }
        let now = self.clock.now();
        let account_key = self.account_key(&s.email);
        let attempt = match self.store.throttle_take(&account_key, now, throttle::delay_after).await? {
            Budget::Taken(attempt) => attempt,
            Budget::Waiting { until } => return Err(AccountError::Waiting(until.since(now))),
        };
        let creds = self.store.credentials_by_email(&crate::model::canonical_email(&s.email)).await?;
        let stored = creds.as_ref().and_then(|c| c.password_hash.as_deref());
        let verified = match self.hasher.verify(&form.current, stored).await {
            Ok(v) => v,
            Err(e) => {
                self.store.throttle_refund(&account_key, &attempt).await?;
                return Err(e.into());
            }
        };
        let mut errors = FieldErrors::default();
        if !verified.ok {
            self.audit_own(s, Action::PasswordChanged, Outcome::Failure, meta, Some("wrong current password")).await?;
            errors.push("current_password", Problem::NotCurrentPassword);
            return Err(AccountError::Invalid(errors));
        }
        self.store.throttle_refund(&account_key, &attempt).await?;
        let min_chars = policy::min_password_chars(s.org_kind, s.org_mfa_policy, s.role.requires_mfa);
        let owner = PasswordOwner { org_name: &s.org_name, email: &s.email, display_name: &s.display_name };
        let normalized = check_new_password(&form.password, min_chars, &owner)
            .map_err(|w| errors.push("password", Problem::Weak(w)))
            .ok();
        if normalized.is_some() && form.password == form.current {
            errors.push("password", Problem::SameAsCurrent);
        } else if normalized.is_some() && form.password != form.password_again {
            errors.push("password_again", Problem::Mismatch);
        }
        let Some(normalized) = normalized.filter(|_| errors.is_empty()) else {
            return Err(AccountError::Invalid(errors));
        };
        self.store_new_password(s, normalized, "other sessions ended", meta).await
    }

    /// A person whose password expired chooses a new one, straight after signing in (with their
    /// second factor, where they have one): the same rules and effects as a change, without the
    /// current password they just typed. It must differ from the expired one.
    pub async fn replace_expired_password(
        &self,
        s: &SessionInfo,
        form: &PasswordChange,
        meta: &RequestMeta,
    ) -> Result<Token, AccountError> {
        if s.state != SessionState::Full || !s.password_expired(self.clock.now()) {
            return Err(AccountError::NotExpired);
        }
        let mut errors = FieldErrors::default();
        let min_chars = policy::min_password_chars(s.org_kind, s.org_mfa_policy, s.role.requires_mfa);
        let owner = PasswordOwner { org_name: &s.org_name, email: &s.email, display_name: &s.display_name };
        let typed = (form.password.as_str(), form.password_again.as_str());
        let Some(normalized) = new_password_twice(typed, min_chars, &owner, &mut errors) else {
            return Err(AccountError::Invalid(errors));
        };
        let creds = self.store.credentials_by_email(&crate::model::canonical_email(&s.email)).await?;
        let stored = creds.as_ref().and_then(|c| c.password_hash.as_deref());
        if self.hasher.verify(&form.password, stored).await?.ok {
            errors.push("password", Problem::SameAsCurrent);
            return Err(AccountError::Invalid(errors));
        }
        self.store_new_password(s, normalized, "expired password replaced; other sessions ended", meta).await
    }

    /// Stores a new password chosen while signed in: every other session ends, this one goes on
    /// under a new token (returned) with its fresh second factor, any reset link dies, the change
    /// is on record and mailed, and the MFA question comes next.
    async fn store_new_password(
        &self,
        s: &SessionInfo,
        normalized: String,
        detail: &'static str,
        meta: &RequestMeta,
    ) -> Result<Token, AccountError> {
        let hash = self.hasher.hash(normalized).await?;
        let now = self.clock.now();
        let token = Token::generate();
        let mut new = self.new_session(&token, s.user_id, s.org_id, SessionState::Full, meta);
        new.second_factor_at = s.second_factor_at;
        new.via_provider = s.via_provider;
        let event = audit::event(
            now,
            Action::PasswordChanged,
            Outcome::Success,
            Some(s.org_id),
            Some(s.user_id),
            Some(s.user_id),
            meta,
            Some(detail),
        );
        // One transaction: the new password, other sessions and reset links gone, this session's
        // new token, the MFA question after it, and the record; or, signed out meanwhile, none.
        if !self.store.change_password(s.user_id, &hash, &s.token_hash, &new, &event, now).await? {
            return Err(AccountError::StepUpRequired);
        }
        let mail = notice_mail(&self.config, &s.email, &s.display_name, Notice::PasswordChanged, now, meta);
        self.deliver(s.org_id, &mail, s.user_id).await;
        Ok(token)
    }
}

/// An answer to "You have a new password: what about your MFA?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptChoice {
    /// Nothing now (only where MFA is not required of the person).
    NoThanks,
    /// Keep the authenticator app and recovery codes (only for someone who has them).
    Keep,
    /// Set up a new authenticator app: the enrolment wizard comes next.
    NewAuthenticator,
}

impl std::str::FromStr for PromptChoice {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "no-thanks" => Ok(PromptChoice::NoThanks),
            "keep" => Ok(PromptChoice::Keep),
            "new" => Ok(PromptChoice::NewAuthenticator),
            _ => Err(()),
        }
    }
}

/// Which answers the prompt offers this person ("set up new authenticator codes" always).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPrompt {
    pub no_thanks: bool,
    pub keep: bool,
    /// Their sign-ins are proven by emailed codes: "no thanks" keeps those.
    pub by_email: bool,
}

impl Tessera {
    /// The prompt this person is owed after setting a new password, if any. Where MFA is not
    /// offered and they have none, there is nothing to ask: the prompt is dropped.
    pub async fn password_prompt(&self, s: &SessionInfo) -> crate::error::Result<Option<PasswordPrompt>> {
        // Read with the session: a sign-in asks nothing more of the database where (nearly
        // always) no prompt is pending. Answering it is a conditional update, so a stale read
        // cannot answer it twice.
        if s.state != SessionState::Full || !s.password_prompt_pending {
            return Ok(None);
        }
        let requirement = s.mfa_requirement(self.clock.now());
        // Nothing to ask where MFA is not offered and they have none, nor of someone the policy
        // is about to send through enrolment anyway.
        if matches!(requirement, policy::Requirement::NotOffered | policy::Requirement::MustEnrol) {
            self.store.set_password_prompt(s.user_id, false).await?;
            return Ok(None);
        }
        // Someone who proves sign-ins by email has nothing to keep and may stay as they are.
        let required = !matches!(requirement, policy::Requirement::Optional | policy::Requirement::ByEmail);
        let by_email = requirement == policy::Requirement::ByEmail;
        Ok(Some(PasswordPrompt { no_thanks: !required, keep: s.has_mfa, by_email }))
    }

    /// Records the answer, once. `NewAuthenticator` leaves starting the wizard to the caller.
    pub async fn answer_password_prompt(
        &self,
        s: &SessionInfo,
        choice: PromptChoice,
        meta: &RequestMeta,
    ) -> Result<(), crate::factor::CodeError> {
        use crate::factor::CodeError;
        let prompt = self.password_prompt(s).await?.ok_or(CodeError::NotApplicable)?;
        let (offered, detail) = match choice {
            PromptChoice::NoThanks => (prompt.no_thanks, "no thanks"),
            PromptChoice::Keep => (prompt.keep, "kept the authenticator app"),
            PromptChoice::NewAuthenticator => (true, "chose to set up a new authenticator app"),
        };
        if !offered {
            return Err(CodeError::NotAllowed(crate::roles::Refusal::MfaRequired));
        }
        if !self.store.set_password_prompt(s.user_id, false).await? {
            return Err(CodeError::NotApplicable);
        }
        self.audit_own(s, Action::PasswordPromptAnswered, Outcome::Success, meta, Some(detail)).await?;
        Ok(())
    }
}
