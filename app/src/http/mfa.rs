//! The pages of a person's own MFA: account security, the enrolment wizard, the recovery codes
//! (shown once) and step-up. Their forms post to the server functions in `api::mfa`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use http::StatusCode;
use tessera_server::policy::Requirement;
use tessera_server::sign_in::Destination;

use super::{render, see_other};
use crate::ctx::{AppState, Enrolling, Failed, SignedIn};
use crate::error::AppError;
use crate::pages::applications::ContinueTo;
use crate::pages::mfa::{EnrolView, MfaView, ProviderRow, SecurityView};
use crate::pages::Page;

/// What the organisation's policy means for this person, in words.
fn policy_note(requirement: Requirement, now: tessera_server::clock::Timestamp) -> Option<String> {
    match requirement {
        Requirement::NotOffered => Some("Your organisation has not turned on MFA.".to_string()),
        Requirement::Satisfied => Some("Your organisation requires MFA, so it cannot be turned off.".to_string()),
        Requirement::Grace { deadline } => Some(grace_banner(deadline, now)),
        Requirement::ByEmail => Some(
            "Your organisation requires MFA. You confirm each sign-in with a code we email you. An authenticator app is stronger: anyone who can read your mailbox could pass an emailed code.".to_string(),
        ),
        Requirement::Optional | Requirement::MustEnrol => None,
    }
}

/// "Set it up within N days", for people in the grace period.
pub(super) fn grace_banner(
    deadline: tessera_server::clock::Timestamp,
    now: tessera_server::clock::Timestamp,
) -> String {
    let days = tessera_server::policy::days_left(deadline, now);
    let plural = if days == 1 { "day" } else { "days" };
    format!(
        "Your organisation requires MFA. Set it up within {days} {plural}; after that you will have to before you can continue."
    )
}

