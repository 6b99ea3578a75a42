//! Settings -> Team and Roles: listing members, a member's page, resetting a teammate's MFA,
//! inviting, changing roles, disabling, and custom roles. Every use case checks the actor's
//! permissions here, on the server, and only ever reads the actor's own organisation.

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::{Error, Result};
use crate::factor::CodeError;
use crate::form_errors::FieldErrors;
use crate::identity_check::IdentityCheck;
use crate::mail::messages::{invitation_mail, AdminReset};
use crate::model::{parse_name, Email, NewUser, Problem};
use crate::policy::{self, AfterReset, MfaPolicy, OrgRules};
use crate::roles::{self, Party, Permission, Permissions, Refusal, RoleInfo};
use crate::session::SessionInfo;
use crate::store::{AccessHold, Cursor, Member, MemberFilter};
use crate::tessera::Tessera;

/// Members per page of the team list.
pub const TEAM_PAGE_SIZE: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// No such member in the actor's organisation (members of others look exactly alike).
    #[error("not found")]
    NotFound,
    /// The rules say no.
    #[error("{}", .0.message())]
    Refused(Refusal),
    /// A fresh second factor is needed and no code came with the request.
    #[error("step-up required")]
    StepUpRequired,
    /// The code sent for step-up did not work.
    #[error("wrong code")]
    WrongCode,
    /// The actor's code was right but already used: wait for the next one.
    #[error("that code was already used")]
    CodeUsed,
    /// Too many wrong codes: try again after this long.
    #[error("too many attempts")]
    Waiting(std::time::Duration),
    /// Nothing to do, e.g. resetting MFA of someone who has none.
    #[error("nothing to change")]
    NothingToChange,
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Internal(#[from] Error),
}

/// A member's MFA as the team pages show it: the one state every page names alike.
pub use crate::policy::MfaState;

/// A page of the team list.
#[derive(Debug, Clone)]
pub struct TeamPage {
    pub members: Vec<(Member, MfaState)>,
    pub total: i64,
    /// Cursors of the neighbouring pages, when there are any.
    pub next_after: Option<String>,
    pub prev_before: Option<String>,
    /// Whether the viewer may see MFA status (`manage-mfa`).
    pub shows_mfa: bool,
    pub roles: Vec<RoleInfo>,
    /// Invitations nobody has accepted yet, for a viewer who may resend them (0 otherwise).
    pub waiting: usize,
}

/// How far back a member's page lists the applications they signed in to (about as long as the
/// records of those sign-ins are kept: see `OidcStore::purge_grants`).
pub const RECENT_APPLICATIONS: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// A member's page.
#[derive(Debug, Clone)]
pub struct MemberPage {
    pub member: Member,
    pub mfa: MfaState,
    /// The Security settings section: the viewer has `manage-mfa`, and the policy offers MFA or
    /// the member has it anyway (a Hidden policy must never strand someone who still needs a code).
    pub shows_security: bool,
    /// "Reset MFA": shown when the member has MFA and the rules allow the viewer to reset it.
    pub can_reset_mfa: bool,
    /// Why the viewer may not reset this member's MFA, when the section shows and they have it.
    pub reset_refused: Option<Refusal>,
    /// Role change and disable: `manage-members` and the rules allow it.
    pub can_manage: bool,
    /// Why a viewer with `manage-members` may not change this member.
    pub manage_refused: Option<Refusal>,
    /// The roles the viewer may give this member.
    pub grantable_roles: Vec<RoleInfo>,
    /// Whether the viewer's step-up is fresh (no code needed for a sensitive change).
    pub fresh: bool,
    pub viewer_has_mfa: bool,
    /// What a reset of this member's MFA would lead to at their next sign-in.
    pub after_reset: AfterReset,
    /// An earlier reset holds the account for a temporary access code: when its code was issued
    /// and stops working, and whether it was used already.
    pub access_hold: Option<AccessHold>,
    /// "Issue a new access code": the account is held and the rules let the viewer reset it.
    pub can_issue_access_code: bool,
    /// Whether the organisation lets a reset go ahead on a request verified by email only.
    pub email_only_resets: bool,
    /// The organisation's applications the member signed in to in the last
    /// [`RECENT_APPLICATIONS`], each with the latest time, newest first.
    pub applications: Vec<(String, crate::clock::Timestamp)>,
}

