//! Handlers of the MFA pages: the sign-in challenge, account security, enrolment, step-up,
//! recovery codes, reset and disable.

use std::collections::HashMap;

use axum::extract::{Query, Request, State};
use axum::response::Response;
use axum::Extension;
use http::StatusCode;
use serde::Deserialize;
use tessera_server::mfa::CodeError;
use tessera_server::policy::Requirement;
use tessera_server::session::SessionInfo;

use super::legacy::read_form;
use super::render;
use super::see_other;
use super::AppState;
use crate::ctx::CurrentSession;
use crate::layout::Viewer;
use crate::pages::mfa::{EnrolView, MfaView};
use crate::pages::Page;

pub(super) const WRONG_CODE: &str = "That code didn't work. Check it and try again.";

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

pub(super) fn viewer(s: &SessionInfo) -> Viewer {
    Viewer {
        display_name: s.display_name.clone(),
        email: s.email.clone(),
        org_name: s.org_name.clone(),
        role_label: s.role.name.clone(),
        settings: super::team::settings_links(s),
    }
}

pub(super) async fn failed(state: &AppState, what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    render::internal_error(state).await
}

// --- account security ----------------------------------------------------------------------------

pub async fn security_page(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(s) = current.full() else { return see_other("/login", &[]) };
    let notices = [
        ("enabled", "Two-step verification is on."),
        ("regenerated", "Your new recovery codes are active."),
        ("reset", "Your new authenticator app is set up. The old one no longer works."),
        ("disabled", "Two-step verification is off."),
        ("recovery-used", "You signed in with a recovery code. That code no longer works."),
        ("expired", "The setup took too long and was cancelled. Please start again."),
    ];
    let minutes = state.tessera.config.step_up_max_age.as_secs().div_ceil(60);
    let notice = if q.contains_key("verified") {
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        Some(format!("Verified. You can change your sign-in security for the next {minutes} {unit}."))
    } else {
        notices.iter().find(|(k, _)| q.contains_key(*k)).map(|(_, m)| m.to_string())
    };
    security_page_with(&state, s, notice, StatusCode::OK).await
}

async fn security_with(state: &AppState, s: &SessionInfo, why: &str, status: StatusCode) -> Response {
    security_page_with(state, s, Some(why.to_string()), status).await
}

async fn security_page_with(state: &AppState, s: &SessionInfo, notice: Option<String>, status: StatusCode) -> Response {
    let mfa = match state.tessera.mfa_status(s.user_id).await {
        Ok(st) => st,
        Err(e) => return failed(state, "MFA status", e).await,
    };
    let requirement = s.mfa_requirement(state.tessera.clock.now());
    let mfa = mfa.map(|m| MfaView {
        enabled_since: format!("{} UTC", m.enabled_at.to_display()),
        recovery_codes_left: m.recovery_codes_left,
    });
    let policy_note = match requirement {
        Requirement::NotOffered => Some("Your organisation has not turned on two-step verification.".to_string()),
        Requirement::Satisfied => {
            Some("Your organisation requires two-step verification, so it cannot be turned off.".to_string())
        }
        Requirement::Grace { deadline } => Some(grace_banner(deadline, state.tessera.clock.now())),
        Requirement::Optional | Requirement::MustEnrol => None,
    };
    let page = Page::Security {
        viewer: viewer(s),
        mfa,
        notice,
        fresh: state.tessera.has_fresh_step_up(s),
        policy_note,
        can_enable: requirement != Requirement::NotOffered,
        can_disable: requirement == Requirement::Optional,
    };
    render::page(state, page, status).await
}

/// "Set up two-step verification within N days", for users in the grace period.
pub(super) fn grace_banner(
    deadline: tessera_server::clock::Timestamp,
    now: tessera_server::clock::Timestamp,
) -> String {
    let days = tessera_server::policy::days_left(deadline, now);
    let plural = if days == 1 { "day" } else { "days" };
    format!("Your organisation requires MFA. Set it up within {days} {plural}; after that you will have to before you can continue.")
}

pub async fn enrol_required_page(State(state): State<AppState>) -> Response {
    render::page(&state, Page::EnrolRequired, StatusCode::OK).await
}

// --- the organisation's policy (owners) -----------------------------------------------------------

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    grace_days: String,
}

async fn policy_view(
    state: &AppState,
    s: &SessionInfo,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let hours = match state.tessera.business_hours(s).await {
        Ok(h) => h,
        Err(e) => return failed(state, "business hours", e).await,
    };
    let hhmm = |m: i32| format!("{:02}:{:02}", m / 60, m % 60);
    // Every half hour from UTC-12:00 to UTC+14:00.
    let offsets = (-24..=28)
        .map(|half| {
            let h = tessera_server::activity::BusinessHours { utc_offset_minutes: half * 30, ..hours };
            ((half * 30).to_string(), h.offset_label())
        })
        .collect();
    let page = Page::Policy {
        hours: crate::pages::mfa::HoursView {
            start: hhmm(hours.start_minute),
            end: hhmm(hours.end_minute),
            offset: hours.utc_offset_minutes.to_string(),
            offsets,
        },
        policy: tessera_server::policy::effective(s.org_kind, s.org_mfa_policy).as_str().to_string(),
        healthcare: s.org_kind == tessera_server::model::OrgKind::Healthcare,
        grace_until: s.org_mfa_grace_until.map(|t| format!("{} UTC", t.to_display())),
        error,
        notice,
    };
    render::page(state, page, status).await
}

