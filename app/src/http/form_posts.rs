//! What a server function's answer becomes on the wire. Islands get it as the function gives
//! it, with the error's own status (Leptos would answer every error with a 500). A plain HTML
//! form, sent by a browser without the WASM, gets what a form expects instead: on success a 303
//! to the next page, on failure the form's page again with the error at its field, what was
//! typed (never a password or a code) and a 4xx. Nothing about the error goes into a URL, and
//! the Referer is never needed (Tessera sends `Referrer-Policy: no-referrer`).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER, SET_COOKIE};
use http::{Method, StatusCode};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

use super::routes::{self, Kind};
use super::{render, see_other};
use crate::ctx::{AppState, Failure};
use crate::error::AppError;

/// Fields whose values are never shown back: secrets, and what only routing needs.
const NOT_SHOWN_BACK: &[&str] = &["password", "password_again", "current_password", "code", "token"];

pub async fn form_posts(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = match routes::find(req.method(), req.uri().path()) {
        Some(r) if r.is_server_fn() && req.method() == Method::POST => r,
        _ => return next.run(req).await,
    };
    let Kind::ServerFn { page, .. } = route.kind else { return next.run(req).await };
    let html = from_html_form(&req);
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, route.body_limit(state.tessera.config.max_body_bytes)).await else {
        return match html {
            true => render::error_page(&state, &AppError::PayloadTooLarge).await,
            false => super::server_fn_error(&AppError::PayloadTooLarge),
        };
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    if html {
        // The function answers as it would an island; the answer is made a form's below.
        parts.headers.insert(ACCEPT, HeaderValue::from_static("text/plain"));
    }
    let res = next.clone().run(Request::from_parts(parts.clone(), Body::from(bytes))).await;
    let (error, cookies) = match error_of(res).await {
        Ok(res) if !html => return res,
        Ok(res) => {
            let cookies = set_cookies(&res);
            return match res.headers().get(LOCATION).and_then(|l| l.to_str().ok()) {
                Some(to) => see_other(to, &cookies),
                None => see_other(&page(&fields), &cookies),
            };
        }
        Err(e) => e,
    };
    // Step-up comes back to the form's own page, as the access table names it.
    let error = match error {
        AppError::StepUpFirst(None) => AppError::StepUpFirst(Some(page(&fields))),
        other => other,
    };
    if !html {
        let mut res = super::server_fn_error(&error);
        for c in cookies {
            res.headers_mut().append(SET_COOKIE, c);
        }
        return res;
    }
    if let Some(to) = error.location() {
        return see_other(&to, &cookies);
    }
    // The form's page again, through the gate like any page, with the failure attached.
    let path = page(&fields);
    let values = fields.into_iter().filter(|(k, _)| !NOT_SHOWN_BACK.contains(&k.as_str()));
    let failure = Failure { action: route.path, error: error.clone(), values: values.collect() };
    let mut get = Request::get(path);
    for name in [http::header::COOKIE, http::header::USER_AGENT] {
        if let Some(v) = parts.headers.get(&name) {
            get = get.header(name, v);
        }
    }
    let Ok(mut get) = get.body(Body::empty()) else { return render::error_page(&state, &AppError::Internal).await };
    *get.extensions_mut() = parts.extensions;
    get.extensions_mut().insert(failure);
    let mut res = next.run(get).await;
    if res.status().is_success() {
        *res.status_mut() = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        if let Some(secs) = error.retry_after() {
            res.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
        }
    } else if res.status().is_redirection() {
        // The form's page is no longer there for this person (nothing left to reset, say): the
        // reason still deserves a page of its own.
        res = render::error_page(&state, &error).await;
    }
    for c in cookies {
        res.headers_mut().append(SET_COOKIE, c);
    }
    res
}

/// A browser submitting a form itself asks for HTML; the islands and other clients do not.
fn from_html_form(req: &Request) -> bool {
    req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

fn set_cookies(res: &Response) -> Vec<HeaderValue> {
    res.headers().get_all(SET_COOKIE).iter().cloned().collect()
}

/// `Err` with the error when the function failed (and the cookies it set anyway).
async fn error_of(res: Response) -> Result<Response, (AppError, Vec<HeaderValue>)> {
    if !res.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return Ok(res);
    }
    let cookies = set_cookies(&res);
    let is_text = res.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    let body = to_bytes(res.into_body(), 4096).await.unwrap_or_default();
    let e = if is_text { AppError::decode(&String::from_utf8_lossy(&body)) } else { AppError::Internal };
    Err((e, cookies))
}
