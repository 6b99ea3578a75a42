//! Page handlers: read the form, call one use case, answer with a redirect (success) or the page
//! again with what went wrong (4xx). Works the same with or without JavaScript.

use std::collections::HashMap;

use axum::extract::{FromRequest, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use http::header::{HeaderValue, LOCATION, SET_COOKIE};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use tessera_server::audit::RequestMeta;
use tessera_server::model::Email;
use tessera_server::services::{FormError, SetupForm, SignInError, SignInStep};
use tessera_server::store::TokenPurpose;

use super::access::CurrentSession;
use super::render;
use super::AppState;
use crate::pages::{Errors, Page, SetupValues};

const WRONG_CREDENTIALS: &str = "Incorrect email or password.";

/// 303 See Other (the browser follows with a GET), setting the given cookies.
pub(super) fn see_other(location: &str, cookies: &[HeaderValue]) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    res.headers_mut()
        .insert(LOCATION, HeaderValue::from_str(location).expect("locations are ASCII paths Tessera builds"));
    for c in cookies {
        res.headers_mut().append(SET_COOKIE, c.clone());
    }
    res
}

pub(super) fn meta(headers: &HeaderMap, extensions: &http::Extensions) -> RequestMeta {
    tessera_server::web::request_meta(headers, extensions)
}

/// Runs the per-IP limit of the sign-in endpoints; `Some(response)` when over it.
pub(super) async fn over_rate(state: &AppState, meta: &RequestMeta) -> Option<Response> {
    match state.tessera.check_signin_rate(meta) {
        Ok(()) => None,
        Err(wait) => Some(render::too_many(state, wait).await),
    }
}

/// Reads a urlencoded form and where the request came from; with `rate_limited`, the per-IP
/// limit of the sign-in endpoints applies first. `Err` is the response to send instead.
pub(super) async fn read_form<T: serde::de::DeserializeOwned>(
    state: &AppState,
    req: Request,
    rate_limited: bool,
) -> Result<(T, RequestMeta), Response> {
    let (parts, body) = req.into_parts();
    let meta = meta(&parts.headers, &parts.extensions);
    if rate_limited {
        if let Some(res) = over_rate(state, &meta).await {
            return Err(res);
        }
    }
    match Form::<T>::from_request(Request::from_parts(parts, body), state).await {
        Ok(Form(f)) => Ok((f, meta)),
        Err(rejection) => Err(rejection.into_response()),
    }
}

pub async fn home(State(state): State<AppState>, Extension(current): Extension<CurrentSession>) -> Response {
    let Some(s) = current.full() else { return see_other("/login", &[]) };
    let viewer = super::mfa::viewer(s);
    let banner = match s.mfa_requirement(state.tessera.clock.now()) {
        tessera_server::policy::Requirement::Grace { deadline } => {
            Some(super::mfa::grace_banner(deadline, state.tessera.clock.now()))
        }
        _ => None,
    };
    render::page(&state, Page::Home { viewer, banner }, StatusCode::OK).await
}

