//! An invitation's lifecycle: sent (to one person or a list), resent (a new link, the old one
//! dies; to one person or everyone waiting), revoked (the account, never used, goes), expired (its
//! page says whom to ask), accepted (a password chosen).

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::Result;
use crate::form_errors::FieldErrors;
use crate::invite_list::{self, LineProblems};
use crate::mail::messages::invitation_mail;
use crate::model::ListIssue;
use crate::policy;
use crate::roles::{self, Party, Permission};
use crate::secret::Token;
use crate::send_limit::COOLDOWN;
use crate::session::SessionInfo;
use crate::store::TokenPurpose;
use crate::team::{Invited, TeamError};
use crate::tessera::Tessera;

/// What an administrator sent to invite a list of people, all with one role.
#[derive(Debug, Clone, Default)]
pub struct ListForm {
    /// The list as pasted (see [`invite_list`] for what it may look like).
    pub addresses: String,
    pub role_id: String,
    pub code: String,
}

/// What came of a list: new invitations, new links for people invited before, and people left
/// out because, between the check and their turn, someone else gave their address an account or
/// changed their invitation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListSent {
    pub invited: usize,
    pub resent: usize,
    pub left_out: usize,
}

/// What came of resending every waiting invitation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResentAll {
    pub sent: usize,
    /// Sent less than a minute ago (a second press of the button mails nobody twice).
    pub just_sent: usize,
    /// Invitations with permissions the actor does not hold: theirs to leave to someone who does.
    pub not_yours: usize,
}

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

    /// Invites everyone on a list with one role, under the rules of one invitation: the list is
    /// checked whole first (every line an address, nobody with an account already, nobody invited
    /// before with permissions the actor lacks), so a bad line invites nobody and names itself.
    /// An administrative role needs the actor's fresh second factor once, for the whole list.
    pub async fn invite_list(
        &self,
        s: &SessionInfo,
        form: &ListForm,
        meta: &RequestMeta,
    ) -> Result<ListSent, TeamError> {
        self.may_invite(s, Action::MemberInvited, meta).await?;
        let mut errors = FieldErrors::default();
        let people = invite_list::parse(&form.addresses).map_err(|p| errors.push("addresses", p)).ok();
        let role = self.role_to_give(s, &form.role_id, &mut errors).await?;
        let (Some(people), Some(role)) = (people, role) else { return Err(TeamError::Invalid(errors)) };
        self.may_give(s, &role, meta).await?;
        let actor = Party { org_id: s.org_id, user_id: s.user_id, role: &s.role };
        let mut problems = LineProblems::default();
        for person in &people {
            let Some(account) = self.store.credentials_by_email(&person.email.canonical).await? else { continue };
            match self.store.member(s.org_id, account.user_id).await? {
                Some(m) if m.pending => {
                    let target = Party { org_id: s.org_id, user_id: m.user_id, role: &m.role };
                    if roles::may_manage_member(actor, target).is_err() {
                        problems.add(ListIssue::NotYours, person.line);
                    }
                }
                _ => problems.add(ListIssue::HasAccount, person.line),
            }
        }
        if let Some(problem) = problems.problem() {
            return Err(TeamError::Invalid(FieldErrors::one("addresses", problem)));
        }
        if role.is_admin() {
            self.ensure_step_up(s, &form.code, meta).await?;
        }
        let mut sent = ListSent::default();
        for person in people {
            let name = match person.name {
                Some(name) => name,
                None => self.default_name(None, &person.email)?,
            };
            match self.invite_one(s, &person.email, &name, &role, meta).await {
                Ok(Invited::New(_)) => sent.invited += 1,
                Ok(Invited::Again(_)) => sent.resent += 1,
                Err(TeamError::Invalid(_) | TeamError::Refused(_) | TeamError::NothingToChange) => sent.left_out += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    /// Sends everyone invited and not yet joined a new link (expired or not); the old links stop
    /// working. Nobody is mailed twice within a minute, and invitations the actor could not resend
    /// one by one are left alone.
    pub async fn resend_pending_invitations(
        &self,
        s: &SessionInfo,
        meta: &RequestMeta,
    ) -> Result<ResentAll, TeamError> {
        self.may_invite(s, Action::InvitationResent, meta).await?;
        let waiting = self.store.pending_members(s.org_id).await?;
        if waiting.is_empty() {
            return Err(TeamError::NothingToChange);
        }
        let actor = Party { org_id: s.org_id, user_id: s.user_id, role: &s.role };
        let now = self.clock.now();
        let mut out = ResentAll::default();
        for m in waiting {
            let target = Party { org_id: s.org_id, user_id: m.user_id, role: &m.role };
            if roles::may_manage_member(actor, target).is_err() {
                out.not_yours += 1;
            } else if m.invited_at.is_some_and(|at| at.plus(COOLDOWN) > now) {
                out.just_sent += 1;
            } else {
                self.send_invitation(s, m.user_id, &m.email, &m.display_name, meta).await?;
                out.sent += 1;
            }
        }
        Ok(out)
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