/// What an administrator typed to reset a teammate's MFA.
#[derive(Debug, Clone, Default)]
pub struct ResetForm {
    pub reason: String,
    /// How they verified who was asking (an [`IdentityCheck`] id).
    pub verified_by: String,
    /// Their own code, when their last second factor is not fresh.
    pub code: String,
}

/// What an administrator typed to invite someone.
#[derive(Debug, Clone, Default)]
pub struct InviteForm {
    pub email: String,
    pub name: String,
    pub role_id: String,
    pub code: String,
}

/// What came of one invitation: a new member, or a new link for someone invited before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invited {
    New(i64),
    Again(i64),
}

/// What an owner typed to create a custom role.
#[derive(Debug, Clone, Default)]
pub struct RoleForm {
    pub name: String,
    pub permissions: Vec<String>,
    pub requires_mfa: bool,
    pub code: String,
}

impl From<CodeError> for TeamError {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::Internal(e) => TeamError::Internal(e),
            CodeError::StepUpRequired => TeamError::StepUpRequired,
            CodeError::NotAllowed(why) => TeamError::Refused(why),
            CodeError::Invalid | CodeError::Expired | CodeError::NotApplicable => TeamError::WrongCode,
            CodeError::Replayed => TeamError::CodeUsed,
            CodeError::Waiting(d) | CodeError::TooSoon(d) => TeamError::Waiting(d),
        }
    }
}

/// One member's MFA state under their organisation's rules at `now`.
pub(crate) fn member_state(rules: OrgRules, m: &Member, now: crate::clock::Timestamp) -> MfaState {
    MfaState::of(m.has_mfa, rules.requirement(m.role.requires_mfa, m.role.email_codes, m.has_mfa, now))
}

/// What a reset of `m`'s MFA leads to at their next sign-in, under the policy in force now.
fn after_reset(s: &SessionInfo, m: &Member, now: crate::clock::Timestamp) -> AfterReset {
    AfterReset::for_member(s.org_rules(), m.role.requires_mfa, m.role.email_codes, now)
}

fn may_see_team(s: &SessionInfo) -> bool {
    s.can(Permission::ManageMembers) || s.can(Permission::ManageMfa)
}

impl Tessera {
    /// Every member of the organisation, disabled and invited ones included, by address.
    pub(crate) async fn all_members(&self, org_id: i64) -> Result<Vec<Member>> {
        const PAGE: i64 = 500;
        let mut out: Vec<Member> = Vec::new();
        let mut cursor = Cursor::First;
        loop {
            let (page, _) = self.store.members(org_id, &MemberFilter::default(), false, &cursor, PAGE).await?;
            let full = page.len() as i64 == PAGE;
            out.extend(page);
            match out.last() {
                Some(last) if full => cursor = Cursor::After(last.email_canonical.clone()),
                _ => return Ok(out),
            }
        }
    }

    /// Records a refused attempt on someone else (the activity log lists denied attempts).
    pub(crate) async fn audit_refused(
        &self,
        s: &SessionInfo,
        action: Action,
        target: Option<i64>,
        why: &'static str,
        meta: &RequestMeta,
    ) -> Result<()> {
        let e = audit::event(
            self.clock.now(),
            action,
            Outcome::Failure,
            Some(s.org_id),
            Some(s.user_id),
            target,
            meta,
            Some(why),
        );
        self.audit(e).await
    }

    /// Records a change the access table turned away because the actor's role lacks `needed`
    /// (the activity log lists refused attempts). `what` is the path of the form's function.
    pub async fn record_refused_request(
        &self,
        s: &SessionInfo,
        needed: Permission,
        what: &'static str,
        meta: &RequestMeta,
    ) -> Result<()> {
        let mut e = audit::event(
            self.clock.now(),
            Action::AccessRefused,
            Outcome::Failure,
            Some(s.org_id),
            Some(s.user_id),
            None,
            meta,
            None,
        );
        // Both parts are fixed by the code: a path of the access table and a permission id.
        e.detail = Some(format!("refused {what}: the role lacks {}", needed.id()));
        self.audit(e).await
    }

