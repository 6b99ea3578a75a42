//! The HTTP surface: the router built from the access table, the gate that enforces it, the
//! adapter that makes server-function answers fit plain HTML forms, and the page handlers.
//!
//! Layers, outermost first, all in front of routing: request tracing (paths only), security
//! headers, the same-origin check, compression, `form_posts` (server-function answers for forms
//! without the WASM), the gate (session, class, permission, sign-in limit, body type and size),
//! then the routes.

mod activity;
mod applications;
mod assets;
mod auth;
mod email;
mod form_posts;
mod gate;
mod home;
mod mfa;
mod oidc;
mod policy;
mod preferences;
mod render;
pub mod routes;
mod sso;
mod team;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use http::header::{HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER, SET_COOKIE};
use http::StatusCode;
use leptos::config::LeptosOptions;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use tessera_server::web::{self as guard, Cookies, OriginGuard};
use tessera_server::Tessera;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::TraceLayer;

pub use assets::resolve_asset_names;
pub use routes::{Access, Kind, Need, RouteSpec, ROUTES};

pub use crate::ctx::{AppState, CurrentSession};

impl AppState {
    pub fn new(tessera: Arc<Tessera>, leptos: LeptosOptions) -> Self {
        let assets = resolve_asset_names(&leptos);
        let cookies = Cookies { secure: tessera.config.secure_cookies() };
        AppState { tessera, leptos, assets, cookies }
    }
}

/// 303 See Other (the browser follows with a GET), setting the given cookies.
pub(crate) fn see_other(location: &str, cookies: &[HeaderValue]) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            res.headers_mut().insert(LOCATION, v);
        }
        Err(_) => {
            tracing::error!("a redirect to a location that is not a header value");
            res.headers_mut().insert(LOCATION, HeaderValue::from_static("/"));
        }
    }
    for c in cookies {
        res.headers_mut().append(SET_COOKIE, c.clone());
    }
    res
}

/// A server function's error as the islands read it: its code, with its own status.
pub(crate) fn server_fn_error(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, e.encode()).into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(SERVER_FN_ERROR_HEADER, HeaderValue::from_static("1"));
    if let Some(secs) = e.retry_after() {
        h.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

use crate::error::AppError;

/// What a page handler answers when an extractor refuses (the gate normally has already).
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, self.to_string()).into_response()
    }
}

fn handler_for(r: &RouteSpec) -> MethodRouter<AppState> {
    if r.is_server_fn() {
        return post(|req: http::Request<Body>| async move { leptos_axum::handle_server_fns(req).await });
    }
    match (r.method, r.path) {
        ("GET", "/") => get(auth::home),
        ("GET", "/login") => get(auth::login_page),
        ("GET", "/login/password") => get(auth::password_page),
        ("GET", "/login/disabled") => get(auth::disabled_page),
        ("GET", "/sso/{provider}/start") => get(sso::start),
        ("GET", "/sso/callback") => get(sso::callback),
        ("GET", "/account/security/link/{provider}") => get(sso::link),
        ("GET", "/setup") => get(auth::setup_page),
        ("GET", "/set-password") => get(auth::set_password_page),
        ("GET", "/forgot-password") => get(auth::forgot_page),
        ("GET", "/forgot-password/sent") => get(auth::forgot_sent_page),
        ("GET", "/reset-password") => get(auth::reset_page),
        ("GET", "/login/mfa") => get(auth::challenge_page),
        ("GET", "/account/security") => get(mfa::security_page),
        ("GET", "/account/security/enrol-required") => get(mfa::enrol_required_page),
        ("GET", "/account/security/mfa") => get(mfa::enrol_page),
        ("GET", "/account/security/recovery-codes") => get(mfa::recovery_codes_page),
        ("GET", "/account/security/verify") => get(mfa::step_up_page),
        ("GET", "/account/security/disable") => get(mfa::disable_page),
        ("GET", "/account/security/password") => get(mfa::change_password_page),
        ("GET", "/account/security/new-password") => get(mfa::password_prompt_page),
        ("GET", "/account/security/email") => get(mfa::change_email_page),
        ("GET", "/account/security/password-expired") => get(mfa::expired_password_page),
        ("GET", "/account/email/confirm") => get(mfa::confirm_email_page),
        ("GET", "/account/email-preferences") => get(preferences::preferences_page),
        ("GET", "/unsubscribe") => get(preferences::unsubscribe_page),
        ("POST", "/unsubscribe") => axum::routing::post(preferences::one_click),
        ("GET", "/settings/activity") => get(activity::page),
        ("GET", "/settings/activity.csv") => get(activity::csv),
        ("GET", "/settings/security") => get(policy::policy_page),
        ("GET", "/settings/security/require") => get(policy::require_page),
        ("GET", "/settings/security/email-codes") => get(policy::email_codes_page),
        ("GET", "/settings/security/sign-in") => get(policy::sign_in_methods_page),
        ("GET", "/settings/team") => get(team::list),
        ("GET", "/settings/team/invite") => get(team::invite_page),
        ("GET", "/settings/team/invite/list") => get(team::invite_list_page),
        ("GET", "/settings/team/{id}") => get(team::member),
        ("GET", "/settings/team/{id}/reset-mfa") => get(team::reset_page),
        ("GET", "/settings/team/{id}/access-code") => get(team::access_code_page),
        ("GET", "/settings/roles") => get(team::roles_page),
        ("GET", "/settings/email") => get(email::list_page),
        ("GET", "/settings/email/{kind}") => get(email::editor_page),
        ("GET", "/settings/email/{kind}/versions") => get(email::versions_page),
        ("GET", "/settings/email/{kind}/preview") => get(email::preview_frame),
        ("GET", "/settings/applications") => get(applications::list_page),
        ("GET", "/settings/applications/{id}") => get(applications::application_page),
        ("GET", "/healthz") => get(auth::healthz),
        ("GET", "/readyz") => get(auth::readyz),
        ("GET", "/.well-known/openid-configuration") => get(oidc::discovery),
        ("GET", "/oauth2/jwks") => get(oidc::jwks),
        ("GET", "/oauth2/authorize") => get(oidc::authorize),
        ("POST", "/oauth2/token") => post(oidc::token),
        ("GET", "/oauth2/userinfo") => get(oidc::userinfo),
        ("POST", "/oauth2/userinfo") => post(oidc::userinfo),
        ("POST", "/oauth2/revoke") => post(oidc::revoke),
        ("GET", "/oauth2/logout") => get(oidc::logout),
        ("OPTIONS", "/oauth2/token" | "/oauth2/userinfo" | "/oauth2/revoke") => axum::routing::options(oidc::preflight),
        (m, p) => unreachable!("route {m} {p} is in ROUTES but has no handler"),
    }
}

