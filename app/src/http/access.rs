//! The one place where a route's required session state is enforced.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{Method, StatusCode};
use tessera_server::session::{SessionInfo, SessionState};

use super::AppState;

/// What a route needs. MFA adds `PasswordOk` (the challenge), `EnrolmentOnly` and step-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A fully signed-in session.
    Full,
}

/// The request's live session, looked up once by [`enforce`] and handed to the handler.
#[derive(Debug, Clone)]
pub struct CurrentSession(pub Option<SessionInfo>);

impl CurrentSession {
    pub fn full(&self) -> Option<&SessionInfo> {
        self.0.as_ref().filter(|s| s.state == SessionState::Full)
    }
}

pub async fn enforce(State((state, access)): State<(AppState, Access)>, mut req: Request, next: Next) -> Response {
    let session = match state.cookies.session_token(req.headers()) {
        Some(token) => match state.tessera.session(&token).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return super::render::internal_error(&state).await;
            }
        },
        None => None,
    };
    let current = CurrentSession(session);
    let allowed = match access {
        Access::Public => true,
        Access::Full => current.full().is_some(),
    };
    if !allowed {
        return if req.method() == Method::GET {
            Redirect::to("/login").into_response()
        } else {
            (StatusCode::UNAUTHORIZED, "Sign in first.").into_response()
        };
    }
    req.extensions_mut().insert(current);
    next.run(req).await
}
