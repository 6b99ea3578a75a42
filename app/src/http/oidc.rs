//! What Tessera publishes as an OpenID Connect provider: the keys its ID tokens are signed with.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::header::CACHE_CONTROL;
use http::StatusCode;

use crate::ctx::AppState;

/// The key set (JWKS). Applications may keep it a minute; a token naming a key they have not
/// seen sends them back for a new copy, so a rotation reaches them at once.
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.tessera.jwks().await {
        Ok(set) => ([(CACHE_CONTROL, "public, max-age=60")], Json(set)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "the key set could not be read");
            (StatusCode::SERVICE_UNAVAILABLE, "try again shortly").into_response()
        }
    }
}
