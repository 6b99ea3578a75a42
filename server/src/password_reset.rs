//! "Forgot your password?": a one-time link by mail that lets a person choose a new password. It
//! never gets anyone past MFA: the reset ends every session and does not sign in, so the next
//! sign-in asks for the new password and the second factor as always.
//!
//! Asking for a link always gets the same answer, after the same work, whatever the address:
//! everything that depends on the account (looking it up, the limits, the link, the mail) happens
//! after the answer, in the background.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::{Error, Result};
use crate::form_errors::{FieldErrors, FormError};
use crate::mail::messages::{self, Notice};
use crate::model::{canonical_email, Email, Problem};
use crate::password::PasswordOwner;
use crate::policy::{self, AfterReset};
use crate::secret::Token;
use crate::send_limit::Sent;
use crate::store::TokenPurpose;
use crate::tessera::Tessera;

/// How long a reset link works.
pub const RESET_LINK_TTL: Duration = Duration::from_secs(60 * 60);

/// What the reset page needs to show its form: the shortest password this person may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetLink {
    pub min_chars: usize,
}

/// What the reset form sends.
#[derive(Debug, Clone, Default)]
pub struct ResetForm {
    /// The address the link was sent to, typed again: a forwarded or leaked link alone is not enough.
    pub email: String,
    pub password: String,
    pub password_again: String,
}

impl Tessera {
    /// Per-IP limit on asking for reset links (no mail flood from one machine); `Err` holds how
    /// long to wait. The same for every address, so it says nothing about accounts.
    pub async fn check_reset_rate(&self, meta: &RequestMeta) -> std::result::Result<(), Duration> {
        self.check_rate(&self.reset_limiter, "reset", meta).await
    }

    /// "Send reset link": checks only the shape of the address, then answers. Whether a link is
    /// sent (a known, enabled account with a password, within its limits) is decided afterwards,
    /// in the background, so the answer and its timing are the same for every address.
    pub fn request_password_reset(self: &Arc<Self>, email: &str, meta: &RequestMeta) -> Result<(), FieldErrors> {
        let email = Email::parse(email).map_err(|p| FieldErrors::one("email", p))?;
        let (this, meta) = (self.clone(), meta.clone());
        tokio::spawn(async move {
            if let Err(e) = this.send_reset_link(&email.canonical, &meta).await {
                tracing::error!(error = %e, "password reset link not sent");
            }
        });
        Ok(())
    }

    /// The background half of [`Tessera::request_password_reset`]. Mail goes only to the
    /// address on record, never to what was typed.
    async fn send_reset_link(&self, canonical: &str, meta: &RequestMeta) -> Result<()> {
        let Some(creds) = self.store.credentials_by_email(canonical).await? else { return Ok(()) };
        let Some((org, _)) = self.store.primary_membership(creds.user_id).await? else { return Ok(()) };
        let Some(member) = self.store.member(org.id, creds.user_id).await? else { return Ok(()) };
        let now = self.clock.now();
        let refused = if member.disabled {
            Some("account is disabled; no link sent")
        } else if member.pending {
            // The invitation sets the first password; a reset link must not stand in for it.
            Some("invitation not accepted yet; no link sent")
        } else {
            None
        };
        let token = Token::generate();
        let issued = refused.is_none()
            && self
                .store
                .issue_limited_token(&token.hash(), TokenPurpose::ResetPassword, member.user_id, now, RESET_LINK_TTL)
                .await?
                == Sent::Yes;
        let (outcome, detail) = match (issued, refused) {
            (true, _) => (Outcome::Success, "link mailed"),
            (false, Some(why)) => (Outcome::Failure, why),
            (false, None) => (Outcome::Failure, "too many links asked for; no link sent"),
        };
        let e = audit::event(
            now,
            Action::PasswordResetRequested,
            outcome,
            Some(org.id),
            None,
            Some(member.user_id),
            meta,
            Some(detail),
        );
        self.audit(e).await?;
        if !issued {
            return Ok(());
        }
        let link = self.config.link(&format!("/reset-password?token={}", token.expose()));
        let mail = messages::reset_link_mail(&member.email, &member.display_name, &org.name, &link, now, meta);
        self.deliver(org.id, &mail, member.user_id).await;
        Ok(())
    }

    /// A new reset link for `user_id` (an operator's: no limit); every older one stops working.
    async fn reset_link(&self, user_id: i64) -> Result<String> {
        let now = self.clock.now();
        self.store.revoke_tokens(TokenPurpose::ResetPassword, Some(user_id), now).await?;
        let token = Token::generate();
        self.store
            .create_token(&token.hash(), TokenPurpose::ResetPassword, Some(user_id), None, now, RESET_LINK_TTL)
            .await?;
        Ok(self.config.link(&format!("/reset-password?token={}", token.expose())))
    }

    /// Whether a reset link works, and for what password length, without using it.
    pub async fn reset_link_state(&self, token: &str) -> Result<Option<ResetLink>> {
        Ok(self.reset_target(token).await?.map(|(_, _, min_chars)| ResetLink { min_chars }))
    }

    /// The account a working reset link is for: (organisation, member, minimum length).
    async fn reset_target(
        &self,
        token: &str,
    ) -> Result<Option<(crate::model::Organisation, crate::store::Member, usize)>> {
        let Some(token) = Token::parse(token) else { return Ok(None) };
        let now = self.clock.now();
        let valid = self.store.peek_token(&token.hash(), TokenPurpose::ResetPassword, now).await?;
        let Some(user_id) = valid.and_then(|v| v.user_id) else { return Ok(None) };
        let Some((org, role)) = self.store.primary_membership(user_id).await? else { return Ok(None) };
        let Some(member) = self.store.member(org.id, user_id).await?.filter(|m| !m.disabled) else { return Ok(None) };
        let min_chars = policy::min_password_chars(org.kind, org.mfa_policy, role.requires_mfa);
        Ok(Some((org, member, min_chars)))
    }