/// Checks that every server function Leptos registered is in the access table and the other way
/// round. `tessera serve` refuses to start when they differ.
pub fn check_server_fns() -> Result<(), String> {
    routes::check_server_fns(leptos::server_fn::axum::server_fn_paths())
}

/// What kind of route a request is for, for the operators' latency histograms.
fn route_kind(method: &http::Method, path: &str) -> &'static str {
    match routes::find(method, path).map(|r| r.kind) {
        Some(routes::Kind::Page) => "page",
        Some(routes::Kind::ServerFn { .. }) => "server_fn",
        Some(routes::Kind::Other) => "other",
        None if path.starts_with("/pkg/") || path == "/favicon.svg" => "static",
        None => "other",
    }
}

/// Times every answer (see `tessera_server::telemetry`).
async fn time_request(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let kind = route_kind(req.method(), req.uri().path());
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    tessera_server::telemetry::request(kind, started.elapsed());
    res
}

/// Logs an answer that failed, except a 503 that turned a request away for capacity: under a
/// flood that would be a line per request, and the metrics count them (`shed`).
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass as Class;
    if !matches!(class, Class::StatusCode(s) if s == http::StatusCode::SERVICE_UNAVAILABLE) {
        tracing::error!(classification = %class, latency_ms = latency.as_millis() as u64, "response failed");
    }
}

/// How hard pages and other answers made per request are compressed. Brotli's default level
/// cost four times the rendering of the sign-in page; a low level keeps most of the saving for
/// a fraction of the time (BENCHMARKS.md measures both). Static assets are compressed once, at
/// build time, at the highest level (`cargo leptos build --precompress`), and served as they are.
const DYNAMIC_COMPRESSION: CompressionLevel = CompressionLevel::Precise(1);

pub fn router(state: AppState) -> Router {
    // Leptos renders with tokio; an Err only means it was initialised already.
    let _ = any_spawner::Executor::init_tokio();
    let config = state.tessera.config.clone();
    let mut routes: Router<AppState> = Router::new();
    for r in ROUTES {
        routes = routes.route(r.path, handler_for(r));
    }
    let routes = routes.merge(assets::routes(&state.leptos)).fallback(auth::not_found).with_state(state.clone());
    // These run before routing: a layer added with `Router::layer` would run after it, per route,
    // and could not stand in front of every route (and the gate must).
    let stack = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn(time_request))
        .layer(axum::middleware::from_fn(tessera_server::web::tag_request))
        .layer(axum::middleware::from_fn_with_state(config.trusted_proxies.clone(), tessera_server::web::find_client))
        // Paths only: query strings carry one-time tokens and must never reach the logs.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &http::Request<_>| {
                    let id =
                        req.headers().get(tessera_server::web::REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_failure(log_failure),
        )
        .layer(axum::middleware::from_fn_with_state(config.secure_cookies(), guard::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            OriginGuard { origin: config.origin() },
            guard::require_same_origin,
        ))
        .layer(CompressionLayer::new().quality(DYNAMIC_COMPRESSION))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), form_posts::form_posts))
        .layer(axum::middleware::from_fn_with_state(state, gate::gate))
        .service(routes);
    Router::new().fallback_service(stack)
}
