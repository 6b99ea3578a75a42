//! The pages of signing in, the first run and one-time links, plus health checks and not-found.
//! The forms on them post to the server functions in `api::auth`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tessera_server::sign_in::{Destination, Stage};
use tessera_server::store::TokenPurpose;

use super::{render, see_other};
use crate::ctx::{Anyone, AppState, Challenged, Failed, SignedIn};
use crate::error::AppError;
use crate::pages::auth::SetupValues;
use crate::pages::Page;

pub async fn home(State(state): State<AppState>, SignedIn(s): SignedIn) -> Response {
    match state.tessera.home(&s).await {
        Ok(h) => {
            render::page(
                &state,
                Page::Home { home: super::home::view(&s, h, state.tessera.clock.now()) },
                StatusCode::OK,
            )
            .await
        }
        Err(e) => render::error_page(&state, &e.into()).await,
    }
}

pub async fn login_page(
    State(state): State<AppState>,
    Anyone(current): Anyone,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
    headers: http::HeaderMap,
) -> Response {
    // Where the person was going: from the link that sent them here, or kept by a failed post.
    let next = q.get("next").cloned().unwrap_or_else(|| failed.value("next"));
    let destination = Destination::from_next(&next);
    let app_name = state.tessera.application_name(&destination).await;
    let next = destination.next().map(str::to_string);
    // Signed in already: on to where they were going, or first to the step their sign-in owes
    // (the sign-in pipeline's stage). A half-finished sign-in may start over here.
    match current.stage {
        Some(Stage::Free) => return see_other(next.as_deref().unwrap_or("/"), &[]),
        Some(Stage::Enrol) => return see_other(crate::error::pages::ENROL_REQUIRED, &[]),
        Some(Stage::NewPassword) => return see_other(crate::error::pages::PASSWORD_EXPIRED, &[]),
        Some(Stage::SecondFactor) | None => {}
    }
    let notice = if q.contains_key("signed-out") {
        Some("You have signed out.".to_string())
    } else if q.contains_key("password-set") {
        Some("Your password is set. Sign in with it.".to_string())
    } else if q.contains_key("email-changed") {
        Some("Your email address is changed. Sign in with the new one.".to_string())
    } else if q.contains_key("password-reset") {
        Some(
            "Your password is changed and every session of your account was signed out. Sign in with the new password."
                .to_string(),
        )
    } else {
        None
    };
    let email = typed_email(&state, &failed, &headers);
    let providers = match state.tessera.sign_in_providers().await {
        Ok(p) => p,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let going = next.as_deref().map(|n| format!("?{}", serde_urlencoded::to_string([("next", n)]).unwrap_or_default()));
    let providers = providers
        .into_iter()
        .map(|(id, name)| (format!("/sso/{id}/start{}", going.as_deref().unwrap_or("")), name))
        .collect();
    let provider_error = super::sso::refusal_message(&state, &q).await;
    let page = Page::Login { email, next, app_name, error: failed.error(), notice, providers, provider_error };
    render::page(&state, page, StatusCode::OK).await
}

/// The address to fill in: what a failed post sent, or else the one of the sign-in step (kept
/// sealed in its cookie).
fn typed_email(state: &AppState, failed: &Failed, headers: &http::HeaderMap) -> String {
    let email = match failed.value("email") {
        e if e.is_empty() => state
            .cookies
            .login_step(headers)
            .and_then(|sealed| state.tessera.open_login_step(&sealed))
            .map(|l| l.email)
            .unwrap_or_default(),
        e => e,
    };
    email.chars().take(254).collect()
}

pub async fn password_page(State(state): State<AppState>, failed: Failed, headers: http::HeaderMap) -> Response {
    let login = state.cookies.login_step(&headers).and_then(|sealed| state.tessera.open_login_step(&sealed));
    match login.filter(|l| !l.email.is_empty()) {
        Some(l) => {
            let different_email = match l.destination.next() {
                Some(next) => format!("/login?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default()),
                None => "/login".to_string(),
            };
            let app_name = state.tessera.application_name(&l.destination).await;
            let page = Page::LoginPassword { email: l.email, app_name, different_email, error: failed.error() };
            render::page(&state, page, StatusCode::OK).await
        }
        None => see_other("/login", &[]),
    }
}

/// After the right password for a disabled account; from anywhere else, the sign-in page.
pub async fn disabled_page(State(state): State<AppState>, headers: http::HeaderMap) -> Response {
    let sealed = state.cookies.login_step(&headers);
    match sealed.and_then(|sealed| state.tessera.open_disabled_account(&sealed)) {
        Some(account) => {
            let page = Page::AccountDisabled {
                email: account.email,
                org_name: account.org_name,
                application: account.application,
            };
            render::page(&state, page, StatusCode::FORBIDDEN).await
        }
        None => see_other("/login", &[]),
    }
}

pub async fn challenge_page(
    State(state): State<AppState>,
    Challenged(s): Challenged,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use crate::api::auth::SendSignInCode;
    use crate::pages::auth::{ChallengeMode, ChallengeView};
    use leptos::server_fn::ServerFn;

    let held = state.tessera.needs_access_code(&s);
    let email_allowed = state.tessera.proves_by_email(&s) && !held;
    let mode = match (s.has_mfa, q.contains_key("recovery"), q.contains_key("email")) {
        // An administrator's reset holds the account: their access code, and nothing else.
        _ if held => ChallengeMode::AccessCode,
        // Without an app, the sign-in got here only because email codes stand in for it.
        (false, _, _) => ChallengeMode::Email,
        (true, true, _) => ChallengeMode::Recovery,
        (true, false, true) if email_allowed => ChallengeMode::Email,
        (true, _, _) => ChallengeMode::App,
    };
    // Only where email codes are allowed is there a code to look for.
    let code_sent = match email_allowed {
        true => match state.tessera.email_code_expiry(&s).await {
            Ok(expiry) => expiry.is_some(),
            Err(e) => return render::error_page(&state, &e.into()).await,
        },
        false => false,
    };
    // A failure of "Email me a code" belongs under that button, not the code field.
    let sending_failed = failed.0.as_ref().is_some_and(|f| f.action == SendSignInCode::PATH);
    let (error, send_error) = if sending_failed { (None, failed.error()) } else { (failed.error(), None) };
    let challenge =
        ChallengeView { mode, has_app: s.has_mfa, email_allowed, email: s.email.clone(), code_sent, error, send_error };
    render::page(&state, Page::MfaChallenge { challenge }, StatusCode::OK).await
}

/// Whether a one-time link can still be used; `Err` is the page saying why not.
async fn link(state: &AppState, q: &HashMap<String, String>, purpose: TokenPurpose) -> Result<String, Response> {
    let token = q.get("token").cloned().unwrap_or_default();
    match state.tessera.link_is_valid(&token, purpose).await {
        Ok(true) => Ok(token),
        Ok(false) => Err(render::error_page(state, &AppError::LinkInvalid).await),
        Err(e) => Err(render::error_page(state, &e.into()).await),
    }
}

pub async fn setup_page(
    State(state): State<AppState>,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let token = match link(&state, &q, TokenPurpose::Setup).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    let values = SetupValues {
        org_name: failed.value("org_name"),
        org_kind: failed.value("org_kind"),
        display_name: failed.value("display_name"),
        email: failed.value("email"),
    };
    render::page(&state, Page::Setup { token, values, error: failed.error() }, StatusCode::OK).await
}

pub async fn set_password_page(
    State(state): State<AppState>,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use tessera_server::invitations::LinkState;
    let token = q.get("token").cloned().unwrap_or_default();
    match state.tessera.set_password_link_state(&token).await {
        Ok(LinkState::Open { email, org_name, min_chars }) => {
            let page = Page::SetPassword { token, email, org_name, min_chars, error: failed.error() };
            render::page(&state, page, StatusCode::OK).await
        }
        Ok(LinkState::Expired { org_name, ask }) => {
            render::page(&state, Page::InvitationExpired { org_name, ask }, StatusCode::GONE).await
        }
        Ok(LinkState::Invalid) => render::error_page(&state, &AppError::LinkInvalid).await,
        Err(e) => render::error_page(&state, &e.into()).await,
    }
}

/// "Forgot your password?", with the address of the sign-in step filled in when there is one.
pub async fn forgot_page(State(state): State<AppState>, failed: Failed, headers: http::HeaderMap) -> Response {
    let email = typed_email(&state, &failed, &headers);
    render::page(&state, Page::ForgotPassword { email, error: failed.error() }, StatusCode::OK).await
}

pub async fn forgot_sent_page(State(state): State<AppState>) -> Response {
    render::page(&state, Page::ForgotPasswordSent, StatusCode::OK).await
}

pub async fn reset_page(
    State(state): State<AppState>,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    match state.tessera.reset_link_state(&token).await {
        Ok(Some(link)) => {
            let email: String = failed.value("email").chars().take(254).collect();
            let page = Page::ResetPassword { token, email, min_chars: link.min_chars, error: failed.error() };
            render::page(&state, page, StatusCode::OK).await
        }
        Ok(None) => render::error_page(&state, &AppError::ResetLinkInvalid).await,
        Err(e) => render::error_page(&state, &e.into()).await,
    }
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    use tessera_server::tessera::NotReady;
    match state.tessera.ready().await {
        Ok(()) => "ready".into_response(),
        Err(NotReady::Draining) => (StatusCode::SERVICE_UNAVAILABLE, "draining").into_response(),
        Err(NotReady::Database(e)) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn not_found(State(state): State<AppState>) -> Response {
    let page = Page::Message { title: "Page not found", message: "There is nothing at this address.".into() };
    render::page(&state, page, StatusCode::NOT_FOUND).await
}