    /// Records something the actor did in their organisation, naming the role it is about.
    pub(crate) async fn audit_done(
        &self,
        s: &SessionInfo,
        action: Action,
        target: Option<i64>,
        detail: Option<&'static str>,
        role: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let e = audit::event(
            self.clock.now(),
            action,
            Outcome::Success,
            Some(s.org_id),
            Some(s.user_id),
            target,
            meta,
            detail,
        );
        self.audit(match role {
            Some(name) => audit::naming_role(e, name),
            None => e,
        })
        .await
    }

    /// The member `user_id` of the actor's organisation, if `rule` lets the actor act on them;
    /// every refusal (including "no such member here") is on record as a failed `action`.
    pub(crate) async fn member_to_act_on(
        &self,
        s: &SessionInfo,
        user_id: i64,
        rule: fn(Party, Party) -> Result<(), roles::Refusal>,
        action: Action,
        meta: &RequestMeta,
    ) -> Result<Member, TeamError> {
        let Some(member) = self.store.member(s.org_id, user_id).await? else {
            self.audit_refused(s, action, None, "refused: not a member of this organisation", meta).await?;
            return Err(TeamError::NotFound);
        };
        let actor = Party { org_id: s.org_id, user_id: s.user_id, role: &s.role };
        let target = Party { org_id: s.org_id, user_id: member.user_id, role: &member.role };
        if let Err(refusal) = rule(actor, target) {
            self.audit_refused(s, action, Some(member.user_id), refusal.message(), meta).await?;
            return Err(TeamError::Refused(refusal));
        }
        Ok(member)
    }

    /// A sensitive change on someone else needs the actor's fresh second factor: either proven
    /// recently, or by the `code` that came with the request.
    pub(crate) async fn ensure_step_up(
        &self,
        s: &SessionInfo,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), TeamError> {
        if self.has_fresh_step_up(s) {
            return Ok(());
        }
        match code.trim() {
            "" => Err(TeamError::StepUpRequired),
            code => self.step_up(s, code, meta).await.map(|_| ()).map_err(TeamError::from),
        }
    }

    /// The team list of the viewer's organisation.
    pub async fn team(&self, s: &SessionInfo, filter: &MemberFilter, cursor: &Cursor) -> Result<TeamPage, TeamError> {
        if !may_see_team(s) {
            return Err(TeamError::Refused(Refusal::MissingPermission));
        }
        let shows_mfa = s.can(Permission::ManageMfa);
        let mut filter = filter.clone();
        if !shows_mfa {
            filter.mfa = None;
        }
        let org_requires = policy::effective(s.org_kind, s.org_mfa_policy) == MfaPolicy::Required;
        let (mut rows, total) = self.store.members(s.org_id, &filter, org_requires, cursor, TEAM_PAGE_SIZE + 1).await?;
        let more = rows.len() as i64 > TEAM_PAGE_SIZE;
        if more {
            match cursor {
                // Fetched backwards: the extra row is the one furthest back.
                Cursor::Before(_) => {
                    rows.remove(0);
                }
                _ => {
                    rows.pop();
                }
            }
        }
        let (next_after, prev_before) = match cursor {
            Cursor::First => (more.then(|| rows.last().map(|m| m.email_canonical.clone())).flatten(), None),
            Cursor::After(_) => (
                more.then(|| rows.last().map(|m| m.email_canonical.clone())).flatten(),
                rows.first().map(|m| m.email_canonical.clone()),
            ),
            Cursor::Before(_) => (
                rows.last().map(|m| m.email_canonical.clone()),
                more.then(|| rows.first().map(|m| m.email_canonical.clone())).flatten(),
            ),
        };
        let now = self.clock.now();
        let members = rows
            .into_iter()
            .map(|m| {
                let state = member_state(s.org_rules(), &m, now);
                (m, state)
            })
            .collect();
        let roles = self.store.roles(s.org_id).await?;
        let waiting = match s.can(Permission::ManageMembers) {
            true => usize::try_from(self.store.pending_count(s.org_id).await?).unwrap_or(0),
            false => 0,
        };
        Ok(TeamPage { members, total, next_after, prev_before, shows_mfa, roles, waiting })
    }

