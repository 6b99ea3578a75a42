//! What a request carries once the gate has let it in: the application, the live session (if
//! any) and where the request came from. Page handlers and server functions read it through the
//! extractors here, one per session class, instead of repeating the same guard in each.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;
use leptos::config::LeptosOptions;
use tessera_server::audit::RequestMeta;
use tessera_server::session::SessionInfo;
use tessera_server::sign_in::Stage;
use tessera_server::web::Cookies;
use tessera_server::Tessera;

use crate::assets::AssetNames;
use crate::error::AppError;

/// Everything a handler needs besides the request: shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub tessera: Arc<Tessera>,
    pub leptos: LeptosOptions,
    pub assets: AssetNames,
    pub cookies: Cookies,
}

/// The request's live session, looked up once by the gate, and where it stands in signing in
/// (worked out by the sign-in pipeline from the clock and the policy on every request, so a
/// policy change reaches open sessions at once).
#[derive(Debug, Clone, Default)]
pub struct CurrentSession {
    pub session: Option<SessionInfo>,
    pub stage: Option<Stage>,
}

impl CurrentSession {
    pub fn new(session: Option<SessionInfo>, now: tessera_server::clock::Timestamp) -> CurrentSession {
        let stage = session.as_ref().map(|s| s.stage(now));
        CurrentSession { session, stage }
    }

    /// A signed-in session free to use the product.
    pub fn full(&self) -> Option<&SessionInfo> {
        self.at(&[Stage::Free])
    }

    /// A signed-in session that may enrol: confined to enrolment or not, its password not expired.
    pub fn enrolling(&self) -> Option<&SessionInfo> {
        self.at(&[Stage::Enrol, Stage::Free])
    }

    /// A signed-in session, confined or not, expired or not.
    pub fn signed_in(&self) -> Option<&SessionInfo> {
        self.at(&[Stage::NewPassword, Stage::Enrol, Stage::Free])
    }

    /// A half-finished sign-in: the password was right, the second factor is owed.
    pub fn challenge(&self) -> Option<&SessionInfo> {
        self.at(&[Stage::SecondFactor])
    }

    /// Signed in, but something comes before the product (a new password, enrolment).
    pub fn held_back(&self) -> bool {
        matches!(self.stage, Some(Stage::NewPassword | Stage::Enrol))
    }

    fn at(&self, stages: &[Stage]) -> Option<&SessionInfo> {
        self.session.as_ref().filter(|_| self.stage.is_some_and(|s| stages.contains(&s)))
    }

    /// Why this session may not use a route of the `Full` class.
    pub fn refusal(&self) -> AppError {
        match self.stage {
            Some(Stage::SecondFactor) => AppError::ChallengeFirst,
            Some(Stage::NewPassword) => AppError::PasswordExpired,
            Some(Stage::Enrol) => AppError::EnrolFirst,
            Some(Stage::Free) | None => AppError::SignInFirst,
        }
    }
}

fn current(parts: &Parts) -> Result<&CurrentSession, AppError> {
    // The gate puts it on every request it lets through; without it nobody is signed in.
    parts.extensions.get::<CurrentSession>().ok_or(AppError::SignInFirst)
}

/// A fully signed-in session that the MFA policy does not confine (the `full` class).
pub struct SignedIn(pub SessionInfo);

/// A signed-in session, even one the MFA policy confines to enrolment (the `enrolment` class).
pub struct Enrolling(pub SessionInfo);

/// A signed-in session whatever confines it, for choosing a new password once it expired (the
/// `new_password` class).
pub struct Expired(pub SessionInfo);

impl<S: Send + Sync> FromRequestParts<S> for Expired {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let c = current(parts)?;
        c.signed_in().cloned().map(Expired).ok_or_else(|| c.refusal())
    }
}

/// A half-finished sign-in that owes its second factor (the `password_ok` class).
pub struct Challenged(pub SessionInfo);

/// The session, whatever its state (the `public` class).
pub struct Anyone(pub CurrentSession);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let c = current(parts)?;
        c.full().cloned().map(SignedIn).ok_or_else(|| c.refusal())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Enrolling {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let c = current(parts)?;
        c.enrolling().cloned().map(Enrolling).ok_or_else(|| c.refusal())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Challenged {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        current(parts)?.challenge().cloned().map(Challenged).ok_or(AppError::SignInFirst)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Anyone {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(Anyone(parts.extensions.get::<CurrentSession>().cloned().unwrap_or_default()))
    }
}

/// The application, for server functions (handlers use `State`).
pub struct App(pub AppState);

impl<S: Send + Sync> FromRequestParts<S> for App {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts.extensions.get::<AppState>().cloned().map(App).ok_or_else(|| {
            tracing::error!("a request reached a handler without passing the gate");
            AppError::Internal
        })
    }
}

/// Where the request came from (peer address, user agent), for the audit log and rate limits.
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(Meta(tessera_server::web::request_meta(&parts.headers, &parts.extensions)))
    }
}

/// A form sent without the WASM that failed: its page is shown again with the error at its field
/// and what was typed (never a password or a code: see `http::form_posts`).
#[derive(Debug, Clone)]
pub struct Failure {
    /// The path of the server function the form posted to (a page may have several forms).
    pub action: &'static str,
    pub error: AppError,
    pub values: Vec<(String, String)>,
}

/// The failure a page is shown again for, if any.
#[derive(Debug, Clone, Default)]
pub struct Failed(pub Option<Failure>);

impl Failed {
    pub fn error(&self) -> Option<AppError> {
        self.0.as_ref().map(|f| f.error.clone())
    }

    /// The error, if the form that failed is the one posting to `action`.
    pub fn error_of(&self, action: &str) -> Option<AppError> {
        self.0.as_ref().filter(|f| f.action == action).map(|f| f.error.clone())
    }

    /// What was typed into `name`, or empty.
    pub fn value(&self, name: &str) -> String {
        self.values(name).into_iter().next().unwrap_or_default()
    }

    /// Every value of `name` (checkboxes send one each).
    pub fn values(&self, name: &str) -> Vec<String> {
        self.0
            .as_ref()
            .map(|f| f.values.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect())
            .unwrap_or_default()
    }

    /// Every value of a list of checkboxes named `name[N]`.
    pub fn listed(&self, name: &str) -> Vec<String> {
        let listed = |k: &str| k.strip_prefix(name).is_some_and(|rest| rest.starts_with('[') && rest.ends_with(']'));
        self.0
            .as_ref()
            .map(|f| f.values.iter().filter(|(k, _)| listed(k)).map(|(_, v)| v.clone()).collect())
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Failed {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Failed(parts.extensions.get::<Failure>().cloned()))
    }
}
