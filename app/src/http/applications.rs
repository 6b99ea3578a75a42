//! Settings -> Applications: the list with its registration form, and each application's page.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use tessera_server::roles::RoleInfo;
use tessera_server::store::Application;

use super::render;
use crate::api::applications::{AddApplication, RemoveApplication, RotateClientSecret, SetApplicationDisabled};
use crate::ctx::{AppState, Failed, SignedIn};
use crate::pages::application_settings::{ApplicationRow, ApplicationView, ApplicationsView, NewApplication};
use crate::pages::Page;

/// Who may use `app`: everyone, or its roles by name.
fn who(app: &Application, roles: &[RoleInfo]) -> String {
    if app.role_ids.is_empty() {
        return "Everyone in your organisation".into();
    }
    let names: Vec<&str> = roles.iter().filter(|r| app.role_ids.contains(&r.id)).map(|r| r.name.as_str()).collect();
    names.join(", ")
}

pub async fn list_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (apps, roles) = match state.tessera.applications(&s).await {
        Ok(found) => found,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let typed = NewApplication {
        name: failed.value("name"),
        confidential: failed.value("kind") != "public",
        redirect_uris: failed.value("redirect_uris"),
        logout_uris: failed.value("logout_uris"),
        roles: failed.listed("roles"),
        require_mfa: failed.value("require_mfa") == "true",
    };
    let view = ApplicationsView {
        apps: apps
            .iter()
            .map(|a| ApplicationRow {
                client_id: a.client_id.clone(),
                name: a.name.clone(),
                confidential: a.confidential,
                disabled: a.disabled,
                require_mfa: a.require_mfa,
                who: who(a, &roles),
            })
            .collect(),
        roles: roles.into_iter().map(|r| r.name).collect(),
        fresh: state.tessera.has_fresh_step_up(&s),
        issuer: state.tessera.issuer(),
        typed,
        notice: q.contains_key("removed").then(|| "The application is removed.".to_string()),
        error: failed.error_of(AddApplication::PATH),
    };
    render::page(&state, Page::Applications { view }, StatusCode::OK).await
}

pub async fn application_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Path(client_id): Path<String>,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
    headers: http::HeaderMap,
) -> Response {
    let (app, roles) = match state.tessera.application(&s, &client_id).await {
        Ok(found) => found,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    // A secret just made is shown this once: its cookie goes with this answer.
    let sealed = tessera_server::web::cookie_value(&headers, state.cookies.secret_name());
    let secret = sealed.as_deref().and_then(|sealed| state.tessera.open_secret_to_show(&s, &client_id, sealed));
    let notices = [
        ("registered", "The application is registered. Give it the issuer and the client id below."),
        ("rotated", "The client secret is replaced: the old one no longer works."),
        ("disabled", "The application is disabled. Nobody can sign in to it until it is enabled."),
        ("enabled", "The application is enabled again."),
    ];
    let notice = notices.iter().find(|(k, _)| q.contains_key(*k)).map(|(_, m)| m.to_string());
    let error = [RotateClientSecret::PATH, SetApplicationDisabled::PATH, RemoveApplication::PATH]
        .iter()
        .find_map(|path| failed.error_of(path));
    let view = ApplicationView {
        who: who(&app, &roles),
        client_id: app.client_id,
        name: app.name,
        confidential: app.confidential,
        disabled: app.disabled,
        require_mfa: app.require_mfa,
        redirect_uris: app.redirect_uris,
        logout_uris: app.logout_uris,
        id_token_alg: app.id_token_alg,
        issuer: state.tessera.issuer(),
        secret,
        fresh: state.tessera.has_fresh_step_up(&s),
        notice,
        error,
    };
    let mut res = render::page(&state, Page::RegisteredApplication { view: Box::new(view) }, StatusCode::OK).await;
    if sealed.is_some() {
        res.headers_mut().append(http::header::SET_COOKIE, state.cookies.clear(state.cookies.secret_name()));
    }
    res
}
