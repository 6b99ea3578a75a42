//! The authorisation endpoint's decision: given an application's request and the browser's
//! session, send the person back with a code, send them to sign in (again) first, or say why
//! not. Nothing is redirected to the application before its client id and the exact redirect URI
//! are known good.

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::Result;
use crate::secret::Token;
use crate::session::SessionInfo;
use crate::sign_in::{Destination, Stage};
use crate::store::{Application, NewCode, NewGrant};
use crate::tessera::Tessera;

use super::request::{redirect_with, AuthRequest, ErrorResponse, Params, Prompt};
use super::{amr, CODE_TTL};

/// Why a signed-in person may not use an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppRefusal {
    /// They belong to another organisation.
    OtherOrganisation,
    /// Their role is not among those the application admits.
    Role,
}

impl AppRefusal {
    fn detail(self) -> &'static str {
        match self {
            AppRefusal::OtherOrganisation => "a person of another organisation",
            AppRefusal::Role => "their role may not use it",
        }
    }
}

/// What the authorisation endpoint does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// Back to the application: a code, or an error it should hear (`Location`).
    Redirect(String),
    /// A request that cannot be answered to the application (no or unknown client, a redirect
    /// URI it did not register, a malformed request): a page of Tessera's saying what is wrong.
    Invalid(String),
    /// Sign in (again) first, then back to `destination` (the same request).
    SignIn { destination: Destination, login_hint: Option<String>, app_name: String },
    /// The application requires MFA and the person has none: enrolment first, then back.
    Enrol { destination: Destination, app_name: String },
    /// Turned away; `back` returns to the application with `access_denied`.
    Refused { app_name: String, reason: AppRefusal, back: String },
}

impl Tessera {
    /// The name of the application a sign-in is for, if it is for one (the sign-in pages name it).
    pub async fn application_name(&self, destination: &Destination) -> Option<String> {
        let client_id = destination.client_id()?;
        let found = self.store.application_by_client_id(&client_id).await.ok()??;
        Some(found.0.name).filter(|_| !found.0.disabled)
    }

    /// Decides an authorisation request (`query`, as sent) for the browser's session `s`.
    pub async fn authorize(&self, query: &str, s: Option<&SessionInfo>, meta: &RequestMeta) -> Result<Authorization> {
        match self.standing_request(query).await? {
            Ok((req, app)) => self.decide(req, app, s, meta).await,
            Err(answer) => Ok(answer),
        }
    }

    /// An authorisation request (`query`, as sent) and its application, if the request can be
    /// answered at all; else the answer (a page of Tessera's, or an error back to the
    /// application).
    async fn standing_request(
        &self,
        query: &str,
    ) -> Result<std::result::Result<(AuthRequest, Application), Authorization>> {
        let params = match Params::read(query) {
            Ok(p) => p,
            Err(e) => return Ok(Err(Authorization::Invalid(e))),
        };
        let (client_id, redirect_uri) = match super::request::client_and_redirect(&params) {
            Ok(pair) => pair,
            Err(e) => return Ok(Err(Authorization::Invalid(e.to_string()))),
        };
        let app = self.store.application_by_client_id(client_id).await?.map(|(app, _)| app);
        let Some(app) = app.filter(|a| !a.disabled) else {
            return Ok(Err(Authorization::Invalid("no application is registered with this client_id".into())));
        };
        // Compared as exact strings: no normalising, no prefixes.
        if !app.redirect_uris.iter().any(|u| u == redirect_uri) {
            return Ok(Err(Authorization::Invalid(format!(
                "{} did not register this redirect_uri; it must match a registered one exactly",
                app.name
            ))));
        }
        let state = params.get("state").map(str::to_string);
        let req = match AuthRequest::check(&params, !app.confidential) {
            Ok(r) => r,
            Err(e) => return Ok(Err(Authorization::Redirect(self.error_redirect(redirect_uri, &e, state.as_deref())))),
        };
        if req.resume_path().len() > crate::sign_in::MAX_DESTINATION {
            let e = ErrorResponse::new("invalid_request", "the request is too long to carry through sign-in");
            return Ok(Err(Authorization::Redirect(self.error_redirect(redirect_uri, &e, state.as_deref()))));
        }
        Ok(Ok((req, app)))
    }

    /// A disabled person proved their password on the way to an application (`destination`):
    /// the refusal goes in the activity log, and the application may hear `access_denied`.
    /// Returns the application's name and the way back to it, or `None` where the pending
    /// request no longer stands (then nothing goes back to the application).
    pub async fn refuse_disabled(
        &self,
        destination: &Destination,
        user_id: i64,
        org_id: i64,
        meta: &RequestMeta,
    ) -> Result<Option<(String, String)>> {
        let Destination::Application(path) = destination else { return Ok(None) };
        let query = path.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let Ok((req, app)) = self.standing_request(query).await? else { return Ok(None) };
        // Another organisation's log does not name them, nor say that their own organisation
        // disabled them.
        let (actor, detail) = match org_id == app.org_id {
            true => (Some(user_id), "their account is disabled"),
            false => (None, AppRefusal::OtherOrganisation.detail()),
        };
        let back = self.refuse(&req, &app, actor, detail, meta).await?;
        Ok(Some((app.name, back)))
    }

