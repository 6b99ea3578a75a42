//! The pages of Settings -> Team (the list, a member, the Reset MFA confirmation, invitations)
//! and Settings -> Roles & permissions. Their forms post to the server functions in `api::team`
//! and `api::roles`; the use cases decide who may see and do what.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use tessera_server::access_codes::code_live;
use tessera_server::clock::Timestamp;
use tessera_server::identity_check::IdentityCheck;
use tessera_server::roles::Permission;
use tessera_server::session::SessionInfo;
use tessera_server::store::{Cursor, Member, MemberFilter, MfaFilter};
use tessera_server::team::MemberPage;

use super::{render, see_other};
use crate::api::roles::{CreateRole, SetRoleMfa};
use crate::api::team::{
    ChangeMemberRole, CorrectMemberEmail, IssueAccessCode, ResendAllInvitations, ResendInvitation, ResetMemberMfa,
    RevokeInvitation, SetMemberDisabled,
};
use crate::ctx::{AppState, Failed, SignedIn};
use crate::error::AppError;
use crate::pages::roles::{RoleRow, RolesView};
use crate::pages::team::{
    AccessCodeView, HoldView, InviteListView, InviteView, MemberView, ResetView, RoleOffer, TeamRow, TeamView,
};
use crate::pages::Page;

fn utc(t: Option<Timestamp>) -> String {
    t.map(Timestamp::to_display).unwrap_or_else(|| "Never".into())
}

/// "Invited 3 hours ago", for someone who has not accepted yet.
fn invited_ago(m: &Member, now: Timestamp) -> Option<String> {
    m.pending.then(|| m.invited_at.map(|t| format!("Invited {}", t.ago(now))).unwrap_or_else(|| "Invited".into()))
}

/// An invited member's invitation: its badge, and a sentence with its age and expiry.
fn invitation(m: &Member, now: Timestamp) -> Option<(&'static str, String)> {
    let sent = invited_ago(m, now)?;
    Some(match m.invitation_expires_at {
        Some(end) if end <= now => ("Invitation expired", format!("{sent}; the link expired {}.", end.ago(now))),
        Some(end) => ("Invited", format!("{sent}; the link expires {}.", end.from_now(now))),
        None => ("Invited", format!("{sent}.")),
    })
}

// --- the list ------------------------------------------------------------------------------------

fn team_query(q: &HashMap<String, String>) -> Vec<(&'static str, String)> {
    ["q", "role", "mfa"]
        .into_iter()
        .filter_map(|k| q.get(k).filter(|v| !v.trim().is_empty()).map(|v| (k, v.trim().to_string())))
        .collect()
}

