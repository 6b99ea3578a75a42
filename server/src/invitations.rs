//! An invitation's lifecycle: sent, resent (a new link, the old one dies), revoked (the account,
//! never used, goes), expired (its page says whom to ask), accepted (a password chosen).

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::Result;
use crate::mail::messages::invitation_mail;
use crate::policy;
use crate::roles::{self, Permission};
use crate::secret::Token;
use crate::services::Tessera;
use crate::session::SessionInfo;
use crate::store::TokenPurpose;
use crate::team::TeamError;

/// What a set-password link's page can say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// The link works: for this account, in this organisation, with this minimum length.
    Open { email: String, org_name: String, min_chars: usize },
    /// Never used and out of time: whom to ask for a new one (name, email), when known.
    Expired { org_name: String, ask: Option<(String, String)> },
    /// Unknown, used, or replaced by a newer link.
    Invalid,
}

impl Tessera {
    /// What the set-password page shows for `token`, without using it.
    pub async fn set_password_link_state(&self, token: &str) -> Result<LinkState> {
        let Some(token) = Token::parse(token) else { return Ok(LinkState::Invalid) };
        let Some(link) = self.store.link_record(&token.hash(), TokenPurpose::SetPassword).await? else {
            return Ok(LinkState::Invalid);
        };
        let Some(user_id) = link.user_id.filter(|_| !link.used) else { return Ok(LinkState::Invalid) };
        let Some((org, role)) = self.store.primary_membership(user_id).await? else { return Ok(LinkState::Invalid) };
        if link.expires_at <= self.clock.now() {
            let inviter = match link.issued_by {
                Some(id) => self.store.member(org.id, id).await?.filter(|m| !m.disabled),
                None => None,
            };
            return Ok(LinkState::Expired { org_name: org.name, ask: inviter.map(|m| (m.display_name, m.email)) });
        }
        let Some(person) = self.store.member(org.id, user_id).await? else { return Ok(LinkState::Invalid) };
        Ok(LinkState::Open {
            email: person.email,
            org_name: org.name,
            min_chars: policy::min_password_chars(org.kind, org.mfa_policy, role.requires_mfa),
        })
    }

    /// Sends a pending member a new invitation link; the old one stops working.
    pub async fn resend_invitation(&self, s: &SessionInfo, user_id: i64, meta: &RequestMeta) -> Result<(), TeamError> {
        let member =
            self.member_to_act_on(s, user_id, roles::may_manage_member, Action::InvitationResent, meta).await?;
        if !member.pending {
            return Err(TeamError::NothingToChange);
        }
        self.send_invitation(s, member.user_id, &member.email, &member.display_name, meta).await
    }

    /// Withdraws a pending member's invitation: their link dies and the unused account goes.
    /// Returns the address the invitation was for.
    pub async fn revoke_invitation(
        &self,
        s: &SessionInfo,
        user_id: i64,
        meta: &RequestMeta,
    ) -> Result<String, TeamError> {
        let member =
            self.member_to_act_on(s, user_id, roles::may_manage_member, Action::InvitationRevoked, meta).await?;
        if !member.pending {
            return Err(TeamError::NothingToChange);
        }
        let e = audit::event(
            self.clock.now(),
            Action::InvitationRevoked,
            Outcome::Success,
            Some(s.org_id),
            Some(s.user_id),
            // The account goes, but the log keeps naming it (see `former_accounts`).
            Some(member.user_id),
            meta,
            Some("invitation withdrawn for"),
        );
        if !self.store.revoke_invitation(s.org_id, member.user_id, &audit::naming_address(e, &member.email)).await? {
            // They chose a password in the meantime.
            return Err(TeamError::NothingToChange);
        }
        Ok(member.email)
    }

    /// A new link for a pending member, mailed to them and on record.
    pub(crate) async fn send_invitation(
        &self,
        s: &SessionInfo,
        user_id: i64,
        email: &str,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<(), TeamError> {
        debug_assert!(s.can(Permission::ManageMembers));
        let link = self.set_password_link(user_id, Some(s.user_id)).await?;
        self.audit_done(s, Action::InvitationResent, Some(user_id), None, None, meta).await?;
        let now = self.clock.now();
        let mail = invitation_mail(email, name, &s.display_name, &s.org_name, &link, now, meta);
        self.deliver(s.org_id, &mail, user_id).await;
        Ok(())
    }
}