    /// "Reset password": the address the link went to, the new password twice. Sets it, ends
    /// every session of the account and tells its owner; does not sign in, and leaves MFA as it
    /// is. Returns the account's address, for the sign-in page that follows.
    pub async fn complete_password_reset(
        &self,
        token: &str,
        form: &ResetForm,
        meta: &RequestMeta,
    ) -> Result<String, FormError> {
        let (org, member, min_chars) = self.reset_target(token).await?.ok_or(FormError::LinkInvalid)?;
        let mut errors = FieldErrors::default();
        if form.email.trim().is_empty() {
            errors.push("email", Problem::Missing);
        } else if canonical_email(&form.email) != member.email_canonical {
            errors.push("email", Problem::NotLinkAddress);
        }
        let owner = PasswordOwner { org_name: &org.name, email: &member.email, display_name: &member.display_name };
        let typed = (form.password.as_str(), form.password_again.as_str());
        let Some(normalized) = crate::account::new_password_twice(typed, min_chars, &owner, &mut errors) else {
            return Err(FormError::Invalid(errors));
        };
        let hash = self.hasher.hash(normalized).await?;
        let now = self.clock.now();
        let token = Token::parse(token).ok_or(FormError::LinkInvalid)?;
        let Some(user_id) =
            self.store.complete_set_password(&token.hash(), TokenPurpose::ResetPassword, &hash, now).await?
        else {
            // Used a moment ago by another request.
            return Err(FormError::LinkInvalid);
        };
        // What about MFA: asked at the next full sign-in.
        self.store.set_password_prompt(user_id, true).await?;
        let e = audit::event(
            now,
            Action::PasswordReset,
            Outcome::Success,
            Some(org.id),
            Some(user_id),
            Some(user_id),
            meta,
            Some("through a reset link; every session ended; MFA unchanged"),
        );
        self.audit(e).await?;
        let notice =
            messages::notice_mail(&self.config, &member.email, &member.display_name, Notice::PasswordReset, now, meta);
        self.deliver(org.id, &notice, user_id).await;
        Ok(member.email)
    }

    /// `tessera user reset-password`: a reset link for the operator to hand over.
    pub async fn reset_link_by_operator(&self, org_name: &str, email: &str) -> Result<String> {
        let (org, member) = self.operator_target(org_name, email).await?;
        if member.pending {
            return Err(Error::Invalid(
                "this account has no password yet: its invitation link (or `tessera user add`) sets one".into(),
            ));
        }
        if member.disabled {
            return Err(Error::Invalid("this account is disabled: an administrator must enable it first".into()));
        }
        let e = audit::event(
            self.clock.now(),
            Action::PasswordResetRequested,
            Outcome::Success,
            Some(org.id),
            None,
            Some(member.user_id),
            &RequestMeta::default(),
            Some("link issued to an operator"),
        );
        self.audit(e).await?;
        self.reset_link(member.user_id).await
    }

    /// `tessera user reset-mfa`: the way back for an owner who lost both their authenticator and
    /// their recovery codes. Recorded with the reason, and the person is told by mail. Where MFA
    /// stays required of them and email cannot prove it, the account is held and the temporary
    /// access code comes back for the operator to hand over.
    pub async fn reset_mfa_by_operator(&self, org_name: &str, email: &str, reason: &str) -> Result<Option<String>> {
        let reason = audit::clean_reason(reason)
            .ok_or_else(|| Error::Invalid("give a reason (--reason), such as the ticket number".into()))?;
        let (org, member) = self.operator_target(org_name, email).await?;
        if !member.has_mfa {
            return Err(Error::Invalid("this account has no MFA to reset".into()));
        }
        let now = self.clock.now();
        let rules = crate::policy::OrgRules::of(&org);
        let after = AfterReset::for_member(rules, member.role.requires_mfa, member.role.email_codes, now);
        let hold = after.holds().then(|| self.new_access_code(member.user_id, None));
        let mut event = audit::event(
            now,
            Action::MfaResetByAdmin,
            Outcome::Success,
            Some(org.id),
            None,
            Some(member.user_id),
            &RequestMeta::default(),
            Some(if hold.is_some() { "by an operator; temporary access code issued" } else { "by an operator" }),
        );
        event.reason = Some(reason.clone());
        event.flags = self.flags_to_record(org.id, &event).await?;
        let kept = hold.as_ref().map(|(_, kept)| kept);
        if !self.store.reset_member_mfa(org.id, member.user_id, member.role.id, kept, &event).await? {
            return Err(Error::Invalid("the account changed meanwhile; run the command again".into()));
        }
        let mail = messages::AdminReset {
            to: &member.email,
            name: &member.display_name,
            actor_name: "an operator",
            actor_email: "on the command line",
            org_name: &org.name,
            at: now,
            reason: Some(&reason),
            after,
        }
        .message(&self.config, &RequestMeta::default());
        self.deliver(org.id, &mail, member.user_id).await;
        crate::telemetry::reset();
        Ok(hold.map(|(code, _)| code.display()))
    }

    /// The member an operator named by organisation and address.
    async fn operator_target(
        &self,
        org_name: &str,
        email: &str,
    ) -> Result<(crate::model::Organisation, crate::store::Member)> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        let creds = self.store.credentials_by_email(&canonical_email(email)).await?;
        let member = match creds {
            Some(c) => self.store.member(org.id, c.user_id).await?,
            None => None,
        };
        Ok((org, member.ok_or(Error::NotFound("member of that organisation"))?))
    }
}
