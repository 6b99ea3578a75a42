//! Changing one's email address. Asked for while signed in, with a fresh second factor from an
//! authenticator app or a recovery code: an emailed code cannot authorise it, since whoever
//! reads the mailbox could then move the account to an address of their own. The change happens
//! only when the link mailed to the new address is confirmed; the old address is told when it is
//! asked for and when it is done.

use std::time::Duration;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::Error;
use crate::form_errors::FieldErrors;
use crate::mail::messages::{email_change_link_mail, email_change_notice, email_in_use_mail};
use crate::model::{Email, Problem};
use crate::roles::Refusal;
use crate::secret::Token;
use crate::send_limit::Sent;
use crate::session::{SessionInfo, SessionState};
use crate::store::EmailChanged;
use crate::tessera::Tessera;

/// How long the link to the new address works.
pub const EMAIL_CHANGE_TTL: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, thiserror::Error)]
pub enum EmailChangeError {
    /// The change needs a fresh second factor first.
    #[error("step-up required")]
    StepUpRequired,
    #[error("not allowed")]
    Refused(Refusal),
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// A new link may be asked for after this long (one a minute, five an hour).
    #[error("a link can be sent later")]
    TooSoon(Duration),
    /// Unknown, used, replaced or expired.
    #[error("the link is not valid")]
    LinkInvalid,
    /// Another account has the new address by now; nothing changed.
    #[error("the address is taken")]
    Taken,
    #[error(transparent)]
    Internal(#[from] Error),
}

impl Tessera {
    /// Whether this person can change their email address themselves: only with an
    /// authenticator app, whose code (or a recovery code) is the fresh confirmation it needs.
    pub fn may_change_email(&self, s: &SessionInfo) -> bool {
        s.state == SessionState::Full && s.has_mfa
    }

    /// Mails a confirmation link to `new_email` and tells the current address. The answer is the
    /// same whether another account has the new address or not (that account's owner is told
    /// instead, and nothing changes), so it tells nobody which addresses have accounts.
    /// Returns the new address as it will be shown.
    pub async fn request_email_change(
        &self,
        s: &SessionInfo,
        new_email: &str,
        meta: &RequestMeta,
    ) -> Result<String, EmailChangeError> {
        if !self.may_change_email(s) {
            return Err(EmailChangeError::Refused(Refusal::NeedsApp));
        }
        // Someone with an app confirms with it: their fresh second factor is never an emailed code.
        if !self.has_fresh_step_up(s) {
            return Err(EmailChangeError::StepUpRequired);
        }
        let email = Email::parse(new_email).map_err(|p| {
            let mut errors = FieldErrors::default();
            errors.push("new_email", p);
            EmailChangeError::Invalid(errors)
        })?;
        if email.canonical == crate::model::canonical_email(&s.email) {
            let mut errors = FieldErrors::default();
            errors.push("new_email", Problem::SameAsCurrent);
            return Err(EmailChangeError::Invalid(errors));
        }
        let now = self.clock.now();
        let token = Token::generate();
        let sent =
            self.store.request_email_change(s.user_id, &token.hash(), &email.display, now, EMAIL_CHANGE_TTL).await?;
        if let Sent::NotBefore(at) = sent {
            let why = Some("too many changes asked for; no link sent");
            self.audit_own(s, Action::EmailChangeRequested, Outcome::Failure, meta, why).await?;
            return Err(EmailChangeError::TooSoon(at.since(now).max(Duration::from_secs(1))));
        }
        let what = Some("confirmation link sent to the new address");
        self.audit_own(s, Action::EmailChangeRequested, Outcome::Success, meta, what).await?;
        let owner = self.store.credentials_by_email(&email.canonical).await?;
        let other = match &owner {
            Some(c) => self.member_of(c.user_id).await?,
            None => None,
        };
        let (org_id, to_new) = match (owner.is_some(), other) {
            // To the address that account has, as it has it, in its organisation's words.
            (true, Some((org_id, other))) => {
                (org_id, email_in_use_mail(&self.config, &other.email, &other.display_name, now, meta))
            }
            (true, None) => (s.org_id, email_in_use_mail(&self.config, &email.display, &email.display, now, meta)),
            (false, _) => {
                let link = self.config.link(&format!("/account/email/confirm?token={}", token.expose()));
                (s.org_id, email_change_link_mail(&email.display, &s.display_name, &s.org_name, &link, now, meta))
            }
        };
        self.deliver(org_id, &to_new, s.user_id).await;
        let to_old = email_change_notice(&self.config, &s.email, &s.display_name, &email.display, false, now, meta);
        self.deliver(s.org_id, &to_old, s.user_id).await;
        Ok(email.display)
    }

    /// The account as a member of its organisation, and that organisation's id.
    async fn member_of(&self, user_id: i64) -> crate::error::Result<Option<(i64, crate::store::Member)>> {
        let Some((org, _)) = self.store.primary_membership(user_id).await? else { return Ok(None) };
        Ok(self.store.member(org.id, user_id).await?.map(|m| (org.id, m)))
    }

    /// The new address a confirmation link would move its account to, if it still can.
    pub async fn email_change_link(&self, token: &str) -> crate::error::Result<Option<String>> {
        let Some(token) = Token::parse(token) else { return Ok(None) };
        Ok(self.store.pending_email_change(&token.hash(), self.clock.now()).await?.map(|(_, email)| email))
    }

    /// Confirms a change through the link mailed to the new address: the account moves to it,
    /// links and codes mailed to the old address die, and the old address is told. Returns the
    /// new address.
    pub async fn confirm_email_change(&self, token: &str, meta: &RequestMeta) -> Result<String, EmailChangeError> {
        let token = Token::parse(token).ok_or(EmailChangeError::LinkInvalid)?;
        let now = self.clock.now();
        let changed = self.store.confirm_email_change(&token.hash(), now).await?;
        let (user_id, outcome, detail) = match &changed {
            EmailChanged::Invalid => return Err(EmailChangeError::LinkInvalid),
            EmailChanged::Taken { user_id, .. } => {
                (*user_id, Outcome::Failure, "another account has the new address; nothing changed")
            }
            EmailChanged::Changed { user_id, .. } => (*user_id, Outcome::Success, "confirmed through the new address"),
        };
        let member = self.member_of(user_id).await?;
        let org_id = member.as_ref().map(|(org_id, _)| *org_id);
        let e =
            audit::event(now, Action::EmailChanged, outcome, org_id, Some(user_id), Some(user_id), meta, Some(detail));
        self.audit(e).await?;
        match changed {
            EmailChanged::Changed { old_email, new_email, .. } => {
                let name = member.map(|(_, m)| m.display_name).unwrap_or_else(|| new_email.clone());
                let mail = email_change_notice(&self.config, &old_email, &name, &new_email, true, now, meta);
                if let Some(org_id) = org_id {
                    self.deliver(org_id, &mail, user_id).await;
                }
                Ok(new_email)
            }
            _ => Err(EmailChangeError::Taken),
        }
    }
}
