//! Server functions: every verification and every change Tessera makes, one module per area.
//! Each has a stable path under `/api` and is thin: it takes its session class (an extractor),
//! calls one use case, and answers. On success it names the page to go to next; a problem is an
//! [`AppError`](crate::error::AppError).
//!
//! A plain HTML form posts to these paths exactly as the islands do (the islands send the same
//! form body), so every form works before and without the WASM; `http::form_posts` turns the
//! answer into a redirect or the page again when the browser does not run the WASM.
//!
//! Who may call what is not decided here: `http::ROUTES` lists every function with its session
//! class and permission, and the gate enforces that table before any of these run.

pub mod account;
pub mod auth;
pub mod email;
pub mod mfa;
pub mod policy;
pub mod preferences;
pub mod roles;
pub mod team;

/// `path` if it is one of Tessera's own signed-in pages, safe to send someone back to: `/`, or
/// under `/settings/` or `/account/`, made of plain characters only (no `%`, `\`, `//` or `..`,
/// so no encoding or browser quirk can turn it into another site). Anything else is `None`, and
/// the caller goes to its default page: an open redirect is a defect.
pub fn own_page(path: &str) -> Option<&str> {
    let ok = (path == "/" || path.starts_with("/settings/") || path.starts_with("/account/"))
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_?=&.".contains(&b))
        && !path.contains("//")
        && !path.contains("..")
        && path.len() <= 512;
    ok.then_some(path)
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use axum::extract::FromRequestParts;
    use http::header::{HeaderValue, SET_COOKIE};
    use http::request::Parts;
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use crate::error::AppError;

    /// Runs an extractor (a session class, the application, the request's origin) on the request
    /// of the server function being called.
    pub async fn extract<T: FromRequestParts<(), Rejection = AppError>>() -> Result<T, AppError> {
        let Some(mut parts) = use_context::<Parts>() else {
            tracing::error!("a server function ran without its request");
            return Err(AppError::Internal);
        };
        T::from_request_parts(&mut parts, &()).await
    }

    /// The page to show next. A plain form gets a 303 to it; an island follows it itself.
    pub fn go(path: &str) {
        leptos_axum::redirect(path);
    }

    pub fn set_cookie(cookie: HeaderValue) {
        if let Some(res) = use_context::<ResponseOptions>() {
            res.append_header(SET_COOKIE, cookie);
        }
    }

    /// The request's cookies, for the few functions that read one besides the session.
    pub fn headers() -> http::HeaderMap {
        use_context::<Parts>().map(|p| p.headers).unwrap_or_default()
    }
}