fn page_link(base: &[(&'static str, String)], key: &'static str, cursor: &str) -> String {
    let mut pairs = base.to_vec();
    pairs.push((key, cursor.to_string()));
    format!("/settings/team?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
}

/// "3 invitations", "1 invitation".
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What the Team page says after an invitation, a list, a revocation or resending them all.
/// The links carry counts only: addresses never go into a URL.
fn team_notice(q: &HashMap<String, String>) -> Option<String> {
    let number = |k: &str| q.get(k).and_then(|v| v.parse::<usize>().ok());
    if let Some(invited) = number("invited") {
        let mut said = vec![format!("{} on the way.", count(invited, "invitation is", "invitations are"))];
        if let Some(n @ 1..) = number("resent") {
            said.push(format!(
                "{} invited before got a new link; their old links no longer work.",
                count(n, "person", "people")
            ));
        }
        if let Some(n @ 1..) = number("left_out") {
            said.push(format!(
                "{} left out: meanwhile the address got an account or the invitation was changed by someone else. Check the list below.",
                count(n, "address was", "addresses were")
            ));
        }
        return Some(said.join(" "));
    }
    if let Some(sent) = number("resent_all") {
        let mut said = vec![match sent {
            0 => "Nobody was mailed.".to_string(),
            n => format!(
                "New links went to {}; their old links no longer work.",
                count(n, "invited person", "invited people")
            ),
        }];
        if let Some(n @ 1..) = number("just_sent") {
            said.push(format!(
                "{} got a link less than a minute ago and {} not mailed again.",
                count(n, "person", "people"),
                if n == 1 { "was" } else { "were" }
            ));
        }
        if let Some(n @ 1..) = number("not_yours") {
            said.push(format!(
                "{} permissions you do not hold; someone who holds them can resend {}.",
                count(n, "invitation gives", "invitations give"),
                if n == 1 { "it" } else { "them" }
            ));
        }
        return Some(said.join(" "));
    }
    [
        ("invited", "The invitation is on its way."),
        ("revoked", "The invitation is revoked: its link no longer works, and the account is removed."),
        ("none_waiting", "No invitations are waiting: everyone invited has joined."),
    ]
    .iter()
    .find(|(k, _)| q.contains_key(*k))
    .map(|(_, m)| m.to_string())
}

pub async fn list(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let text = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut view = TeamView {
        search: text("q"),
        role: text("role"),
        mfa: text("mfa"),
        can_invite: s.can(Permission::ManageMembers),
        notice: team_notice(&q),
        ..TeamView::default()
    };
    let mut filter = MemberFilter {
        search: Some(view.search.clone()).filter(|v| !v.is_empty()).map(|v| v.chars().take(100).collect()),
        ..MemberFilter::default()
    };
    let mut bad = None;
    if !view.role.is_empty() {
        match view.role.parse::<i64>() {
            Ok(id) => filter.role_id = Some(id),
            Err(_) => bad = Some("Choose a role from the list."),
        }
    }
    if !view.mfa.is_empty() {
        match MfaFilter::parse(&view.mfa) {
            Some(f) => filter.mfa = Some(f),
            None => bad = Some("Choose an MFA status from the list."),
        }
    }
    let cursor = match (q.get("after"), q.get("before")) {
        (Some(a), _) => Cursor::After(a.to_lowercase()),
        (None, Some(b)) => Cursor::Before(b.to_lowercase()),
        (None, None) => Cursor::First,
    };
    let page = match state.tessera.team(&s, &filter, &cursor).await {
        Ok(p) => p,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    view.shows_mfa = page.shows_mfa;
    view.total = page.total;
    view.waiting = page.waiting;
    view.roles = page.roles.iter().map(|r| (r.id.to_string(), r.name.clone())).collect();
    let base = team_query(&q);
    view.next = page.next_after.as_deref().map(|c| page_link(&base, "after", c));
    view.prev = page.prev_before.as_deref().map(|c| page_link(&base, "before", c));
    let now = state.tessera.clock.now();
    view.rows = page
        .members
        .into_iter()
        .map(|(m, mfa)| TeamRow {
            invitation: invitation(&m, now).map(|(badge, _)| badge),
            last_sign_in: invited_ago(&m, now).unwrap_or_else(|| utc(m.last_sign_in_at)),
            id: m.user_id,
            name: m.display_name,
            email: m.email,
            role: m.role.name,
            mfa: page.shows_mfa.then(|| mfa.label().to_string()),
            disabled: m.disabled,
        })
        .collect();
    view.error =
        bad.map(str::to_string).or_else(|| failed.error_of(ResendAllInvitations::PATH).and_then(|e| e.form_message()));
    let status = if bad.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render::page(&state, Page::Team { team: view }, status).await
}

// --- a member ------------------------------------------------------------------------------------

/// The Reset MFA confirmation for this member, when the viewer may reset their MFA now.
fn reset_view(p: &MemberPage, failed: &Failed) -> Option<ResetView> {
    // Without an authenticator app the viewer confirms by email first, on the step-up page.
    (p.can_reset_mfa && (p.viewer_has_mfa || p.fresh)).then(|| ResetView {
        id: p.member.user_id,
        name: p.member.display_name.clone(),
        email: p.member.email.clone(),
        reason: failed.value("reason"),
        checks: IdentityCheck::ALL.iter().map(|c| (c.id(), c.label())).collect(),
        verified_by: failed.value("verified_by"),
        email_only_allowed: p.email_only_resets,
        after: p.after_reset.for_admin(),
        needs_code: !p.fresh,
        error: failed.error_of(ResetMemberMfa::PATH),
    })
}

/// Where an earlier reset's hold stands, for the member page.
fn hold_view(p: &MemberPage, failed: &Failed, now: Timestamp) -> Option<HoldView> {
    let hold = p.access_hold?;
    let status = match hold.used_at {
        Some(used) => format!(
            "They entered their temporary access code {} but have not set up MFA yet. Their next sign-in needs a new code.",
            used.ago(now)
        ),
        None if code_live(&hold, now) => format!(
            "Their MFA was reset {}. They cannot sign in until they enter the temporary access code, which expires {}.",
            hold.issued_at.ago(now),
            hold.expires_at.from_now(now)
        ),
        None => format!(
            "Their MFA was reset. The temporary access code expired {}: they cannot sign in until you issue a new one.",
            hold.expires_at.ago(now)
        ),
    };
    Some(HoldView {
        status,
        can_issue: p.can_issue_access_code && (p.viewer_has_mfa || p.fresh),
        needs_code: !p.fresh,
        error: failed.error_of(IssueAccessCode::PATH),
    })
}

/// A member of the viewer's organisation, or the page saying why not.
async fn member_page(state: &AppState, s: &SessionInfo, id: &str) -> Result<MemberPage, Response> {
    // Ids that are not numbers name nobody, like ids of other organisations' members.
    let Ok(id) = id.parse::<i64>() else { return Err(render::error_page(state, &AppError::NotFound).await) };
    match state.tessera.team_member(s, id).await {
        Ok(p) => Ok(p),
        Err(e) => Err(render::error_page(state, &e.into()).await),
    }
}

pub async fn member(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Path(id): Path<String>,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = match member_page(&state, &s, &id).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let notices = [
        ("reset", "MFA was reset. They were signed out everywhere and told by email."),
        ("role", "The role is changed."),
        ("email", "The email address is corrected. They were signed out everywhere, and both addresses were told."),
        ("disabled", "The account is disabled and signed out everywhere."),
        ("enabled", "The account is enabled again."),
        ("unchanged", "Nothing needed changing."),
        ("resent", "A new invitation is on its way. The link sent before no longer works."),
        ("accepted", "They have already chosen a password, so there is no invitation to change."),
    ];
    let notice = notices.iter().find(|(k, _)| q.contains_key(*k)).map(|(_, m)| m.to_string());
    let current = p.member.role.id;
    let now = state.tessera.clock.now();
    let member = MemberView {
        invitation: invitation(&p.member, now).map(|(_, text)| text),
        invitation_error: failed.error_of(ResendInvitation::PATH).or_else(|| failed.error_of(RevokeInvitation::PATH)),
        reset: reset_view(&p, &failed),
        hold: hold_view(&p, &failed, now),
        id: p.member.user_id,
        reset_refused: p.reset_refused.map(Into::into),
        manage_refused: p.manage_refused.map(Into::into),
        email_value: match failed.error_of(CorrectMemberEmail::PATH) {
            Some(_) => failed.value("member_email"),
            None => p.member.email.clone(),
        },
        name: p.member.display_name,
        email: p.member.email,
        role: p.member.role.name,
        disabled: p.member.disabled,
        joined: utc(Some(p.member.joined_at)),
        last_sign_in: utc(p.member.last_sign_in_at),
        applications: p.applications.into_iter().map(|(name, at)| (name, utc(Some(at)))).collect(),
        shows_security: p.shows_security,
        mfa_label: p.mfa.label().to_string(),
        has_mfa: p.member.has_mfa,
        confirm_first: !p.fresh && !p.viewer_has_mfa,
        confirm_reset: p.can_reset_mfa && !p.fresh && !p.viewer_has_mfa,
        here: format!("/settings/team/{}", p.member.user_id),
        can_manage: p.can_manage,
        roles: p.grantable_roles.into_iter().map(|r| (r.id.to_string(), r.name, r.id == current)).collect(),
        needs_code: !p.fresh && p.viewer_has_mfa,
        notice,
        role_error: failed.error_of(ChangeMemberRole::PATH),
        email_error: failed.error_of(CorrectMemberEmail::PATH),
        account_error: failed.error_of(SetMemberDisabled::PATH),
    };
    render::page(&state, Page::Member { member: Box::new(member) }, StatusCode::OK).await
}

/// What "Reset MFA" opens without JavaScript.
pub async fn reset_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Path(id): Path<String>,
    failed: Failed,
) -> Response {
    let p = match member_page(&state, &s, &id).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match reset_view(&p, &failed) {
        Some(reset) => render::page(&state, Page::ResetMfa { reset }, StatusCode::OK).await,
        // Nothing to reset, or not allowed: the member page says which.
        None => see_other(&format!("/settings/team/{}", p.member.user_id), &[]),
    }
}

/// A temporary access code, shown once to the administrator whose reset (or new code) made it.
pub async fn access_code_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = match member_page(&state, &s, &id).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let code = match state.tessera.take_access_code_to_show(&s, p.member.user_id).await {
        Ok(code) => code,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let view = AccessCodeView {
        id: p.member.user_id,
        name: p.member.display_name,
        email: p.member.email,
        code,
        minutes: state.tessera.access_code_ttl().as_secs() / 60,
        after_reset: q.contains_key("reset"),
    };
    render::page(&state, Page::AccessCode { view }, StatusCode::OK).await
}

// --- invitations -----------------------------------------------------------------------------------

/// The roles the viewer may give, with the one chosen before a failure (or Member).
async fn role_offer(state: &AppState, s: &SessionInfo, failed: &Failed) -> Result<RoleOffer, AppError> {
    let roles = state.tessera.invitable_roles(s).await?;
    let typed = failed.value("role");
    let role = match typed.is_empty() {
        true => roles.iter().find(|r| !r.is_admin()).map(|r| r.id.to_string()).unwrap_or_default(),
        false => typed,
    };
    let fresh = state.tessera.has_fresh_step_up(s);
    Ok(RoleOffer {
        role,
        roles: roles.iter().map(|r| (r.id.to_string(), r.name.clone(), r.is_admin())).collect(),
        needs_code: !fresh && s.has_mfa,
        confirm_first: !fresh && !s.has_mfa,
    })
}

pub async fn invite_page(State(state): State<AppState>, SignedIn(s): SignedIn, failed: Failed) -> Response {
    let offer = match role_offer(&state, &s, &failed).await {
        Ok(o) => o,
        Err(e) => return render::error_page(&state, &e).await,
    };
    let invite = InviteView { email: failed.value("email"), name: failed.value("name"), offer, error: failed.error() };
    render::page(&state, Page::Invite { invite }, StatusCode::OK).await
}

pub async fn invite_list_page(State(state): State<AppState>, SignedIn(s): SignedIn, failed: Failed) -> Response {
    let offer = match role_offer(&state, &s, &failed).await {
        Ok(o) => o,
        Err(e) => return render::error_page(&state, &e).await,
    };
    let invite = InviteListView { addresses: failed.value("addresses"), offer, error: failed.error() };
    render::page(&state, Page::InviteList { invite }, StatusCode::OK).await
}

// --- roles -----------------------------------------------------------------------------------------

pub async fn roles_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let roles = match state.tessera.roles(&s).await {
        Ok(r) => r,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let notice = if q.contains_key("created") {
        Some("The role is created.".to_string())
    } else {
        q.contains_key("saved").then(|| "The role is saved.".to_string())
    };
    let view = RolesView {
        roles: roles
            .into_iter()
            .map(|r| RoleRow {
                id: r.id,
                builtin: r.builtin.is_some(),
                permissions: r.permissions().iter().map(|p| p.label().to_string()).collect(),
                requires_mfa: r.requires_mfa,
                name: r.name,
            })
            .collect(),
        permissions: Permission::ALL
            .iter()
            .map(|p| (p.id().to_string(), p.label().to_string(), p.description().to_string()))
            .collect(),
        policy_requires: tessera_server::policy::effective(s.org_kind, s.org_mfa_policy)
            == tessera_server::policy::MfaPolicy::Required,
        fresh: state.tessera.has_fresh_step_up(&s),
        needs_code: !state.tessera.has_fresh_step_up(&s) && s.has_mfa,
        name: failed.value("name"),
        checked: failed.listed("permissions"),
        requires_mfa: failed.value("requires_mfa") == "true",
        notice,
        error: failed.error_of(CreateRole::PATH),
        toggle_error: failed.error_of(SetRoleMfa::PATH),
    };
    render::page(&state, Page::Roles { roles: view }, StatusCode::OK).await
}