    /// The roles the viewer may give someone they invite: needs `manage-members`, and never a
    /// role with permissions the viewer lacks.
    pub async fn invitable_roles(&self, s: &SessionInfo) -> Result<Vec<RoleInfo>, TeamError> {
        if !s.can(Permission::ManageMembers) {
            return Err(TeamError::Refused(Refusal::MissingPermission));
        }
        let roles = self.store.roles(s.org_id).await?;
        Ok(roles.into_iter().filter(|r| roles::may_grant(&s.role, r).is_ok()).collect())
    }

    /// One member's page, for a viewer of the same organisation allowed to see the team.
    pub async fn team_member(&self, s: &SessionInfo, user_id: i64) -> Result<MemberPage, TeamError> {
        if !may_see_team(s) {
            return Err(TeamError::Refused(Refusal::MissingPermission));
        }
        let member = self.store.member(s.org_id, user_id).await?.ok_or(TeamError::NotFound)?;
        let actor = Party { org_id: s.org_id, user_id: s.user_id, role: &s.role };
        let target = Party { org_id: s.org_id, user_id: member.user_id, role: &member.role };
        let hidden = policy::effective(s.org_kind, s.org_mfa_policy) == MfaPolicy::Hidden;
        let shows_security = s.can(Permission::ManageMfa) && (!hidden || member.has_mfa);
        let reset_rule = roles::may_reset_mfa(actor, target);
        let can_reset_mfa = shows_security && member.has_mfa && reset_rule.is_ok();
        let reset_refused = (shows_security && member.has_mfa).then_some(reset_rule.err()).flatten();
        let manage_rule = roles::may_manage_member(actor, target);
        let can_manage = manage_rule.is_ok();
        let manage_refused = s.can(Permission::ManageMembers).then_some(manage_rule.err()).flatten();
        let grantable_roles = if can_manage {
            self.store.roles(s.org_id).await?.into_iter().filter(|r| roles::may_grant(&s.role, r).is_ok()).collect()
        } else {
            Vec::new()
        };
        let now = self.clock.now();
        let mfa = member_state(s.org_rules(), &member, now);
        let after_reset = after_reset(s, &member, now);
        let access_hold = if member.has_mfa { None } else { self.store.access_hold(member.user_id).await? };
        // A reset's hold takes away the grace period (see `policy::with_hold`).
        let mfa = match mfa {
            MfaState::RequiredBy { .. } if access_hold.is_some() => MfaState::Locked,
            other => other,
        };
        let can_issue_access_code = access_hold.is_some() && s.can(Permission::ManageMfa) && reset_rule.is_ok();
        let since = crate::clock::Timestamp(now.0 - RECENT_APPLICATIONS.as_millis() as i64);
        let applications = self.store.recent_applications(s.org_id, member.user_id, since).await?;
        Ok(MemberPage {
            member,
            mfa,
            shows_security,
            can_reset_mfa,
            reset_refused,
            can_manage,
            manage_refused,
            grantable_roles,
            fresh: self.has_fresh_step_up(s),
            viewer_has_mfa: s.has_mfa,
            after_reset,
            access_hold,
            can_issue_access_code,
            email_only_resets: s.org_email_only_resets,
            applications,
        })
    }

