//! Helpers of the form handlers that are not server functions yet.

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use axum::Form;
use http::HeaderMap;
use tessera_server::audit::RequestMeta;

use crate::ctx::AppState;

pub(super) fn meta(headers: &HeaderMap, extensions: &http::Extensions) -> RequestMeta {
    tessera_server::web::request_meta(headers, extensions)
}

/// Reads a urlencoded form and where the request came from. `Err` is the response to send instead.
pub(super) async fn read_form<T: serde::de::DeserializeOwned>(
    state: &AppState,
    req: Request,
    _rate_limited: bool,
) -> Result<(T, RequestMeta), Response> {
    let (parts, body) = req.into_parts();
    let meta = meta(&parts.headers, &parts.extensions);
    match Form::<T>::from_request(Request::from_parts(parts, body), state).await {
        Ok(Form(f)) => Ok((f, meta)),
        Err(rejection) => Err(rejection.into_response()),
    }
}

/// The problems of a use case's form, worded for the legacy pages.
pub(super) fn errors(e: tessera_server::services::FieldErrors) -> crate::layout::Errors {
    match crate::error::AppError::from(e) {
        crate::error::AppError::Invalid(problems) => {
            crate::layout::Errors(problems.into_iter().map(|(f, p)| (f.name().to_string(), p.message(f))).collect())
        }
        _ => crate::layout::Errors::default(),
    }
}
