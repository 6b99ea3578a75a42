//! The HTTP surface: one table of routes, each with the session it needs, and the guards every
//! request passes. Pages are rendered on the server; forms post to the same paths and get a
//! redirect on success or the page again, with the problem and a 4xx, on failure.

mod access;
mod activity;
mod assets;
mod forms;
mod mfa;
mod render;
mod team;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use http::Method;
use leptos::config::LeptosOptions;
use tessera_server::web::{self as guard, Cookies, OriginGuard};
use tessera_server::Tessera;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use access::{Access, CurrentSession};
pub use assets::resolve_asset_names;

use crate::shell::AssetNames;

#[derive(Clone)]
pub struct AppState {
    pub tessera: Arc<Tessera>,
    pub leptos: LeptosOptions,
    pub assets: AssetNames,
    pub cookies: Cookies,
}

impl AppState {
    pub fn new(tessera: Arc<Tessera>, leptos: LeptosOptions) -> Self {
        let assets = resolve_asset_names(&leptos);
        let cookies = Cookies { secure: tessera.config.secure_cookies() };
        AppState { tessera, leptos, assets, cookies }
    }
}

/// A route: method, path and the session state it requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

const fn spec(method: &'static str, path: &'static str, access: Access) -> RouteSpec {
    RouteSpec { method, path, access }
}

/// Every route Tessera serves (besides static files), with the session state it needs. The router
/// is built from this table and the access check reads it, so a route cannot exist without a class.
pub const ROUTES: &[RouteSpec] = &[
    spec("GET", "/", Access::Full),
    spec("GET", "/login", Access::Public),
    spec("POST", "/login", Access::Public),
    spec("GET", "/login/password", Access::Public),
    spec("POST", "/login/password", Access::Public),
    // Signing out must work from any state, including a half-finished sign-in.
    spec("POST", "/logout", Access::Public),
    spec("GET", "/setup", Access::Public),
    spec("POST", "/setup", Access::Public),
    spec("GET", "/set-password", Access::Public),
    spec("POST", "/set-password", Access::Public),
    spec("GET", "/login/mfa", Access::PasswordOk),
    spec("POST", "/login/mfa", Access::PasswordOk),
    spec("GET", "/account/security", Access::Full),
    // The enrolment wizard stays open to a user the MFA policy confines to it.
    spec("GET", "/account/security/enrol-required", Access::Enrolment),
    spec("POST", "/account/security/mfa/start", Access::Enrolment),
    spec("GET", "/account/security/mfa", Access::Enrolment),
    spec("POST", "/account/security/mfa/confirm", Access::Enrolment),
    spec("POST", "/account/security/mfa/finish", Access::Enrolment),
    spec("GET", "/account/security/verify", Access::Full),
    spec("POST", "/account/security/verify", Access::Full),
    spec("POST", "/account/security/recovery-codes", Access::Full),
    spec("POST", "/account/security/mfa/reset", Access::Full),
    spec("POST", "/account/security/mfa/disable", Access::Full),
    spec("GET", "/settings/activity", Access::Full),
    spec("GET", "/settings/activity.csv", Access::Full),
    spec("GET", "/settings/security", Access::Full),
    spec("POST", "/settings/security", Access::Full),
    spec("POST", "/settings/security/hours", Access::Full),
    // Team and roles: the use cases check the permission each needs.
    spec("GET", "/settings/team", Access::Full),
    spec("GET", "/settings/team/invite", Access::Full),
    spec("POST", "/settings/team/invite", Access::Full),
    spec("GET", "/settings/team/{id}", Access::Full),
    spec("GET", "/settings/team/{id}/reset-mfa", Access::Full),
    spec("POST", "/settings/team/{id}/reset-mfa", Access::Full),
    spec("POST", "/settings/team/{id}/role", Access::Full),
    spec("POST", "/settings/team/{id}/disable", Access::Full),
    spec("GET", "/settings/roles", Access::Full),
    spec("POST", "/settings/roles", Access::Full),
    spec("POST", "/settings/roles/{id}/mfa", Access::Full),
    spec("GET", "/healthz", Access::Public),
    spec("GET", "/readyz", Access::Public),
];

