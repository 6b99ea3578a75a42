//! Choosing a password through a one-time link (an account an operator or an invitation created).

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::Result;
use crate::form_errors::{FieldErrors, FormError};
use crate::model::Problem;
use crate::password::{check_new_password, PasswordOwner};
use crate::policy;
use crate::secret::Token;
use crate::setup::LINK_TTL;
use crate::store::TokenPurpose;
use crate::tessera::Tessera;

impl Tessera {
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
}