pub async fn policy_page(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(s) = current.full() else { return see_other("/login", &[]) };
    if !s.can(tessera_server::roles::Permission::ManagePolicy) {
        return security_with(
            &state,
            s,
            "Your role does not allow changing the organisation's security policy.",
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let notice = if q.contains_key("hours") {
        Some("The business hours are saved.".to_string())
    } else {
        q.contains_key("saved").then(|| "The security policy is saved.".to_string())
    };
    policy_view(&state, s, None, notice, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct HoursForm {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    offset: String,
}

/// `HH:MM` as minutes after midnight; `24:00` is the end of the day.
fn minutes(hhmm: &str) -> Option<i32> {
    let (h, m) = hhmm.trim().split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.get(..2)?.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

pub async fn hours_submit(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let (form, _meta) = match read_form::<HoursForm>(&state, req, false).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let parsed = match (minutes(&form.start), minutes(&form.end), form.offset.trim().parse::<i32>()) {
        (Some(a), Some(b), Ok(o)) => tessera_server::activity::BusinessHours::new(a, b, o),
        _ => Err("Enter opening and closing times as HH:MM and choose an offset."),
    };
    let hours = match parsed {
        Ok(h) => h,
        Err(why) => return policy_view(&state, &s, Some(why.into()), None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match state.tessera.set_business_hours(&s, hours).await {
        Ok(()) => see_other("/settings/security?hours", &[]),
        Err(CodeError::NotAllowed(why)) => security_with(&state, &s, why.message(), StatusCode::FORBIDDEN).await,
        Err(e) => failed(&state, "saving business hours", e).await,
    }
}

pub async fn policy_submit(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let (form, meta) = match read_form::<PolicyForm>(&state, req, false).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let Ok(policy) = form.policy.parse::<tessera_server::policy::MfaPolicy>() else {
        return policy_view(&state, &s, Some("Choose a policy.".into()), None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let grace_days = match form.grace_days.trim() {
        "" => None,
        d => match d.parse::<u32>() {
            Ok(n) if n <= 365 => Some(n),
            _ => {
                let error = Some("Enter the grace period as a whole number of days, from 0 to 365.".into());
                return policy_view(&state, &s, error, None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
    };
    match state.tessera.set_mfa_policy(&s, policy, grace_days, &meta).await {
        Ok(()) => see_other("/settings/security?saved", &[]),
        Err(CodeError::StepUpRequired) => {
            if s.has_mfa {
                step_up_first()
            } else {
                let error = Some(
                    "Turn on two-step verification for your own account first: changing the policy needs a code."
                        .into(),
                );
                policy_view(&state, &s, error, None, StatusCode::FORBIDDEN).await
            }
        }
        Err(CodeError::NotAllowed(why)) => {
            policy_view(&state, &s, Some(why.message().into()), None, StatusCode::FORBIDDEN).await
        }
        Err(CodeError::Invalid | CodeError::NotApplicable) => see_other("/settings/security", &[]),
        Err(CodeError::Internal(e)) => failed(&state, "setting the MFA policy", e).await,
    }
}

/// Maps the answer of a step-up-guarded change.
fn step_up_first() -> Response {
    see_other("/account/security/verify", &[])
}

/// Why a change to the user's own MFA did not happen, as a response: confirm first, the
/// policy's reason, nothing to change, or an internal error (logged as `what` failed).
async fn refused_change(state: &AppState, s: &SessionInfo, e: CodeError, what: &str) -> Response {
    match e {
        CodeError::StepUpRequired => step_up_first(),
        CodeError::NotAllowed(why) => security_with(state, s, why.message(), StatusCode::FORBIDDEN).await,
        CodeError::Invalid | CodeError::NotApplicable => see_other("/account/security", &[]),
        CodeError::Internal(e) => failed(state, what, e).await,
    }
}

pub async fn start(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.signed_in().cloned() else { return see_other("/login", &[]) };
    let meta = super::legacy::meta(req.headers(), req.extensions());
    match state.tessera.start_enrolment(&s, &meta).await {
        Ok(_) => see_other("/account/security/mfa", &[]),
        Err(e) => refused_change(&state, &s, e, "starting enrolment").await,
    }
}

/// Resetting the authenticator is enrolling a new one while the old one still works.
pub async fn reset(state: State<AppState>, current: Extension<CurrentSession>, req: Request) -> Response {
    start(state, current, req).await
}

async fn enrol_view(state: &AppState, s: &SessionInfo) -> Result<Option<EnrolView>, Response> {
    let pending = state.tessera.pending_enrolment(s).await;
    let resetting = state.tessera.mfa_status(s.user_id).await.map(|m| m.is_some());
    match (pending, resetting) {
        (Ok(p), Ok(resetting)) => {
            Ok(p.map(|v| EnrolView { qr_svg: v.qr_svg, setup_key_grouped: v.setup_key_grouped, resetting }))
        }
        (Err(e), _) | (_, Err(e)) => Err(failed(state, "loading enrolment", e).await),
    }
}

pub async fn enrol_page(State(state): State<AppState>, Extension(current): Extension<CurrentSession>) -> Response {
    let Some(s) = current.signed_in() else { return see_other("/login", &[]) };
    match enrol_view(&state, s).await {
        Ok(Some(enrol)) => render::page(&state, Page::Enrol { enrol, error: None }, StatusCode::OK).await,
        Ok(None) => see_other("/account/security", &[]),
        Err(res) => res,
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.signed_in().cloned() else { return see_other("/login", &[]) };
    let (form, meta) = match read_form::<CodeForm>(&state, req, true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    match state.tessera.confirm_enrolment(&s, &form.code, &meta).await {
        Ok(codes) if codes.is_empty() => see_other("/account/security?reset", &[]),
        Ok(codes) => {
            let codes = codes.iter().map(|c| c.display()).collect();
            render::page(&state, Page::RecoveryCodes { codes, regenerated: false }, StatusCode::OK).await
        }
        Err(CodeError::Invalid) => {
            match enrol_view(&state, &s).await {
                Ok(Some(enrol)) => {
                    let error = Some("That code didn't work, so MFA is still off. Check your phone's clock and enter the current code.".into());
                    render::page(&state, Page::Enrol { enrol, error }, StatusCode::UNPROCESSABLE_ENTITY).await
                }
                Ok(None) => see_other("/account/security?expired", &[]),
                Err(res) => res,
            }
        }
        Err(CodeError::NotApplicable) => see_other("/account/security?expired", &[]),
        Err(CodeError::StepUpRequired) => step_up_first(),
        Err(CodeError::NotAllowed(why)) => security_with(&state, &s, why.message(), StatusCode::FORBIDDEN).await,
        Err(CodeError::Internal(e)) => failed(&state, "confirming enrolment", e).await,
    }
}

#[derive(Deserialize)]
pub struct FinishForm {
    #[serde(default)]
    then: String,
}

/// "I have saved these codes": back to account security with the right confirmation.
pub async fn finish(axum::Form(form): axum::Form<FinishForm>) -> Response {
    let to = if form.then == "regenerated" { "/account/security?regenerated" } else { "/account/security?enabled" };
    see_other(to, &[])
}

/// Where to go after step-up: only a page of Tessera's own account or settings sections, so the
/// parameter cannot send anyone elsewhere.
pub(super) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if (n.starts_with("/settings/") || n.starts_with("/account/"))
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_?=&.".contains(&b))
                && !n.contains("//")
                && !n.contains("..") =>
        {
            n
        }
        _ => "/account/security?verified",
    }
}

pub async fn step_up_page(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let next = safe_next(q.get("next").map(String::as_str)).to_string();
    render::page(&state, Page::StepUp { error: None, next }, StatusCode::OK).await
}

pub async fn step_up_submit(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let (form, meta) = match read_form::<CodeForm>(&state, req, true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let next = safe_next(Some(form.next.as_str())).to_string();
    match state.tessera.step_up(&s, &form.code, &meta).await {
        Ok(_) => see_other(&next, &[]),
        Err(CodeError::Invalid) => {
            let page = Page::StepUp { error: Some(WRONG_CODE.into()), next };
            render::page(&state, page, StatusCode::UNAUTHORIZED).await
        }
        Err(CodeError::NotApplicable | CodeError::StepUpRequired | CodeError::NotAllowed(_)) => {
            see_other("/account/security", &[])
        }
        Err(CodeError::Internal(e)) => failed(&state, "step-up", e).await,
    }
}

pub async fn regenerate(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let meta = super::legacy::meta(req.headers(), req.extensions());
    match state.tessera.regenerate_recovery_codes(&s, &meta).await {
        Ok(codes) => {
            let codes = codes.iter().map(|c| c.display()).collect();
            render::page(&state, Page::RecoveryCodes { codes, regenerated: true }, StatusCode::OK).await
        }
        Err(e) => refused_change(&state, &s, e, "regenerating recovery codes").await,
    }
}

pub async fn disable(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    req: Request,
) -> Response {
    let Some(s) = current.full().cloned() else { return see_other("/login", &[]) };
    let meta = super::legacy::meta(req.headers(), req.extensions());
    match state.tessera.disable_mfa(&s, &meta).await {
        Ok(()) => see_other("/account/security?disabled", &[]),
        Err(e) => refused_change(&state, &s, e, "disabling MFA").await,
    }
}
