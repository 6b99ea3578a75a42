//! Signing in with a provider (Google, Microsoft, another), and linking one to an account: the
//! start, a plain link (nothing about an account changes until the provider answers, and a form
//! could not be redirected to another site under the pages' CSP), and the provider's way back.
//! What each decides is `tessera_server::sso`'s.

use std::collections::HashMap;

use axum::extract::{Path, Query, RawQuery, State};
use axum::response::Response;
use http::HeaderMap;
use tessera_server::sign_in::Destination;
use tessera_server::sso::{Landing, Started};
use tessera_server::store::FlowPurpose;

use super::{render, see_other};
use crate::api::auth::page_of;
use crate::ctx::{Anyone, AppState, Meta, SignedIn};
use crate::error::step_up_page;

/// `GET /sso/{id}/start?next=…`: "Sign in with NAME" on the sign-in page.
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let destination = Destination::from_next(q.get("next").map(String::as_str).unwrap_or_default());
    match state.tessera.start_sso(id, FlowPurpose::SignIn, &destination).await {
        Ok(Ok(started)) => to_provider(&state, started),
        Ok(Err(reason)) => see_other(&format!("/login?sso={}&with={id}", reason.code()), &[]),
        Err(e) => render::error_page(&state, &e.into()).await,
    }
}

/// `GET /account/security/link/{id}`: "Link your NAME account", after a fresh second factor.
pub async fn link(State(state): State<AppState>, SignedIn(s): SignedIn, Path(id): Path<i64>) -> Response {
    let here = format!("/account/security/link/{id}");
    if !state.tessera.has_fresh_step_up(&s) {
        return see_other(&step_up_page(Some(&here)), &[]);
    }
    let allowed = match state.tessera.allowed_providers(s.org_id).await {
        Ok(allowed) => allowed.iter().any(|(p, _)| *p == id),
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    if !allowed {
        return see_other(&format!("/account/security?sso=not-allowed&with={id}"), &[]);
    }
    match state.tessera.start_sso(id, FlowPurpose::Link { user_id: s.user_id }, &Destination::Home).await {
        Ok(Ok(started)) => to_provider(&state, started),
        Ok(Err(reason)) => see_other(&format!("/account/security?sso={}&with={id}", reason.code()), &[]),
        Err(e) => render::error_page(&state, &e.into()).await,
    }
}

fn to_provider(state: &AppState, started: Started) -> Response {
    see_other(&started.url, &[state.cookies.set_sso(started.browser.expose())])
}

/// `GET /sso/callback`: the provider sends the browser back here.
pub async fn callback(
    State(state): State<AppState>,
    Anyone(current): Anyone,
    Meta(meta): Meta,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let cookies = &state.cookies;
    let browser = cookies.sso_binding(&headers);
    let signed_in = current.full().map(|s| s.user_id);
    let previous = cookies.session_token(&headers);
    let landing = state
        .tessera
        .finish_sso(&query.unwrap_or_default(), browser.as_deref(), signed_in, previous.as_deref(), &meta)
        .await;
    // The binding has done its work, whatever the answer.
    let done = cookies.clear(cookies.sso_name());
    match landing {
        Ok(Landing::SignedIn(progress)) => {
            let keep = match &progress.keep {
                Some(sealed) => cookies.set_login_step(sealed),
                None => cookies.clear(cookies.login_step_name()),
            };
            see_other(&page_of(&progress.step), &[cookies.set_session(progress.token.expose()), keep, done])
        }
        Ok(Landing::Disabled(account)) => {
            let sealed = cookies.set_login_step(&state.tessera.seal_disabled_account(&account));
            see_other(crate::error::pages::ACCOUNT_DISABLED, &[sealed, done])
        }
        Ok(Landing::Linked { .. }) => see_other("/account/security?linked", &[done]),
        // Kept for after the person proves their Tessera account: Account security offers it.
        Ok(Landing::NotLinked(pending)) => {
            let keep = cookies.set_pending_link(&state.tessera.seal_pending_link(&pending));
            let page = format!("/login?sso=not-linked&with={}&next=%2Faccount%2Fsecurity", pending.provider_id);
            see_other(&page, &[keep, done])
        }
        Ok(Landing::Refused { provider, reason, linking }) => {
            let with = provider.map(|id| format!("&with={id}")).unwrap_or_default();
            let page = if linking { "/account/security" } else { "/login" };
            see_other(&format!("{page}?sso={}{with}", reason.code()), &[done])
        }
        Err(e) => render::error_page(&state, &e.into()).await,
    }
}

/// What a `?sso=CODE&with=ID` query says went wrong at a provider, worded for the page.
pub async fn refusal_message(state: &AppState, q: &HashMap<String, String>) -> Option<String> {
    let reason = tessera_server::sso::SsoRefusal::from_code(q.get("sso")?)?;
    let id = q.get("with").and_then(|w| w.parse::<i64>().ok());
    let name = state.tessera.sso_provider_name(id).await.unwrap_or_else(|_| "the provider".into());
    Some(reason.message(&name))
}
