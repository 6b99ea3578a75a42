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
pub mod applications;
pub mod auth;
pub mod email;
pub mod mfa;
pub mod policy;
pub mod preferences;
pub mod roles;
pub mod team;

/// How a page Tessera sends people back to is named in a sentence ("Sign in to continue to
/// Team").
pub fn page_name(path: &str) -> &'static str {
    let route = path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = route.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["", "settings", "team"] => "Team",
        ["", "settings", "team", "invite"] => "Invite a member",
        ["", "settings", "team", "invite", "list"] => "Invite several people",
        ["", "settings", "team", _, ..] => "a team member's page",
        ["", "settings", "roles"] => "Roles & permissions",
        ["", "settings", "security", ..] => "Security policy",
        ["", "settings", "email", ..] => "Email templates",
        ["", "settings", "activity"] => "Activity log",
        ["", "account", "security"] => "Account security",
        ["", "account", "security", "password"] => "Change password",
        ["", "account", "security", "email"] => "Change email address",
        ["", "account", "email-preferences"] => "Email preferences",
        [""] | [] => "Home",
        _ => "the page you asked for",
    }
}

#[cfg(test)]
mod tests {
    use super::page_name;

    #[test]
    fn pages_are_named_as_people_see_them() {
        assert_eq!(page_name("/settings/team?q=ada"), "Team");
        assert_eq!(page_name("/settings/team/12"), "a team member's page");
        assert_eq!(page_name("/settings/team/invite/list"), "Invite several people");
        assert_eq!(page_name("/settings/email/password-reset"), "Email templates");
        assert_eq!(page_name("/account/security"), "Account security");
        assert_eq!(page_name("/"), "Home");
    }
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