    /// Resets a teammate's MFA: refused unless the actor has `manage-mfa`, is in the same
    /// organisation, is not the target, and holds every permission the target holds (so only an
    /// owner resets an owner). Allowed whatever the policy: under Hidden, people who still have
    /// MFA are still asked for codes and must have a way back. The actor says how they verified
    /// who is asking; an email alone is refused unless the organisation allows it (then the log
    /// flags it). Needs the actor's fresh second factor (`code` when not fresh). In one
    /// transaction the member's authenticator, pending enrolment and recovery codes go, all their
    /// sessions end, the event is recorded and, where MFA stays required of them and email
    /// cannot prove it, the account is held for a temporary access code, kept for the page that
    /// shows it to the actor once. Then the member is told by mail what their next sign-in asks.
    pub async fn reset_member_mfa(
        &self,
        s: &SessionInfo,
        user_id: i64,
        form: &ResetForm,
        meta: &RequestMeta,
    ) -> Result<AfterReset, TeamError> {
        let member = self.member_to_act_on(s, user_id, roles::may_reset_mfa, Action::MfaResetByAdmin, meta).await?;
        if !member.has_mfa {
            return Err(TeamError::NothingToChange);
        }
        let check = match form.verified_by.trim() {
            "" => return Err(TeamError::Invalid(FieldErrors::one("verified_by", Problem::Missing))),
            id => IdentityCheck::from_id(id)
                .ok_or_else(|| TeamError::Invalid(FieldErrors::one("verified_by", Problem::NotInList)))?,
        };
        if !check.is_enough() && !s.org_email_only_resets {
            let why = "refused: the request was verified by email only";
            self.audit_refused(s, Action::MfaResetByAdmin, Some(member.user_id), why, meta).await?;
            return Err(TeamError::Invalid(FieldErrors::one("verified_by", Problem::NotEnoughProof)));
        }
        self.ensure_step_up(s, &form.code, meta).await?;
        let now = self.clock.now();
        let reason = audit::clean_reason(&form.reason);
        let after = after_reset(s, &member, now);
        let hold = after.holds().then(|| self.new_access_code(member.user_id, Some(s.user_id)));
        let mut event = audit::event(
            now,
            Action::MfaResetByAdmin,
            Outcome::Success,
            Some(s.org_id),
            Some(s.user_id),
            Some(member.user_id),
            meta,
            Some(check.reset_detail(hold.is_some())),
        );
        event.reason = reason.clone();
        event.flags = self.flags_to_record(s.org_id, &event).await?;
        let kept = hold.as_ref().map(|(_, kept)| kept);
        if !self.store.reset_member_mfa(s.org_id, member.user_id, member.role.id, kept, &event).await? {
            // Reset by someone else a moment ago, or the member's role changed meanwhile.
            return Err(TeamError::NothingToChange);
        }
        if let Some((code, _)) = &hold {
            self.keep_access_code_to_show(s, member.user_id, code).await?;
        }
        let mail = AdminReset {
            to: &member.email,
            name: &member.display_name,
            actor_name: &s.display_name,
            actor_email: &s.email,
            org_name: &s.org_name,
            at: now,
            reason: reason.as_deref(),
            after,
        }
        .message(&self.config, meta);
        self.deliver(s.org_id, &mail, member.user_id).await;
        crate::telemetry::reset();
        Ok(after)
    }

    /// Invites someone: a new account in the actor's organisation with the chosen role, and an
    /// email with a one-time set-password link (24 hours, single use). A role with any admin
    /// permission needs the actor's fresh second factor. Returns the new member's id.
    pub async fn invite_member(
        &self,
        s: &SessionInfo,
        form: &InviteForm,
        meta: &RequestMeta,
    ) -> Result<i64, TeamError> {
        self.may_invite(s, Action::MemberInvited, meta).await?;
        let mut errors = FieldErrors::default();
        let email = Email::parse(&form.email).map_err(|e| errors.push("email", e)).ok();
        let name = match form.name.trim() {
            "" => email.as_ref().and_then(|e| self.default_name(None, e).ok()),
            n => parse_name(n).map_err(|e| errors.push("name", e)).ok(),
        };
        let role = self.role_to_give(s, &form.role_id, &mut errors).await?;
        let (Some(email), Some(name), Some(role)) = (email, name, role) else {
            return Err(TeamError::Invalid(errors));
        };
        self.may_give(s, &role, meta).await?;
        if role.is_admin() {
            self.ensure_step_up(s, &form.code, meta).await?;
        }
        match self.invite_one(s, &email, &name, &role, meta).await? {
            Invited::New(id) | Invited::Again(id) => Ok(id),
        }
    }

