//! The one place where the access table is enforced, in front of the whole router: pages, server
//! functions and the rest. It looks the session up once, checks the route's session class and
//! permission, and for server functions the per-IP sign-in limit, the body's type and size.
//! Whatever passes carries the application and the session to the handler (see `ctx`).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::header::{ALLOW, CONTENT_TYPE};
use http::Method;

use tessera_server::sign_in::Destination;

use super::routes::{self, Access, RouteSpec};
use super::{render, server_fn_error};
use crate::ctx::{AppState, CurrentSession};
use crate::error::{AppError, Refusal};

pub async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(route) = routes::find(req.method(), req.uri().path()) else {
        return match routes::other_method(req.uri().path()) {
            Some(r) if r.is_server_fn() => {
                // A browser reloading a form's address after it failed without JavaScript gets a
                // page that leads back to the form; anything else, the bare code.
                let mut res = match (r.kind, wants_html(req.headers())) {
                    (routes::Kind::ServerFn { page, .. }, true) => {
                        let back = page(&[]);
                        let current = look_up(&state, state.cookies.session_token(req.headers())).await.ok();
                        let frame = current.as_ref().and_then(frame_of);
                        let status = http::StatusCode::METHOD_NOT_ALLOWED;
                        render::with_frame(
                            frame,
                            render::page(&state, crate::pages::Page::FormAddress { back }, status),
                        )
                        .await
                    }
                    _ => server_fn_error(&AppError::MethodNotAllowed),
                };
                res.headers_mut().insert(ALLOW, http::HeaderValue::from_static("POST"));
                res
            }
            // Static files, and the not-found page.
            _ => next.run(req).await,
        };
    };
    let token = state.cookies.session_token(req.headers());
    let meta = tessera_server::web::request_meta(req.headers(), req.extensions());
    let current = match look_up(&state, token).await {
        Ok(c) => c,
        Err(e) => return refuse(&state, route, &e, req.uri()).await,
    };
    let frame = frame_of(&current);
    if let Err(e) = admits(&state, route, &current, &meta).await {
        return render::with_frame(frame, refuse(&state, route, &e, req.uri())).await;
    }
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(state.clone());
    parts.extensions.insert(current);
    let body = if route.is_server_fn() {
        match read_form(&state, route, &parts, body).await {
            Ok(b) => b,
            Err(e) => return refuse(&state, route, &e, &parts.uri).await,
        }
    } else {
        body
    };
    render::with_frame(frame, next.run(Request::from_parts(parts, body))).await
}

/// The signed-in frame around a page of this session, if any.
fn frame_of(c: &CurrentSession) -> Option<crate::layout::Viewer> {
    c.signed_in().map(|s| render::viewer_of(s, c.held_back()))
}

/// Whether the request comes from a browser opening a page (it asks for HTML).
fn wants_html(headers: &http::HeaderMap) -> bool {
    headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

async fn look_up(state: &AppState, token: Option<String>) -> Result<CurrentSession, AppError> {
    let Some(token) = token else { return Ok(CurrentSession::default()) };
    let session = state.tessera.session(&token).await?;
    Ok(CurrentSession::new(session, state.tessera.clock.now()))
}

/// Whether the route's session class and permission admit this session.
async fn admits(
    state: &AppState,
    route: &'static RouteSpec,
    c: &CurrentSession,
    meta: &tessera_server::audit::RequestMeta,
) -> Result<(), AppError> {
    let signed_in = match route.access {
        Access::Public => return Ok(()),
        Access::PasswordOk => c.challenge().ok_or(AppError::SignInFirst)?,
        Access::NewPassword => c.signed_in().ok_or_else(|| c.refusal())?,
        Access::Enrolment => c.enrolling().ok_or_else(|| c.refusal())?,
        Access::Full => c.full().ok_or_else(|| c.refusal())?,
    };
    if route.need.met_by(|p| signed_in.can(p)) {
        return Ok(());
    }
    // A change turned away is part of the organisation's activity log; a page is only a look.
    if let (true, Some(p)) = (route.method != "GET", route.need.first()) {
        state.tessera.record_refused_request(signed_in, p, route.path, meta).await?;
    }
    Err(AppError::Refused(Refusal::MissingPermission))
}

/// Server functions take forms, within the size limit, under the sign-in limit where it applies.
async fn read_form(
    state: &AppState,
    route: &'static RouteSpec,
    parts: &http::request::Parts,
    body: Body,
) -> Result<Body, AppError> {
    if let routes::Kind::ServerFn { rate_limited: true, .. } = route.kind {
        let meta = tessera_server::web::request_meta(&parts.headers, &parts.extensions);
        if let Err(wait) = state.tessera.check_signin_rate(&meta).await {
            tessera_server::telemetry::sign_in_outcome("throttled");
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(AppError::TooManyAttempts(u32::try_from(secs).unwrap_or(u32::MAX)));
        }
    }
    let is_form = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim() == "application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::UnsupportedMediaType);
    }
    let limit = route.body_limit(state.tessera.config.max_body_bytes);
    let bytes = to_bytes(body, limit).await.map_err(|_| AppError::PayloadTooLarge)?;
    Ok(Body::from(bytes))
}

/// The answer to a request the gate turns away: pages send people to the step they are at (to
/// sign-in with the page asked for, to come back to it), or say why not; server functions answer
/// with the error.
async fn refuse(state: &AppState, route: &RouteSpec, e: &AppError, uri: &http::Uri) -> Response {
    if route.is_server_fn() {
        return server_fn_error(e);
    }
    if route.method == Method::GET.as_str() {
        let asked = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        if let (AppError::SignInFirst, Some(page)) = (e, Destination::from_next(asked).next()) {
            let next: String = serde_urlencoded::to_string([("next", page)]).unwrap_or_default();
            return Redirect::to(&format!("/login?{next}")).into_response();
        }
        if let Some(to) = e.location() {
            return Redirect::to(&to).into_response();
        }
        return render::error_page(state, e).await;
    }
    (http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::FORBIDDEN), e.to_string()).into_response()
}
