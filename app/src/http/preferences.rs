//! Account -> Email preferences and the unsubscribe link's page; their forms post to
//! `api::preferences`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use http::StatusCode;
use tessera_server::mail::Topic;

use super::render;
use crate::ctx::{AppState, Failed, Meta, SignedIn};
use crate::pages::preferences::{PreferencesView, TopicView, UnsubscribeView};
use crate::pages::Page;

pub async fn preferences_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let prefs = match state.tessera.mail_preferences(&s).await {
        Ok(p) => p,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let topics = prefs
        .into_iter()
        .map(|p| TopicView {
            id: p.topic.id().into(),
            label: p.topic.label().into(),
            about: p.topic.about().into(),
            on: p.on,
        })
        .collect();
    let notice = q.contains_key("saved").then(|| "Your email preferences are saved.".to_string());
    let view = PreferencesView { topics, notice, error: failed.error() };
    render::page(&state, Page::EmailPreferences { view }, StatusCode::OK).await
}

/// `/unsubscribe?token=…` asks (opening a link changes nothing: mail scanners open links);
/// `/unsubscribe?done=TOPIC` says what was done.
pub async fn unsubscribe_page(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let view = if let Some(topic) = q.get("done").and_then(|t| Topic::from_id(t)) {
        UnsubscribeView::Done { label: topic.label().into() }
    } else {
        let token = q.get("token").cloned().unwrap_or_default();
        let target = state.tessera.unsubscribe_target(&token);
        let email = match target {
            Some((user_id, _)) => state.tessera.account_email(user_id).await.ok().flatten(),
            None => None,
        };
        match (target, email) {
            (Some((_, topic)), Some(email)) => UnsubscribeView::Ask { token, label: topic.label().into(), email },
            _ => UnsubscribeView::Invalid,
        }
    };
    let status = if view == UnsubscribeView::Invalid { StatusCode::NOT_FOUND } else { StatusCode::OK };
    render::page(&state, Page::Unsubscribe { view }, status).await
}

/// A mail program's one-click unsubscribe (RFC 8058): a POST to the link itself, with
/// `List-Unsubscribe=One-Click` as its body and no session. The signed token is all it needs.
pub async fn one_click(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    Meta(meta): Meta,
) -> Response {
    use axum::response::IntoResponse;
    let token = q.get("token").map(String::as_str).unwrap_or_default();
    match state.tessera.unsubscribe(token, &meta).await {
        Ok(Some(topic)) => (StatusCode::OK, format!("{}: turned off.", topic.label())).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "This unsubscribe link is not complete.").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "one-click unsubscribe failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Try again in a moment.").into_response()
        }
    }
}