    /// Inviting (and resending every invitation) needs `manage-members`; a refusal is on record
    /// as an attempt at `action`.
    pub(crate) async fn may_invite(
        &self,
        s: &SessionInfo,
        action: Action,
        meta: &RequestMeta,
    ) -> Result<(), TeamError> {
        if s.can(Permission::ManageMembers) {
            return Ok(());
        }
        self.audit_refused(s, action, None, Refusal::MissingPermission.message(), meta).await?;
        Err(TeamError::Refused(Refusal::MissingPermission))
    }

    /// The role of the organisation chosen on an invitation form; a problem with `role` if none.
    pub(crate) async fn role_to_give(
        &self,
        s: &SessionInfo,
        role_id: &str,
        errors: &mut FieldErrors,
    ) -> Result<Option<RoleInfo>, TeamError> {
        let role = match role_id.trim().parse::<i64>() {
            Ok(id) => self.store.role(s.org_id, id).await?,
            Err(_) => None,
        };
        if role.is_none() {
            errors.push("role", Problem::NotInList);
        }
        Ok(role)
    }

    /// Nobody gives a role with more than they hold; a refusal is on record.
    pub(crate) async fn may_give(&self, s: &SessionInfo, role: &RoleInfo, meta: &RequestMeta) -> Result<(), TeamError> {
        if let Err(refusal) = roles::may_grant(&s.role, role) {
            self.audit_refused(s, Action::MemberInvited, None, refusal.message(), meta).await?;
            return Err(TeamError::Refused(refusal));
        }
        Ok(())
    }

    /// One invitation, once the rules for the role have run: a new account and its link, or a
    /// new link for someone invited here before.
    pub(crate) async fn invite_one(
        &self,
        s: &SessionInfo,
        email: &Email,
        name: &str,
        role: &RoleInfo,
        meta: &RequestMeta,
    ) -> Result<Invited, TeamError> {
        let now = self.clock.now();
        let new = NewUser { email: email.clone(), display_name: name.to_string(), password_hash: None };
        let user_id = match self.store.add_member(s.org_id, &new, role.id, now).await {
            Ok(id) => id,
            Err(Error::Conflict(_)) => return self.invite_again(s, email, role, meta).await.map(Invited::Again),
            Err(e) => return Err(e.into()),
        };
        let detail = if role.is_admin() { "invited with an administrative role" } else { "invited" };
        self.audit_done(s, Action::MemberInvited, Some(user_id), Some(detail), Some(&role.name), meta).await?;
        let link = self.set_password_link(user_id, Some(s.user_id)).await?;
        let mail = invitation_mail(&email.display, name, &s.display_name, &s.org_name, &link, now, meta);
        self.deliver(s.org_id, &mail, user_id).await;
        Ok(Invited::New(user_id))
    }

    /// Inviting someone already invited here who has not accepted sends them a new link (with the
    /// role chosen now); anyone else with that address is "taken".
    async fn invite_again(
        &self,
        s: &SessionInfo,
        email: &Email,
        role: &RoleInfo,
        meta: &RequestMeta,
    ) -> Result<i64, TeamError> {
        let taken = || TeamError::Invalid(FieldErrors::one("email", Problem::Taken));
        let Some(account) = self.store.credentials_by_email(&email.canonical).await? else { return Err(taken()) };
        if !self.store.member(s.org_id, account.user_id).await?.is_some_and(|m| m.pending) {
            return Err(taken());
        }
        let member =
            self.member_to_act_on(s, account.user_id, roles::may_manage_member, Action::InvitationResent, meta).await?;
        if member.role.id != role.id {
            if !self.store.set_member_role(s.org_id, member.user_id, member.role.id, role.id).await? {
                // Their role changed since the rules ran: they run again with the next request.
                return Err(TeamError::NothingToChange);
            }
            self.audit_done(s, Action::MemberRoleChanged, Some(member.user_id), None, Some(&role.name), meta).await?;
        }
        self.send_invitation(s, member.user_id, &member.email, &member.display_name, meta).await?;
        Ok(member.user_id)
    }