    /// Turns a person (`actor`, where the application's organisation may know who) away from an
    /// application, for the reason `detail`: logged in the application's organisation; returns
    /// the way back to the application, with `access_denied`.
    async fn refuse(
        &self,
        req: &AuthRequest,
        app: &Application,
        actor: Option<i64>,
        detail: &str,
        meta: &RequestMeta,
    ) -> Result<String> {
        let mut e = audit::event(
            self.clock.now(),
            Action::ApplicationRefused,
            Outcome::Failure,
            Some(app.org_id),
            actor,
            actor,
            meta,
            None,
        );
        // The application's name: the activity log's reader needs it, and it is no secret.
        e.detail = Some(format!("{}: {detail}", app.name));
        self.audit(e).await?;
        let e = ErrorResponse::new("access_denied", "the person may not use this application");
        Ok(self.error_redirect(&req.redirect_uri, &e, req.state.as_deref()))
    }

    async fn decide(
        &self,
        req: AuthRequest,
        app: Application,
        s: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<Authorization> {
        let now = self.clock.now();
        // Signed in but confined to enrolment by the organisation's policy: enrolment first, then
        // back to this request (a sign-in again would only lead there).
        if s.is_some_and(|s| s.stage(now) == Stage::Enrol) && req.prompt != Prompt::None {
            let destination = Destination::Application(req.resume_path());
            return Ok(Authorization::Enrol { destination, app_name: app.name });
        }
        let wants_mfa = req.wants_mfa() || app.require_mfa;
        let fresh_enough = |s: &SessionInfo| {
            let too_old = req.max_age.is_some_and(|max| now.since(s.created_at).as_secs() >= max.max(1));
            // A second sign-in helps only someone who has an authenticator to prove.
            let unproven = wants_mfa && s.has_mfa && s.second_factor_at.is_none();
            req.prompt != Prompt::Login && !too_old && !unproven
        };
        let Some(s) = s.filter(|s| s.stage(now) == Stage::Free && fresh_enough(s)) else {
            if req.prompt == Prompt::None {
                let e = ErrorResponse::new("login_required", "the person must sign in to Tessera");
                return Ok(Authorization::Redirect(self.error_redirect(&req.redirect_uri, &e, req.state.as_deref())));
            }
            let destination = Destination::Application(req.resume_path());
            return Ok(Authorization::SignIn { destination, login_hint: req.login_hint, app_name: app.name });
        };
        let refusal = if s.org_id != app.org_id {
            Some(AppRefusal::OtherOrganisation)
        } else if !app.role_ids.is_empty() && !app.role_ids.contains(&s.role.id) {
            Some(AppRefusal::Role)
        } else {
            None
        };
        if let Some(reason) = refusal {
            // A person of another organisation is not named in the application's log.
            let actor = (reason != AppRefusal::OtherOrganisation).then_some(s.user_id);
            let back = self.refuse(&req, &app, actor, reason.detail(), meta).await?;
            return Ok(Authorization::Refused { app_name: app.name, reason, back });
        }
        // The application (always, or this once through `acr_values`) wants a second factor the
        // person does not have: they set one up first, which proves it.
        if wants_mfa && !s.has_mfa {
            if req.prompt == Prompt::None {
                let e = ErrorResponse::new("interaction_required", "the person must set up MFA first");
                return Ok(Authorization::Redirect(self.error_redirect(&req.redirect_uri, &e, req.state.as_deref())));
            }
            return Ok(Authorization::Enrol {
                destination: Destination::Application(req.resume_path()),
                app_name: app.name,
            });
        }
        let code = Token::generate();
        let second_factor = s.second_factor_at.is_some();
        let grant = NewGrant {
            application_id: app.id,
            user_id: s.user_id,
            org_id: s.org_id,
            scope: req.scope.clone(),
            auth_time: s.created_at,
            amr: amr(second_factor).join(" "),
            created_at: now,
        };
        let new_code = NewCode {
            code_hash: code.hash(),
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: req.code_challenge.clone(),
            nonce: req.nonce.clone(),
            expires_at: now.plus(CODE_TTL),
        };
        let factors = if second_factor { "password and second factor" } else { "password" };
        let detail = format!("{} ({factors})", app.name);
        let mut event = self.own_event(s, Action::ApplicationSignIn, Outcome::Success, meta, None);
        event.detail = Some(detail);
        self.store.issue_code(&grant, &new_code, &event).await?;
        let mut answer = vec![("code", code.expose().to_string())];
        if let Some(state) = &req.state {
            answer.push(("state", state.clone()));
        }
        answer.push(("iss", self.issuer()));
        let pairs: Vec<(&str, &str)> = answer.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Ok(Authorization::Redirect(redirect_with(&req.redirect_uri, &pairs)))
    }

    /// An error response to a known-good redirect URI, with the request's `state` and the issuer
    /// (RFC 9207).
    fn error_redirect(&self, redirect_uri: &str, e: &ErrorResponse, state: Option<&str>) -> String {
        let issuer = self.issuer();
        let mut pairs = vec![("error", e.error), ("error_description", e.description.as_str())];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", &issuer));
        redirect_with(redirect_uri, &pairs)
    }
}
