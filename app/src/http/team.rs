//! Handlers of Settings -> Team (list, member page, Reset MFA, invitations, role changes,
//! disabling) and Settings -> Roles & permissions. The use cases decide who may do what; these
//! only read forms, call them, and answer with a redirect or the page again with the problem.

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use axum::Extension;
use http::StatusCode;
use serde::Deserialize;
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Timestamp;
use tessera_server::roles::{Permission, RoleInfo};
use tessera_server::session::SessionInfo;
use tessera_server::store::{Cursor, MemberFilter, MfaFilter};
use tessera_server::team::{InviteForm, MemberPage, RoleForm, TeamError};

use super::legacy::read_form;
use super::mfa::{failed, WRONG_CODE};
use super::render;
use super::see_other;
use super::AppState;
use crate::ctx::CurrentSession;
use crate::layout::Errors;
use crate::pages::roles::{RoleRow, RolesView};
use crate::pages::team::{InviteView, MemberView, ResetView, TeamRow, TeamView};
use crate::pages::Page;

const CODE_NEEDED: &str = "Enter the code from your authenticator app to confirm it is you.";

/// The settings pages this session's role opens, for the home and security pages.
pub(super) fn settings_links(s: &SessionInfo) -> Vec<(String, String)> {
    let mut links = Vec::new();
    let mut add = |ok: bool, href: &str, label: &str| {
        if ok {
            links.push((href.to_string(), label.to_string()));
        }
    };
    add(s.can(Permission::ManageMembers) || s.can(Permission::ManageMfa), "/settings/team", "Team");
    add(s.can(Permission::ManageRoles), "/settings/roles", "Roles & permissions");
    add(s.can(Permission::ManagePolicy), "/settings/security", "Security policy");
    add(s.can(Permission::ViewActivityLog), "/settings/activity", "Activity log");
    links
}

fn utc(t: Option<Timestamp>) -> String {
    t.map(Timestamp::to_display).unwrap_or_else(|| "Never".into())
}

async fn message(state: &AppState, title: &'static str, message: &str, status: StatusCode) -> Response {
    render::page(state, Page::Message { title, message: message.to_string() }, status).await
}

async fn not_found(state: &AppState) -> Response {
    message(state, "Not found", "There is no such member in your organisation.", StatusCode::NOT_FOUND).await
}