    /// Gives a member another role. An administrative role needs the actor's fresh second factor.
    pub async fn change_member_role(
        &self,
        s: &SessionInfo,
        user_id: i64,
        role_id: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), TeamError> {
        let member =
            self.member_to_act_on(s, user_id, roles::may_manage_member, Action::MemberRoleChanged, meta).await?;
        let role = match role_id.trim().parse::<i64>() {
            Ok(id) => self.store.role(s.org_id, id).await?,
            Err(_) => None,
        };
        let Some(role) = role else {
            return Err(TeamError::Invalid(FieldErrors::one("role", Problem::NotInList)));
        };
        if let Err(refusal) = roles::may_grant(&s.role, &role) {
            self.audit_refused(s, Action::MemberRoleChanged, Some(member.user_id), refusal.message(), meta).await?;
            return Err(TeamError::Refused(refusal));
        }
        if role.id == member.role.id {
            return Err(TeamError::NothingToChange);
        }
        if role.is_admin() {
            self.ensure_step_up(s, code, meta).await?;
        }
        if !self.store.set_member_role(s.org_id, member.user_id, member.role.id, role.id).await? {
            // Their role changed since the rules ran (or they left): nothing changes.
            return Err(TeamError::NothingToChange);
        }
        let detail = if role.is_admin() { "given an administrative role" } else { "given a role without permissions" };
        self.audit_done(s, Action::MemberRoleChanged, Some(member.user_id), Some(detail), Some(&role.name), meta)
            .await?;
        Ok(())
    }

    /// Corrects a member's email address (the one on record is missing a letter, or was never
    /// theirs): `manage-members`, never for someone holding a permission the actor lacks, and a
    /// fresh second factor. In one transaction the account moves, every session ends and links,
    /// codes and pending changes sent to the old address die, with the event naming the old
    /// address; then both addresses are told who did it. An address another account has is
    /// refused as "taken", as an invitation to it would be.
    pub async fn correct_member_email(
        &self,
        s: &SessionInfo,
        user_id: i64,
        new_email: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), TeamError> {
        let member =
            self.member_to_act_on(s, user_id, roles::may_manage_member, Action::MemberEmailCorrected, meta).await?;
        let email = Email::parse(new_email).map_err(|p| TeamError::Invalid(FieldErrors::one("member_email", p)))?;
        if email.canonical == crate::model::canonical_email(&member.email) {
            return Err(TeamError::Invalid(FieldErrors::one("member_email", Problem::SameAsCurrent)));
        }
        self.ensure_step_up(s, code, meta).await?;
        let now = self.clock.now();
        let event = audit::naming_address(
            audit::event(
                now,
                Action::MemberEmailCorrected,
                Outcome::Success,
                Some(s.org_id),
                Some(s.user_id),
                Some(member.user_id),
                meta,
                Some("was"),
            ),
            &member.email,
        );
        match self.store.correct_member_email(s.org_id, member.user_id, member.role.id, &email, &event, now).await {
            Ok(true) => {}
            // Their role changed since the rules ran (or they left): nothing changes.
            Ok(false) => return Err(TeamError::NothingToChange),
            Err(Error::Conflict(_)) => {
                return Err(TeamError::Invalid(FieldErrors::one("member_email", Problem::Taken)))
            }
            Err(e) => return Err(e.into()),
        }
        for to in [member.email.as_str(), email.display.as_str()] {
            let mail = crate::mail::messages::email_corrected_mail(
                &self.config,
                to,
                &member.display_name,
                &s.org_name,
                (&s.display_name, &s.email),
                &member.email,
                &email.display,
                now,
                meta,
            );
            self.deliver(s.org_id, &mail, member.user_id).await;
        }
        Ok(())
    }