pub async fn login_page(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if current.full().is_some() {
        return see_other("/", &[]);
    }
    let notice = if q.contains_key("signed-out") {
        Some("You have signed out.".to_string())
    } else if q.contains_key("password-set") {
        Some("Your password is set. Sign in with it.".to_string())
    } else {
        None
    };
    render::page(&state, Page::Login { email: String::new(), error: None, notice }, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// Step one of sign-in: remember the email and ask for the password. Says nothing about whether
/// the account exists; only the shape of the address is checked.
pub async fn login_submit(State(state): State<AppState>, req: Request) -> Response {
    let (form, _meta) = match read_form::<EmailForm>(&state, req, true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    match Email::parse(&form.email) {
        Ok(email) => see_other("/login/password", &[state.cookies.set_login_email(&email.display)]),
        Err(message) => {
            let page =
                Page::Login { email: form.email.chars().take(254).collect(), error: Some(message), notice: None };
            render::page(&state, page, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn password_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.cookies.login_email(&headers) {
        Some(email) => render::page(&state, Page::LoginPassword { email, error: None }, StatusCode::OK).await,
        None => see_other("/login", &[]),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn password_submit(State(state): State<AppState>, req: Request) -> Response {
    let Some(email) = state.cookies.login_email(req.headers()) else { return see_other("/login", &[]) };
    let previous = state.cookies.session_token(req.headers());
    let (form, meta) = match read_form::<PasswordForm>(&state, req, true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    match state.tessera.sign_in(&email, &form.password, previous.as_deref(), &meta).await {
        Ok(SignInStep::Done(token)) => see_other(
            "/",
            &[state.cookies.set_session(token.expose()), state.cookies.clear(state.cookies.login_email_name())],
        ),
        Ok(SignInStep::MfaRequired(token)) => see_other(
            "/login/mfa",
            &[state.cookies.set_session(token.expose()), state.cookies.clear(state.cookies.login_email_name())],
        ),
        Err(SignInError::InvalidCredentials) => {
            let page = Page::LoginPassword { email, error: Some(WRONG_CREDENTIALS.into()) };
            render::page(&state, page, StatusCode::UNAUTHORIZED).await
        }
        Err(SignInError::Busy) => render::busy(&state, 1).await,
        Err(SignInError::Internal(e)) => {
            tracing::error!(error = %e, "sign-in failed");
            render::internal_error(&state).await
        }
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, req: Request) -> Response {
    let meta = meta(&headers, req.extensions());
    if let Some(token) = state.cookies.session_token(&headers) {
        if let Err(e) = state.tessera.sign_out(&token, &meta).await {
            tracing::error!(error = %e, "sign-out failed");
            return render::internal_error(&state).await;
        }
    }
    see_other("/login?signed-out", &[state.cookies.clear(state.cookies.session_name())])
}

async fn link_valid(state: &AppState, token: &str, purpose: TokenPurpose) -> Result<bool, Response> {
    state.tessera.link_is_valid(token, purpose).await.map_err(|e| {
        tracing::error!(error = %e, "link check failed");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

pub async fn setup_page(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    match link_valid(&state, &token, TokenPurpose::Setup).await {
        Ok(true) => {
            let page = Page::Setup { token, values: SetupValues::default(), errors: Errors::default(), alert: None };
            render::page(&state, page, StatusCode::OK).await
        }
        Ok(false) => render::page(&state, Page::LinkInvalid, StatusCode::NOT_FOUND).await,
        Err(res) => res,
    }
}

#[derive(Deserialize)]
pub struct SetupFormData {
    #[serde(default)]
    token: String,
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    org_kind: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn setup_submit(State(state): State<AppState>, req: Request) -> Response {
    let (f, meta) = match read_form::<SetupFormData>(&state, req, true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let form = SetupForm {
        org_name: f.org_name.clone(),
        org_kind: f.org_kind.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
        password: f.password,
    };
    match state.tessera.complete_setup(&f.token, &form, &meta).await {
        Ok(token) => see_other("/", &[state.cookies.set_session(token.expose())]),
        Err(FormError::Invalid(errors)) => {
            let values = SetupValues {
                org_name: f.org_name,
                org_kind: f.org_kind,
                display_name: f.display_name,
                email: f.email,
            };
            let errors = Errors(errors.0.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
            let alert = Some("Please correct the fields marked below.".to_string());
            render::page(
                &state,
                Page::Setup { token: f.token, values, errors, alert },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(FormError::LinkInvalid) => render::page(&state, Page::LinkInvalid, StatusCode::NOT_FOUND).await,
        Err(FormError::Busy) => render::busy(&state, 1).await,
        Err(FormError::Internal(e)) => {
            tracing::error!(error = %e, "setup failed");
            render::internal_error(&state).await
        }
    }
}

pub async fn set_password_page(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    match link_valid(&state, &token, TokenPurpose::SetPassword).await {
        Ok(true) => render::page(&state, Page::SetPassword { token, error: None }, StatusCode::OK).await,
        Ok(false) => render::page(&state, Page::LinkInvalid, StatusCode::NOT_FOUND).await,
        Err(res) => res,
    }
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn set_password_submit(State(state): State<AppState>, req: Request) -> Response {
    let (f, meta) = match read_form::<SetPasswordForm>(&state, req, true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    match state.tessera.complete_set_password(&f.token, &f.password, &meta).await {
        Ok(()) => see_other("/login?password-set", &[]),
        Err(FormError::Invalid(errors)) => {
            let error = errors.get("password").map(str::to_string);
            render::page(&state, Page::SetPassword { token: f.token, error }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(FormError::LinkInvalid) => render::page(&state, Page::LinkInvalid, StatusCode::NOT_FOUND).await,
        Err(FormError::Busy) => render::busy(&state, 1).await,
        Err(FormError::Internal(e)) => {
            tracing::error!(error = %e, "set-password failed");
            render::internal_error(&state).await
        }
    }
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.tessera.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn not_found(State(state): State<AppState>) -> Response {
    let page = Page::Message { title: "Page not found", message: "There is nothing at this address.".into() };
    render::page(&state, page, StatusCode::NOT_FOUND).await
}