pub async fn security_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
    headers: http::HeaderMap,
) -> Response {
    let notices = [
        ("enabled", "MFA is on."),
        ("regenerated", "Your new recovery codes are active."),
        ("reset", "Your new authenticator app is set up. The old one no longer works."),
        ("disabled", "MFA is off."),
        ("password-changed", "Your password is changed. Every other session of your account was signed out."),
        ("email-changed", "Your email address is changed. Sign in with it from now on."),
        ("recovery-used", "You signed in with a recovery code. That code no longer works."),
        ("expired", "The setup took too long and was cancelled. Please start again."),
        ("linked", "Linked. From now on you can sign in with it from the sign-in page; your MFA still applies."),
        ("unlinked", "Unlinked. That account no longer signs you in."),
    ];
    let minutes = state.tessera.config.step_up_max_age.as_secs().div_ceil(60);
    let notice = if q.contains_key("verified") {
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        Some(format!("Verified. You can change your sign-in security for the next {minutes} {unit}."))
    } else {
        notices.iter().find(|(k, _)| q.contains_key(*k)).map(|(_, m)| m.to_string())
    };
    let status = match state.tessera.mfa_status(s.user_id).await {
        Ok(st) => st,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let now = state.tessera.clock.now();
    let requirement = s.mfa_requirement(now);
    let providers = match provider_rows(&state, &s).await {
        Ok(rows) => rows,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let links_locked = match state.tessera.links_locked(&s).await {
        Ok(locked) => locked,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let security = SecurityView {
        viewer: render::viewer_of(&s, false),
        mfa: status.map(|m| MfaView {
            enabled_since: format!("{} UTC", m.enabled_at.to_display()),
            recovery_codes_left: m.recovery_codes_left,
        }),
        notice,
        continue_to: q
            .get("next")
            .and_then(|n| tessera_server::sign_in::own_page(n))
            .filter(|n| *n != "/" && q.contains_key("recovery-used"))
            .map(|n| (n.to_string(), crate::api::page_name(n))),
        state: tessera_server::policy::MfaState::of(s.has_mfa, requirement).label(),
        error: match failed.error() {
            Some(e) => Some(e.to_string()),
            None => super::sso::refusal_message(&state, &q).await,
        },
        fresh: state.tessera.has_fresh_step_up(&s),
        policy_note: policy_note(requirement, now),
        can_enable: requirement != Requirement::NotOffered,
        can_disable: requirement == Requirement::Optional,
        providers,
        links_locked,
        pending: state
            .cookies
            .pending_link(&headers)
            .and_then(|sealed| state.tessera.open_pending_link(&sealed))
            .map(|p| (p.provider, p.who.email)),
    };
    render::page(&state, Page::Security { security }, StatusCode::OK).await
}

/// The providers the organisation allows, and any the person linked before one was no longer
/// allowed (so they can still unlink it).
async fn provider_rows(
    state: &AppState,
    s: &tessera_server::session::SessionInfo,
) -> tessera_server::error::Result<Vec<ProviderRow>> {
    let linked = state.tessera.linked_providers(s.user_id).await?;
    let mut rows: Vec<ProviderRow> = state
        .tessera
        .allowed_providers(s.org_id)
        .await?
        .into_iter()
        .map(|(id, name)| ProviderRow { id, name, linked: None })
        .collect();
    for (id, name, address) in linked {
        match rows.iter_mut().find(|r| r.id == id) {
            Some(row) => row.linked = Some(address),
            None => rows.push(ProviderRow { id, name, linked: Some(address) }),
        }
    }
    Ok(rows)
}

/// "Disable MFA?" as a page, for browsers without JavaScript; where MFA is off or cannot be
/// turned off, back to account security, which says why.
pub async fn disable_page(State(state): State<AppState>, SignedIn(s): SignedIn) -> Response {
    let status = match state.tessera.mfa_status(s.user_id).await {
        Ok(st) => st,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let optional = s.mfa_requirement(state.tessera.clock.now()) == Requirement::Optional;
    match status {
        Some(m) if optional => {
            let page =
                Page::DisableMfa { codes_left: m.recovery_codes_left, fresh: state.tessera.has_fresh_step_up(&s) };
            render::page(&state, page, StatusCode::OK).await
        }
        _ => see_other("/account/security", &[]),
    }
}

pub async fn enrol_required_page(
    State(state): State<AppState>,
    Enrolling(_): Enrolling,
    headers: http::HeaderMap,
) -> Response {
    let app_name = match pending_application(&state, &headers) {
        Some(destination) => state.tessera.application_name(&destination).await,
        None => None,
    };
    render::page(&state, Page::EnrolRequired { app_name }, StatusCode::OK).await
}

/// An application's sign-in that sent the person to enrol first (kept sealed in the sign-in
/// cookie by the authorisation endpoint), if any.
fn pending_application(state: &AppState, headers: &http::HeaderMap) -> Option<Destination> {
    let step = state.cookies.login_step(headers).and_then(|sealed| state.tessera.open_login_step(&sealed))?;
    matches!(step.destination, Destination::Application(_)).then_some(step.destination)
}

pub async fn enrol_page(State(state): State<AppState>, Enrolling(s): Enrolling, failed: Failed) -> Response {
    let (pending, resetting) =
        match (state.tessera.pending_enrolment(&s).await, state.tessera.mfa_status(s.user_id).await) {
            (Ok(p), Ok(m)) => (p, m.is_some()),
            (Err(e), _) | (_, Err(e)) => return render::error_page(&state, &e.into()).await,
        };
    match pending {
        Some(v) => {
            let enrol = EnrolView {
                qr_svg: v.qr_svg,
                otpauth_uri: v.otpauth_uri,
                setup_key_grouped: v.setup_key_grouped,
                issuer: v.issuer,
                account: s.email.clone(),
                resetting,
            };
            render::page(&state, Page::Enrol { enrol, error: failed.error() }, StatusCode::OK).await
        }
        // Nothing being enrolled (it expired, or was finished): start again from security.
        None => see_other("/account/security?expired", &[]),
    }
}

/// The recovery codes a confirmation or a regeneration just made, shown once.
pub async fn recovery_codes_page(
    State(state): State<AppState>,
    Enrolling(s): Enrolling,
    headers: http::HeaderMap,
) -> Response {
    match state.tessera.take_codes_to_show(&s).await {
        Ok(Some((codes, regenerated))) => {
            let pending = pending_application(&state, &headers);
            let continue_to = match &pending {
                Some(destination) => match state.tessera.application_name(destination).await {
                    Some(app_name) => destination.application_params().map(|params| ContinueTo { app_name, params }),
                    None => None,
                },
                None => None,
            };
            let (account, org_name) = (s.email.clone(), s.org_name.clone());
            let page = Page::RecoveryCodes { codes, regenerated, account, org_name, continue_to };
            let mut res = render::page(&state, page, StatusCode::OK).await;
            if pending.is_some() {
                // Resumed by this page's form: kept no longer.
                let clear = state.cookies.clear(state.cookies.login_step_name());
                res.headers_mut().append(http::header::SET_COOKIE, clear);
            }
            res
        }
        Ok(None) => {
            let page = Page::Message {
                title: "Recovery codes already shown",
                message: "Recovery codes are shown once and are not kept. If you did not save them, generate a new set on your account security page.".into(),
            };
            render::page(&state, page, StatusCode::GONE).await
        }
        Err(e) => render::error_page(&state, &AppError::from(e)).await,
    }
}

pub async fn step_up_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use crate::api::mfa::SendEmailCode;
    use leptos::server_fn::ServerFn;

    let typed = failed.value("next");
    let next = q.get("next").cloned().unwrap_or(typed);
    let next = crate::api::mfa::safe_next(&next).to_string();
    // A failure of "Email me a code" belongs under that button, not the code field.
    let sending_failed = failed.0.as_ref().is_some_and(|f| f.action == SendEmailCode::PATH);
    let (error, send_error) = if sending_failed { (None, failed.error()) } else { (failed.error(), None) };
    let by_email = if state.tessera.proves_by_email(&s) {
        let code_sent = match state.tessera.email_code_expiry(&s).await {
            Ok(expiry) => expiry.is_some(),
            Err(e) => return render::error_page(&state, &e.into()).await,
        };
        Some(crate::pages::mfa::EmailStepUp { email: s.email.clone(), code_sent, send_error })
    } else {
        None
    };
    render::page(&state, Page::StepUp { error, next, by_email }, StatusCode::OK).await
}

pub async fn change_password_page(State(state): State<AppState>, SignedIn(s): SignedIn, failed: Failed) -> Response {
    let min_chars = tessera_server::policy::min_password_chars(s.org_kind, s.org_mfa_policy, s.role.requires_mfa);
    let fresh = state.tessera.has_fresh_step_up(&s);
    render::page(&state, Page::ChangePassword { fresh, min_chars, error: failed.error() }, StatusCode::OK).await
}

/// The question after a new password; once answered (or where there is nothing to ask), home.
pub async fn password_prompt_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match state.tessera.password_prompt(&s).await {
        Ok(Some(p)) => {
            let prompt = crate::pages::mfa::PromptView {
                changed: q.contains_key("changed"),
                has_app: s.has_mfa,
                no_thanks: p.no_thanks,
                keep: p.keep,
                by_email: p.by_email,
                error: failed.error(),
            };
            render::page(&state, Page::PasswordPrompt { prompt }, StatusCode::OK).await
        }
        Ok(None) if q.contains_key("changed") => super::see_other("/account/security?password-changed", &[]),
        Ok(None) => super::see_other("/", &[]),
        Err(e) => render::error_page(&state, &e.into()).await,
    }
}

/// "Change email address": who may, and after a fresh code from the app, the form.
pub async fn change_email_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let view = crate::pages::account::ChangeEmailView {
        current: s.email.clone(),
        has_app: state.tessera.may_change_email(&s),
        fresh: state.tessera.has_fresh_step_up(&s),
        sent: q.contains_key("sent"),
        typed: failed.value("new_email").chars().take(254).collect(),
        error: failed.error(),
    };
    render::page(&state, Page::ChangeEmail { view }, StatusCode::OK).await
}

/// What a link to confirm a new email address opens. Opening it changes nothing (mail scanners
/// open links): the page's button does.
pub async fn confirm_email_page(
    State(state): State<AppState>,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    match state.tessera.email_change_link(&token).await {
        Ok(Some(new_email)) => {
            render::page(&state, Page::ConfirmEmail { token, new_email, error: failed.error() }, StatusCode::OK).await
        }
        Ok(None) => render::error_page(&state, &AppError::EmailLinkInvalid).await,
        Err(e) => render::error_page(&state, &e.into()).await,
    }
}

/// "Your password has expired", for a session whose password did; anyone else changes theirs
/// the usual way.
pub async fn expired_password_page(
    State(state): State<AppState>,
    crate::ctx::Expired(s): crate::ctx::Expired,
    failed: Failed,
) -> Response {
    match s.org_password_max_age_days {
        Some(days) if s.password_expired(state.tessera.clock.now()) => {
            let min_chars =
                tessera_server::policy::min_password_chars(s.org_kind, s.org_mfa_policy, s.role.requires_mfa);
            render::page(&state, Page::ExpiredPassword { min_chars, days, error: failed.error() }, StatusCode::OK).await
        }
        _ => super::see_other("/account/security/password", &[]),
    }
}