/// The answer to an error no form can show better.
async fn refused(state: &AppState, e: TeamError, what: &str) -> Response {
    match e {
        TeamError::NotFound => not_found(state).await,
        TeamError::Refused(why) => message(state, "Not allowed", why.message(), StatusCode::FORBIDDEN).await,
        TeamError::Internal(e) => failed(state, what, e).await,
        other => message(state, "Not allowed", &other.to_string(), StatusCode::BAD_REQUEST).await,
    }
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

pub async fn list(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(s) = current.full() else { return see_other("/login", &[]) };
    let text = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut view = TeamView {
        search: text("q"),
        role: text("role"),
        mfa: text("mfa"),
        can_invite: s.can(Permission::ManageMembers),
        notice: q.contains_key("invited").then(|| "The invitation is on its way.".to_string()),
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
    let page = match state.tessera.team(s, &filter, &cursor).await {
        Ok(p) => p,
        Err(e) => return refused(&state, e, "team list").await,
    };
    view.shows_mfa = page.shows_mfa;
    view.total = page.total;
    view.roles = page.roles.iter().map(|r| (r.id.to_string(), r.name.clone())).collect();
    let base = team_query(&q);
    view.next = page.next_after.as_deref().map(|c| page_link(&base, "after", c));
    view.prev = page.prev_before.as_deref().map(|c| page_link(&base, "before", c));
    view.rows = page
        .members
        .into_iter()
        .map(|(m, mfa)| TeamRow {
            id: m.user_id,
            name: m.display_name,
            email: m.email,
            role: m.role.name,
            mfa: page.shows_mfa.then(|| mfa.label().to_string()),
            last_sign_in: utc(m.last_sign_in_at),
            disabled: m.disabled,
        })
        .collect();
    let status = match bad {
        Some(why) => {
            view.error = Some(why.to_string());
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
    render::page(&state, Page::Team { team: view }, status).await
}

// --- a member ------------------------------------------------------------------------------------

fn member_view(p: MemberPage) -> MemberView {
    let owner_protected = p.member.role.is_owner() && !p.can_reset_mfa;
    let current = p.member.role.id;
    MemberView {
        id: p.member.user_id,
        name: p.member.display_name,
        email: p.member.email,
        role: p.member.role.name,
        disabled: p.member.disabled,
        joined: utc(Some(p.member.joined_at)),
        last_sign_in: utc(p.member.last_sign_in_at),
        shows_security: p.shows_security,
        mfa_label: p.mfa.label().to_string(),
        has_mfa: p.member.has_mfa,
        can_reset: p.can_reset_mfa && p.viewer_has_mfa,
        needs_own_mfa: p.can_reset_mfa && !p.viewer_has_mfa,
        owner_protected,
        can_manage: p.can_manage,
        roles: p.grantable_roles.into_iter().map(|r| (r.id.to_string(), r.name, r.id == current)).collect(),
        needs_code: !p.fresh && p.viewer_has_mfa,
        notice: None,
        error: None,
    }
}

async fn member_page_with(
    state: &AppState,
    s: &SessionInfo,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    match state.tessera.team_member(s, id).await {
        Ok(p) => {
            let member = MemberView { notice, error, ..member_view(p) };
            render::page(state, Page::Member { member }, status).await
        }
        Err(e) => refused(state, e, "member page").await,
    }
}

pub async fn member(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(s) = current.full() else { return see_other("/login", &[]) };
    let notices = [
        ("reset", "MFA was reset. They were signed out everywhere and told by email."),
        ("role", "The role is changed."),
        ("disabled", "The account is disabled and signed out everywhere."),
        ("enabled", "The account is enabled again."),
        ("unchanged", "Nothing needed changing."),
    ];
    let notice = notices.iter().find(|(k, _)| q.contains_key(*k)).map(|(_, m)| m.to_string());
    member_page_with(&state, s, id, notice, None, StatusCode::OK).await
}

// --- Reset MFA -----------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    code: String,
}

async fn reset_view(state: &AppState, s: &SessionInfo, id: i64) -> Result<ResetView, Response> {
    match state.tessera.team_member(s, id).await {
        Ok(p) if p.can_reset_mfa && p.viewer_has_mfa => Ok(ResetView {
            id,
            name: p.member.display_name,
            email: p.member.email,
            reason: String::new(),
            needs_code: !p.fresh,
            error: None,
        }),
        // Nothing to reset, or not allowed: the member page says which.
        Ok(_) => Err(see_other(&format!("/settings/team/{id}"), &[])),
        Err(e) => Err(refused(state, e, "reset page").await),
    }
}

pub async fn reset_page(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Path(id): Path<i64>,
) -> Response {
    let Some(s) = current.full() else { return see_other("/login", &[]) };
    match reset_view(&state, s, id).await {
        Ok(reset) => render::page(&state, Page::ResetMfa { reset }, StatusCode::OK).await,
        Err(res) => res,
    }
}

pub async fn reset_submit(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let (form, meta) = match read_form::<ResetForm>(&state, req, false).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let again = |error: &str, status: StatusCode| {
        let state = state.clone();
        let s = s.clone();
        let reason = form.reason.clone();
        let error = error.to_string();
        async move {
            match reset_view(&state, &s, id).await {
                Ok(view) => {
                    let reset = ResetView { reason, error: Some(error), ..view };
                    render::page(&state, Page::ResetMfa { reset }, status).await
                }
                Err(res) => res,
            }
        }
    };
    match state.tessera.reset_member_mfa(&s, id, &form.reason, &form.code, &meta).await {
        Ok(()) => see_other(&format!("/settings/team/{id}?reset"), &[]),
        Err(TeamError::StepUpRequired) => again(CODE_NEEDED, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(TeamError::WrongCode) => again(WRONG_CODE, StatusCode::UNAUTHORIZED).await,
        Err(TeamError::NothingToChange) => see_other(&format!("/settings/team/{id}?unchanged"), &[]),
        Err(TeamError::Refused(why)) => {
            member_page_with(&state, &s, id, None, Some(why.message().into()), StatusCode::FORBIDDEN).await
        }
        Err(e) => refused(&state, e, "resetting MFA").await,
    }
}

// --- role and disable ----------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct RoleChangeForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    code: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let (form, meta) = match read_form::<RoleChangeForm>(&state, req, false).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let problem = |msg: &str, status| member_page_with(&state, &s, id, None, Some(msg.to_string()), status);
    match state.tessera.change_member_role(&s, id, &form.role, &form.code, &meta).await {
        Ok(()) => see_other(&format!("/settings/team/{id}?role"), &[]),
        Err(TeamError::NothingToChange) => see_other(&format!("/settings/team/{id}?unchanged"), &[]),
        Err(TeamError::StepUpRequired) => problem(CODE_NEEDED, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(TeamError::WrongCode) => problem(WRONG_CODE, StatusCode::UNAUTHORIZED).await,
        Err(TeamError::Invalid(_)) => problem("Choose a role from the list.", StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(TeamError::Refused(why)) => problem(why.message(), StatusCode::FORBIDDEN).await,
        Err(e) => refused(&state, e, "changing a role").await,
    }
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    disabled: String,
}

pub async fn disable(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let (form, meta) = match read_form::<DisableForm>(&state, req, false).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let disabled = match form.disabled.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return message(&state, "Bad request", "Choose disable or enable.", StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    match state.tessera.set_member_disabled(&s, id, disabled, &meta).await {
        Ok(()) => see_other(&format!("/settings/team/{id}?{}", if disabled { "disabled" } else { "enabled" }), &[]),
        Err(TeamError::NothingToChange) => see_other(&format!("/settings/team/{id}?unchanged"), &[]),
        Err(TeamError::Refused(why)) => {
            member_page_with(&state, &s, id, None, Some(why.message().into()), StatusCode::FORBIDDEN).await
        }
        Err(e) => refused(&state, e, "disabling a member").await,
    }
}

// --- invitations -----------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct InviteFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    code: String,
}

async fn invite_view(state: &AppState, s: &SessionInfo, typed: &InviteFields) -> Result<InviteView, Response> {
    if !s.can(Permission::ManageMembers) {
        return Err(
            message(state, "Not allowed", "Your role does not allow adding members.", StatusCode::FORBIDDEN).await
        );
    }
    let roles = match state.tessera.store.roles(s.org_id).await {
        Ok(r) => r,
        Err(e) => return Err(failed(state, "listing roles", e).await),
    };
    let grantable: Vec<&RoleInfo> =
        roles.iter().filter(|r| tessera_server::roles::may_grant(&s.role, r).is_ok()).collect();
    let member_role = grantable.iter().find(|r| !r.is_admin()).map(|r| r.id.to_string()).unwrap_or_default();
    Ok(InviteView {
        email: typed.email.clone(),
        name: typed.name.clone(),
        role: if typed.role.is_empty() { member_role } else { typed.role.clone() },
        roles: grantable.iter().map(|r| (r.id.to_string(), r.name.clone(), r.is_admin())).collect(),
        needs_code: !state.tessera.has_fresh_step_up(s) && s.has_mfa,
        errors: Errors::default(),
        alert: None,
    })
}

pub async fn invite_page(State(state): State<AppState>, Extension(current): Extension<CurrentSession>) -> Response {
    let Some(s) = current.full() else { return see_other("/login", &[]) };
    match invite_view(&state, s, &InviteFields::default()).await {
        Ok(invite) => render::page(&state, Page::Invite { invite }, StatusCode::OK).await,
        Err(res) => res,
    }
}

pub async fn invite_submit(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let (typed, meta) = match read_form::<InviteFields>(&state, req, false).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let form = InviteForm {
        email: typed.email.clone(),
        name: typed.name.clone(),
        role_id: typed.role.clone(),
        code: typed.code.clone(),
    };
    let (errors, alert, status) = match state.tessera.invite_member(&s, &form, &meta).await {
        Ok(_) => return see_other("/settings/team?invited", &[]),
        Err(TeamError::Invalid(e)) => (super::legacy::errors(e), None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(TeamError::StepUpRequired) => (
            Errors(vec![("code".into(), CODE_NEEDED.into())]),
            Some("Inviting someone with an administrative role needs your code.".to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(TeamError::WrongCode) => (Errors(vec![("code".into(), WRONG_CODE.into())]), None, StatusCode::UNAUTHORIZED),
        Err(TeamError::Refused(why)) => (Errors::default(), Some(why.message().to_string()), StatusCode::FORBIDDEN),
        Err(e) => return refused(&state, e, "inviting a member").await,
    };
    match invite_view(&state, &s, &typed).await {
        Ok(view) => {
            // A refused step-up leaves the code field visible even if the viewer's session went stale.
            let needs_code = view.needs_code || errors.get("code").is_some();
            let invite = InviteView { errors, alert, needs_code, ..view };
            render::page(&state, Page::Invite { invite }, status).await
        }
        Err(res) => res,
    }
}

// --- roles -----------------------------------------------------------------------------------------

async fn roles_page_with(state: &AppState, s: &SessionInfo, mut view: RolesView, status: StatusCode) -> Response {
    let roles = match state.tessera.roles(s).await {
        Ok(r) => r,
        Err(e) => return refused(state, e, "roles page").await,
    };
    view.roles = roles
        .into_iter()
        .map(|r| RoleRow {
            id: r.id,
            builtin: r.builtin.is_some(),
            permissions: r.permissions().iter().map(|p| p.label().to_string()).collect(),
            requires_mfa: r.requires_mfa,
            name: r.name,
        })
        .collect();
    view.permissions = Permission::ALL
        .iter()
        .map(|p| (p.id().to_string(), p.label().to_string(), p.description().to_string()))
        .collect();
    view.fresh = state.tessera.has_fresh_step_up(s);
    render::page(state, Page::Roles { roles: view }, status).await
}

pub async fn roles_page(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(s) = current.full() else { return see_other("/login", &[]) };
    let notice = if q.contains_key("created") {
        Some("The role is created.".to_string())
    } else {
        q.contains_key("saved").then(|| "The role is saved.".to_string())
    };
    roles_page_with(&state, s, RolesView { notice, ..RolesView::default() }, StatusCode::OK).await
}

pub async fn create_role(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let meta = super::legacy::meta(req.headers(), req.extensions());
    let Some(fields) = body_pairs(&state, req).await else {
        return message(&state, "Bad request", "The form could not be read.", StatusCode::BAD_REQUEST).await;
    };
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = RoleForm {
        name: get("name"),
        permissions: fields.iter().filter(|(f, _)| f == "permissions").map(|(_, v)| v.clone()).collect(),
        requires_mfa: get("requires_mfa") == "true",
        code: get("code"),
    };
    let typed = RolesView {
        name: form.name.clone(),
        checked: form.permissions.clone(),
        requires_mfa: form.requires_mfa,
        ..RolesView::default()
    };
    match state.tessera.create_role(&s, &form, &meta).await {
        Ok(_) => see_other("/settings/roles?created", &[]),
        Err(TeamError::Invalid(e)) => {
            let errors = super::legacy::errors(e);
            roles_page_with(&state, &s, RolesView { errors, ..typed }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(TeamError::StepUpRequired | TeamError::WrongCode) => {
            let alert = Some("Confirm it is you first (link above), then create the role.".to_string());
            roles_page_with(&state, &s, RolesView { alert, ..typed }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(TeamError::Refused(why)) => {
            roles_page_with(&state, &s, RolesView { alert: Some(why.message().into()), ..typed }, StatusCode::FORBIDDEN)
                .await
        }
        Err(e) => refused(&state, e, "creating a role").await,
    }
}

/// Reads a form as name-value pairs, keeping names that repeat (`permissions=a&permissions=b`).
async fn body_pairs(state: &AppState, req: Request) -> Option<Vec<(String, String)>> {
    let body = axum::body::to_bytes(req.into_body(), state.tessera.config.max_body_bytes).await.ok()?;
    serde_urlencoded::from_bytes(&body).ok()
}

pub async fn role_mfa(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let meta: RequestMeta = super::legacy::meta(req.headers(), req.extensions());
    let Some(fields) = body_pairs(&state, req).await else {
        return message(&state, "Bad request", "The form could not be read.", StatusCode::BAD_REQUEST).await;
    };
    let requires = match fields.iter().find(|(f, _)| f == "requires_mfa").map(|(_, v)| v.as_str()) {
        Some("true") => true,
        Some("false") => false,
        _ => {
            return message(
                &state,
                "Bad request",
                "Choose whether the role requires MFA.",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let code = fields.iter().find(|(f, _)| f == "code").map(|(_, v)| v.clone()).unwrap_or_default();
    match state.tessera.set_role_requires_mfa(&s, id, requires, &code, &meta).await {
        Ok(()) | Err(TeamError::NothingToChange) => see_other("/settings/roles?saved", &[]),
        Err(TeamError::StepUpRequired | TeamError::WrongCode) => {
            see_other("/account/security/verify?next=/settings/roles", &[])
        }
        Err(TeamError::Refused(why)) => {
            roles_page_with(
                &state,
                &s,
                RolesView { alert: Some(why.message().into()), ..RolesView::default() },
                StatusCode::FORBIDDEN,
            )
            .await
        }
        Err(TeamError::NotFound) => message(&state, "Not found", "There is no such role.", StatusCode::NOT_FOUND).await,
        Err(e) => refused(&state, e, "changing a role").await,
    }
}