    /// Disables a member (every session ends at once) or enables them again.
    pub async fn set_member_disabled(
        &self,
        s: &SessionInfo,
        user_id: i64,
        disabled: bool,
        meta: &RequestMeta,
    ) -> Result<(), TeamError> {
        let action = if disabled { Action::MemberDisabled } else { Action::MemberEnabled };
        let member = self.member_to_act_on(s, user_id, roles::may_manage_member, action, meta).await?;
        if member.disabled == disabled {
            return Err(TeamError::NothingToChange);
        }
        let now = self.clock.now();
        if !self.store.set_member_disabled(s.org_id, member.user_id, member.role.id, disabled, now).await? {
            // Their role changed since the rules ran (or they left): nothing changes.
            return Err(TeamError::NothingToChange);
        }
        self.audit_done(s, action, Some(member.user_id), None, None, meta).await?;
        Ok(())
    }

    /// The organisation's roles, for those who may manage them.
    pub async fn roles(&self, s: &SessionInfo) -> Result<Vec<RoleInfo>, TeamError> {
        if !s.can(Permission::ManageRoles) {
            return Err(TeamError::Refused(Refusal::MissingPermission));
        }
        Ok(self.store.roles(s.org_id).await?)
    }

    /// Creates a custom role. Needs `manage-roles`, permissions the actor holds, and a fresh
    /// second factor.
    pub async fn create_role(&self, s: &SessionInfo, form: &RoleForm, meta: &RequestMeta) -> Result<i64, TeamError> {
        let mut errors = FieldErrors::default();
        let name = parse_name(&form.name).map_err(|e| errors.push("role_name", e)).ok();
        let permissions: Option<Permissions> =
            form.permissions.iter().map(|id| Permission::from_id(id)).collect::<Option<Permissions>>().or_else(|| {
                errors.push("permissions", Problem::NotInList);
                None
            });
        let (Some(name), Some(permissions)) = (name, permissions) else { return Err(TeamError::Invalid(errors)) };
        if let Err(refusal) = roles::may_define_role(&s.role, permissions) {
            self.audit_refused(s, Action::RoleCreated, None, refusal.message(), meta).await?;
            return Err(TeamError::Refused(refusal));
        }
        self.ensure_step_up(s, &form.code, meta).await?;
        let id = match self.store.create_role(s.org_id, &name, permissions, form.requires_mfa, self.clock.now()).await {
            Ok(id) => id,
            Err(Error::Conflict(_)) => return Err(TeamError::Invalid(FieldErrors::one("role_name", Problem::Taken))),
            Err(e) => return Err(e.into()),
        };
        self.audit_done(
            s,
            Action::RoleCreated,
            None,
            Some(if form.requires_mfa { "custom role, requires MFA" } else { "custom role" }),
            Some(&name),
            meta,
        )
        .await?;
        Ok(id)
    }

    /// Sets whether a role (built-in or custom) requires MFA of its members: the strictest of
    /// this and the organisation's policy applies. Needs `manage-roles` and a fresh second factor.
    pub async fn set_role_requires_mfa(
        &self,
        s: &SessionInfo,
        role_id: i64,
        requires_mfa: bool,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), TeamError> {
        if !s.can(Permission::ManageRoles) {
            self.audit_refused(s, Action::RoleChanged, None, roles::Refusal::MissingPermission.message(), meta).await?;
            return Err(TeamError::Refused(Refusal::MissingPermission));
        }
        let role = self.store.role(s.org_id, role_id).await?.ok_or(TeamError::NotFound)?;
        if role.requires_mfa == requires_mfa {
            return Err(TeamError::NothingToChange);
        }
        self.ensure_step_up(s, code, meta).await?;
        if !self.store.update_role(s.org_id, role.id, None, requires_mfa).await? {
            return Err(TeamError::NotFound);
        }
        self.audit_done(
            s,
            Action::RoleChanged,
            None,
            Some(if requires_mfa { "role now requires MFA" } else { "role no longer requires MFA" }),
            Some(&role.name),
            meta,
        )
        .await?;
        let change = if requires_mfa {
            format!("The role {} now requires MFA.", role.name)
        } else {
            format!("The role {} no longer requires MFA (the organisation's policy still applies).", role.name)
        };
        self.tell_owners(crate::delivery::OwnersNotice::Rules, s.org_id, &s.org_name, &change, Some(s), meta).await?;
        Ok(())
    }
}
