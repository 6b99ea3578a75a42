//! Tessera as an OpenID Connect provider, over HTTP: discovery, keys, the authorisation endpoint
//! (pages), and the token, userinfo and revocation endpoints (JSON). What each decides is
//! `tessera_server::oidc`'s; here requests are read and answers written.
//!
//! The JSON endpoints are called by applications' servers (and public applications' browsers):
//! they never read a cookie, so they are exempt from the same-origin check and open to any
//! origin (CORS), as the protocol needs.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};
use tessera_server::oidc::{AppRefusal, Authorization, Logout, TokenError};

use super::{render, see_other};
use crate::ctx::{Anyone, AppState, Meta};
use crate::pages::applications::AppView;
use crate::pages::Page;

const ANY_ORIGIN: (http::HeaderName, HeaderValue) =
    (http::header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));

/// The key set (JWKS). Applications may keep it a minute; a token naming a key they have not
/// seen sends them back for a new copy, so a rotation reaches them at once.
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.tessera.jwks().await {
        Ok(set) => {
            ([(CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")), ANY_ORIGIN], Json(set)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "the key set could not be read");
            (StatusCode::SERVICE_UNAVAILABLE, "try again shortly").into_response()
        }
    }
}

/// The CORS preflight of the JSON endpoints: any origin may call them (they never read a
/// cookie), with the headers the protocol uses.
pub async fn preflight() -> Response {
    let headers = [
        ANY_ORIGIN,
        (http::header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST")),
        (http::header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type")),
        (http::header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600")),
    ];
    (StatusCode::NO_CONTENT, headers).into_response()
}

/// `/.well-known/openid-configuration`.
pub async fn discovery(State(state): State<AppState>) -> Response {
    let cache = (CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    ([cache, ANY_ORIGIN], Json(state.tessera.discovery())).into_response()
}

/// `GET /oauth2/authorize`: an application sends a person here to sign in.
pub async fn authorize(
    State(state): State<AppState>,
    Anyone(current): Anyone,
    Meta(meta): Meta,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let decision = match state.tessera.authorize(&query, current.session.as_ref(), &meta).await {
        Ok(d) => d,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    match decision {
        Authorization::Redirect(to) => back_to_application(&state, &to, &headers).await,
        Authorization::Invalid(message) => {
            render::page(&state, Page::Application { view: AppView::Invalid { message } }, StatusCode::BAD_REQUEST)
                .await
        }
        Authorization::SignIn { destination, login_hint, .. } => {
            let mut cookies = Vec::new();
            // Signed in, but the application wants a new sign-in (`prompt=login`, `max_age`, a
            // second factor this session has not proven): this session ends first, or the sign-in
            // page would only send the person straight back.
            if current.full().is_some() {
                if let Some(token) = state.cookies.session_token(&headers) {
                    if let Err(e) = state.tessera.sign_out(&token, &meta).await {
                        return render::error_page(&state, &e.into()).await;
                    }
                }
                cookies.push(state.cookies.clear(state.cookies.session_name()));
            }
            // The application knows who is signing in: the address is filled in.
            if let Some(Ok(sealed)) = login_hint.map(|hint| state.tessera.begin_sign_in(&hint, destination.clone())) {
                cookies.push(state.cookies.set_login_step(&sealed));
                return see_other("/login/password", &cookies);
            }
            let next = serde_urlencoded::to_string([("next", destination.path())]).unwrap_or_default();
            see_other(&format!("/login?{next}"), &cookies)
        }
        Authorization::Enrol { destination, .. } => {
            // Kept, sealed, for the end of the enrolment wizard, which leads back from there.
            let step = tessera_server::sign_in::LoginStep { email: String::new(), destination };
            let sealed = state.tessera.seal_login_step(&step);
            see_other(crate::error::pages::ENROL_REQUIRED, &[state.cookies.set_login_step(&sealed)])
        }
        Authorization::Refused { app_name, reason, back } => {
            let s = current.session.as_ref();
            let why = match reason {
                AppRefusal::OtherOrganisation => format!(
                    "{app_name} belongs to another organisation than {}, the one you are signed in to. Sign out and sign in with your account there, or ask whoever looks after {app_name}.",
                    s.map(|s| s.org_name.as_str()).unwrap_or("yours")
                ),
                AppRefusal::Role => format!(
                    "People with your role ({}) may not use it. If you need it, ask an owner or administrator of {} to let your role use {app_name}.",
                    s.map(|s| s.role.name.as_str()).unwrap_or_default(),
                    s.map(|s| s.org_name.as_str()).unwrap_or("your organisation"),
                ),
            };
            let view = AppView::Refused { app_name, why, back };
            render::page(&state, Page::Application { view }, StatusCode::FORBIDDEN).await
        }
    }
}

/// `GET /oauth2/logout`: an application signs the person out of Tessera too.
pub async fn logout(
    State(state): State<AppState>,
    Anyone(current): Anyone,
    Meta(meta): Meta,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let decision = match state.tessera.end_session(&query.unwrap_or_default(), current.session.as_ref()).await {
        Ok(d) => d,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    match decision {
        Logout::SignOut { to } => {
            let mut cookies = Vec::new();
            if let Some(token) = state.cookies.session_token(&headers) {
                if let Err(e) = state.tessera.sign_out(&token, &meta).await {
                    return render::error_page(&state, &e.into()).await;
                }
                cookies.push(state.cookies.clear(state.cookies.session_name()));
            }
            see_other(to.as_deref().unwrap_or("/login?signed-out"), &cookies)
        }
        Logout::Confirm => {
            render::page(&state, Page::Application { view: AppView::ConfirmSignOut }, StatusCode::OK).await
        }
        Logout::Invalid(message) => {
            render::page(&state, Page::Application { view: AppView::Invalid { message } }, StatusCode::BAD_REQUEST)
                .await
        }
    }
}

/// Back to the application. Straight there, unless the browser comes from one of Tessera's own
/// pages (a sign-in form just sent): the pages' `form-action 'self'` would stop a form's
/// redirect to another site, so a page of Tessera's sends the browser on instead.
async fn back_to_application(state: &AppState, to: &str, headers: &HeaderMap) -> Response {
    let from_tessera = headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"same-origin");
    if !from_tessera {
        return see_other(to, &[]);
    }
    let view = AppView::Continue { to: to.to_string() };
    let mut res = render::page(state, Page::Application { view }, StatusCode::OK).await;
    if let Ok(v) = HeaderValue::from_str(&format!("0;url={to}")) {
        res.headers_mut().insert(http::HeaderName::from_static("refresh"), v);
    }
    res
}

/// Whether the request's body is a form, as the protocol requires.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// A refusal as JSON, with `WWW-Authenticate` where the client or token failed.
fn refusal(e: TokenError, scheme: &'static str) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = (status, [ANY_ORIGIN], Json(e.body())).into_response();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = format!("{scheme} error=\"{}\"", e.error);
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            res.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
    }
    res
}

fn not_a_form() -> TokenError {
    TokenError::request("send the parameters as a form (application/x-www-form-urlencoded)")
}

/// `POST /oauth2/token`.
pub async fn token(State(state): State<AppState>, Meta(meta): Meta, headers: HeaderMap, body: Bytes) -> Response {
    if !is_form(&headers) {
        return refusal(not_a_form(), "Basic");
    }
    let form = String::from_utf8_lossy(&body);
    match state.tessera.token(authorization(&headers), &form, &meta).await {
        Ok(tokens) => (StatusCode::OK, [ANY_ORIGIN], Json(tokens)).into_response(),
        Err(e) => refusal(e, "Basic"),
    }
}

/// `GET|POST /oauth2/userinfo` with a bearer access token.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.tessera.userinfo(authorization(&headers)).await {
        Ok(info) => (StatusCode::OK, [ANY_ORIGIN], Json(info)).into_response(),
        Err(e) => refusal(e, "Bearer"),
    }
}

/// `POST /oauth2/revoke` (RFC 7009).
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !is_form(&headers) {
        return refusal(not_a_form(), "Basic");
    }
    match state.tessera.revoke(authorization(&headers), &String::from_utf8_lossy(&body)).await {
        Ok(()) => (StatusCode::OK, [ANY_ORIGIN]).into_response(),
        Err(e) => refusal(e, "Basic"),
    }
}
