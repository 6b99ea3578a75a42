//! Renders a [`Page`] into a full HTML response with its CSP nonce.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{HeaderValue, CONTENT_SECURITY_POLICY, RETRY_AFTER};
use http::{Request, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use super::AppState;
use crate::pages::Page;
use crate::shell::Shell;

pub async fn page(state: &AppState, page: Page, status: StatusCode) -> Response {
    let options = state.leptos.clone();
    let assets = state.assets.clone();
    let handler = leptos_axum::render_app_async_with_context(
        || {
            // The page's inline loader script carries this request's nonce; only it may run.
            if let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<ResponseOptions>()) {
                if let Ok(v) = HeaderValue::from_str(&tessera_server::web::page_csp(&nonce.to_string())) {
                    res.insert_header(CONTENT_SECURITY_POLICY, v);
                }
            }
        },
        move || view! { <Shell options=options.clone() assets=assets.clone() page=page.clone() /> },
    );
    let req = Request::builder().uri("/").body(Body::empty()).expect("static request");
    let mut res = handler(req).await;
    *res.status_mut() = status;
    res
}

pub async fn internal_error(state: &AppState) -> Response {
    page(
        state,
        Page::Message {
            title: "Something went wrong",
            message: "Tessera could not complete this request. Please try again in a moment.".into(),
        },
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await
}

pub async fn busy(state: &AppState, retry_after_secs: u64) -> Response {
    let mut res = page(
        state,
        Page::Message {
            title: "Busy",
            message: "Tessera is busy right now. Please try again in a few seconds.".into(),
        },
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    res.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
    res
}

pub async fn too_many(state: &AppState, wait: std::time::Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut res = page(
        state,
        Page::Message {
            title: "Too many attempts",
            message: format!("Too many attempts from your network. Try again in {secs} seconds."),
        },
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    res.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
    res.into_response()
}
