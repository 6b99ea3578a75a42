//! Renders a [`Page`] into a full HTML response with its CSP nonce.

use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderValue, CONTENT_SECURITY_POLICY, RETRY_AFTER};
use http::{Request, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::ctx::AppState;
use crate::error::AppError;
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

/// The page for an error no form can show better, with the error's status.
pub async fn error_page(state: &AppState, e: &AppError) -> Response {
    let title = match e {
        AppError::NotFound => "Not found",
        AppError::LinkInvalid => return page(state, Page::LinkInvalid, StatusCode::NOT_FOUND).await,
        AppError::Refused(_) => "Not allowed",
        AppError::Busy => "Busy",
        AppError::TooManyAttempts(_) | AppError::AccountWaiting(_) | AppError::CodesWaiting(_) => "Too many attempts",
        AppError::Internal => "Something went wrong",
        _ => "Cannot continue",
    };
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = page(state, Page::Message { title, message: e.to_string() }, status).await;
    if let Some(secs) = e.retry_after() {
        res.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}