fn handler_for(r: &RouteSpec) -> MethodRouter<AppState> {
    match (r.method, r.path) {
        ("GET", "/") => get(forms::home),
        ("GET", "/login") => get(forms::login_page),
        ("POST", "/login") => post(forms::login_submit),
        ("GET", "/login/password") => get(forms::password_page),
        ("POST", "/login/password") => post(forms::password_submit),
        ("POST", "/logout") => post(forms::logout),
        ("GET", "/setup") => get(forms::setup_page),
        ("POST", "/setup") => post(forms::setup_submit),
        ("GET", "/set-password") => get(forms::set_password_page),
        ("POST", "/set-password") => post(forms::set_password_submit),
        ("GET", "/login/mfa") => get(mfa::challenge_page),
        ("POST", "/login/mfa") => post(mfa::challenge_submit),
        ("GET", "/account/security") => get(mfa::security_page),
        ("GET", "/account/security/enrol-required") => get(mfa::enrol_required_page),
        ("POST", "/account/security/mfa/start") => post(mfa::start),
        ("GET", "/account/security/mfa") => get(mfa::enrol_page),
        ("POST", "/account/security/mfa/confirm") => post(mfa::confirm),
        ("POST", "/account/security/mfa/finish") => post(mfa::finish),
        ("GET", "/account/security/verify") => get(mfa::step_up_page),
        ("POST", "/account/security/verify") => post(mfa::step_up_submit),
        ("POST", "/account/security/recovery-codes") => post(mfa::regenerate),
        ("POST", "/account/security/mfa/reset") => post(mfa::reset),
        ("POST", "/account/security/mfa/disable") => post(mfa::disable),
        ("GET", "/settings/activity") => get(activity::page),
        ("GET", "/settings/activity.csv") => get(activity::csv),
        ("GET", "/settings/security") => get(mfa::policy_page),
        ("POST", "/settings/security") => post(mfa::policy_submit),
        ("POST", "/settings/security/hours") => post(mfa::hours_submit),
        ("GET", "/settings/team") => get(team::list),
        ("GET", "/settings/team/invite") => get(team::invite_page),
        ("POST", "/settings/team/invite") => post(team::invite_submit),
        ("GET", "/settings/team/{id}") => get(team::member),
        ("GET", "/settings/team/{id}/reset-mfa") => get(team::reset_page),
        ("POST", "/settings/team/{id}/reset-mfa") => post(team::reset_submit),
        ("POST", "/settings/team/{id}/role") => post(team::change_role),
        ("POST", "/settings/team/{id}/disable") => post(team::disable),
        ("GET", "/settings/roles") => get(team::roles_page),
        ("POST", "/settings/roles") => post(team::create_role),
        ("POST", "/settings/roles/{id}/mfa") => post(team::role_mfa),
        ("GET", "/healthz") => get(forms::healthz),
        ("GET", "/readyz") => get(forms::readyz),
        (m, p) => unreachable!("route {m} {p} is in ROUTES but has no handler"),
    }
}

pub fn router(state: AppState) -> Router {
    // Leptos renders with tokio; an Err only means it was initialised already.
    let _ = any_spawner::Executor::init_tokio();
    let config = state.tessera.config.clone();
    let mut app: Router<AppState> = Router::new();
    for r in ROUTES {
        let method: Method = r.method.parse().expect("valid method");
        debug_assert!(method == Method::GET || method == Method::POST);
        let layered =
            handler_for(r).layer(axum::middleware::from_fn_with_state((state.clone(), r.access), access::enforce));
        app = app.route(r.path, layered);
    }
    let app = app
        .merge(assets::routes(&state.leptos))
        .fallback(forms::not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            OriginGuard { origin: config.origin() },
            guard::require_same_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(config.secure_cookies(), guard::security_headers))
        // Paths only: query strings carry one-time tokens and must never reach the logs.
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &http::Request<_>| tracing::info_span!("request", method = %req.method(), path = %req.uri().path()),
        ));
    app
}
