//! The one place where a route's required session state is enforced.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{Method, StatusCode};
use tessera_server::policy::Requirement;
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
    /// A fully signed-in session, even one confined to enrolment by the MFA policy: the
    /// enrolment wizard.
    Enrolment,
    /// A fully signed-in session that the MFA policy does not confine.
    Full,
}

/// The request's live session, looked up once by [`enforce`] and handed to the handler, and
/// whether the MFA policy confines it to enrolment (worked out from the clock and the policy on
/// every request, so a policy change reaches open sessions at once).
#[derive(Debug, Clone)]
pub struct CurrentSession(pub Option<SessionInfo>, pub bool);

impl CurrentSession {
    /// A signed-in session free to use the product.
    pub fn full(&self) -> Option<&SessionInfo> {
        self.signed_in().filter(|_| !self.1)
    }

    /// A signed-in session, confined or not.
    pub fn signed_in(&self) -> Option<&SessionInfo> {
        self.in_state(SessionState::Full)
    }

    pub fn must_enrol(&self) -> bool {
        self.1 && self.signed_in().is_some()
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
    let now = state.tessera.clock.now();
    let confined = session.as_ref().is_some_and(|s| s.mfa_requirement(now) == Requirement::MustEnrol);
    let current = CurrentSession(session, confined);
    let allowed = match access {
        Access::Public => true,
        Access::PasswordOk => current.in_state(SessionState::PasswordOk).is_some(),
        Access::Enrolment => current.signed_in().is_some(),
        Access::Full => current.full().is_some(),
    };
    if !allowed {
        // Send people to the step they are at; refuse anything else outright.
        let pending_challenge = current.in_state(SessionState::PasswordOk).is_some();
        return match (req.method() == Method::GET, pending_challenge, current.must_enrol()) {
            (true, true, _) => Redirect::to("/login/mfa").into_response(),
            (true, false, true) => Redirect::to("/account/security/enrol-required").into_response(),
            (true, false, false) => Redirect::to("/login").into_response(),
            (false, _, true) => {
                (StatusCode::FORBIDDEN, "Set up two-step verification first: your organisation requires it.")
                    .into_response()
            }
            (false, _, false) => (StatusCode::UNAUTHORIZED, "Sign in first.").into_response(),
        };
    }
    req.extensions_mut().insert(current);
    next.run(req).await
}
