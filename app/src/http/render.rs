//! Renders a [`Page`] into a full HTML response with its CSP nonce.

use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderValue, CONTENT_SECURITY_POLICY, RETRY_AFTER};
use http::{Request, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use tessera_server::session::SessionInfo;

use super::routes;
use crate::ctx::AppState;
use crate::error::AppError;
use crate::layout::Viewer;
use crate::pages::Page;
use crate::shell::Shell;

tokio::task_local! {
    /// Who is signed in on this request, for the frame around its page: set by the gate, which
    /// has looked the session up anyway, so every page of a signed-in person gets the same
    /// frame without each handler passing it on.
    static FRAME: Option<Viewer>;
}

/// Runs `f` (the rest of a request) with `viewer` as the frame of any page it renders.
pub async fn with_frame<F: std::future::Future>(viewer: Option<Viewer>, f: F) -> F::Output {
    FRAME.scope(viewer, f).await
}

/// What the frame shows of `s`; `confined` (to enrolment by the MFA policy) leaves the
/// navigation empty. The navigation comes from the access table, so it offers exactly the pages
/// the gate lets this person open.
pub fn viewer_of(s: &SessionInfo, confined: bool) -> Viewer {
    const NAV: [(&str, &str); 7] = [
        ("/", "Home"),
        ("/settings/team", "Team"),
        ("/settings/roles", "Roles & permissions"),
        ("/settings/security", "Security policy"),
        ("/settings/email", "Email templates"),
        ("/settings/applications", "Applications"),
        ("/settings/activity", "Activity log"),
    ];
    let nav = if confined {
        Vec::new()
    } else {
        NAV.iter()
            .filter(|(href, _)| routes::find(&http::Method::GET, href).is_some_and(|r| r.need.met_by(|p| s.can(p))))
            .map(|(href, label)| (href.to_string(), label.to_string()))
            .collect()
    };
    Viewer {
        display_name: s.display_name.clone(),
        email: s.email.clone(),
        org_name: s.org_name.clone(),
        role_label: s.role.name.clone(),
        nav,
    }
}

pub async fn page(state: &AppState, page: Page, status: StatusCode) -> Response {
    let frame = FRAME.try_with(Clone::clone).ok().flatten();
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
        move || view! { <Shell options=options.clone() assets=assets.clone() page=page.clone() frame=frame.clone() /> },
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
        AppError::ResetLinkInvalid => return page(state, Page::ResetLinkInvalid, StatusCode::NOT_FOUND).await,
        AppError::EmailLinkInvalid => return page(state, Page::EmailLinkInvalid, StatusCode::NOT_FOUND).await,
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
