//! The one place where a route's required session state is enforced.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{Method, StatusCode};
use tessera_server::session::{SessionInfo, SessionState};

use super::AppState;

/// What a route needs. Step-up (a fresh second factor) is checked by the use cases themselves,
/// on top of `Full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A session whose password was right and whose second factor is still owed: the MFA
    /// challenge and nothing else.
    PasswordOk,
    /// A fully signed-in session.
    Full,
}

/// The request's live session, looked up once by [`enforce`] and handed to the handler.
#[derive(Debug, Clone)]
pub struct CurrentSession(pub Option<SessionInfo>);

impl CurrentSession {
    pub fn full(&self) -> Option<&SessionInfo> {
        self.in_state(SessionState::Full)
    }

    pub fn in_state(&self, state: SessionState) -> Option<&SessionInfo> {
        self.0.as_ref().filter(|s| s.state == state)
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
        Access::PasswordOk => current.in_state(SessionState::PasswordOk).is_some(),
        Access::Full => current.full().is_some(),
    };
    if !allowed {
        // Send people to the step they are at; refuse anything else outright.
        let pending_challenge = current.in_state(SessionState::PasswordOk).is_some();
        return match (req.method() == Method::GET, pending_challenge) {
            (true, true) => Redirect::to("/login/mfa").into_response(),
            (true, false) => Redirect::to("/login").into_response(),
            (false, _) => (StatusCode::UNAUTHORIZED, "Sign in first.").into_response(),
        };
    }
    req.extensions_mut().insert(current);
    next.run(req).await
}
