//! Signing in (email, password, the MFA challenge) and out, the first-run setup, and choosing a
//! password through a one-time link.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Where a right password leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInStep {
    /// Signed in.
    Done,
    /// The account has MFA: the challenge comes next.
    MfaRequired,
    /// Signed in, but the organisation requires MFA first: the enrolment wizard comes next.
    EnrolmentRequired,
}

/// Step one of sign-in: remember the email and ask for the password. Says nothing about whether
/// the account exists; only the shape of the address is checked.
#[server(prefix = "/api", endpoint = "login/email")]
pub async fn login_email(#[server(default)] email: String) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::App;
    use crate::error::Field;

    let App(app) = extract().await?;
    let email = tessera_server::model::Email::parse(&email).map_err(|p| AppError::field(Field::Email, p.into()))?;
    set_cookie(app.cookies.set_login_step(&app.tessera.seal_login_step(&email.display)));
    go("/login/password");
    Ok(())
}

/// Step two: the password for the email of step one. Wrong passwords, unknown accounts and
/// accounts that must wait all get the same answer.
#[server(prefix = "/api", endpoint = "login/password")]
pub async fn login_password(#[server(default)] password: String) -> Result<SignInStep, AppError> {
    use super::server::{extract, go, headers, set_cookie};
    use crate::ctx::{App, Meta};
    use tessera_server::services::SignInStep as Step;

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    let headers = headers();
    let sealed = app.cookies.login_step(&headers).ok_or(AppError::EmailFirst)?;
    let email = app.tessera.open_login_step(&sealed).ok_or(AppError::EmailFirst)?;
    let previous = app.cookies.session_token(&headers);
    let step = app.tessera.sign_in(&email, &password, previous.as_deref(), &meta).await?;
    set_cookie(app.cookies.clear(app.cookies.login_step_name()));
    let (token, step) = match step {
        Step::MfaRequired(token) => (token, SignInStep::MfaRequired),
        Step::Done(token) => {
            // The policy may confine this person to enrolment: send them straight there.
            let now = app.tessera.clock.now();
            let confined = app
                .tessera
                .session(token.expose())
                .await?
                .is_some_and(|s| s.mfa_requirement(now) == tessera_server::policy::Requirement::MustEnrol);
            (token, if confined { SignInStep::EnrolmentRequired } else { SignInStep::Done })
        }
    };
    set_cookie(app.cookies.set_session(token.expose()));
    go(match step {
        SignInStep::Done => "/",
        SignInStep::MfaRequired => "/login/mfa",
        SignInStep::EnrolmentRequired => "/account/security/enrol-required",
    });
    Ok(step)
}

/// The MFA challenge of a half-finished sign-in: a code from the authenticator app or a
/// recovery code. `kind` only says which form was used, to show it again after a wrong code.
#[server(prefix = "/api", endpoint = "login/mfa")]
pub async fn answer_challenge(#[server(default)] code: String) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, Challenged, Meta};
    use tessera_server::mfa::Factor;

    let (App(app), Challenged(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let (token, factor) = app.tessera.answer_challenge(&s, &code, &meta).await?;
    set_cookie(app.cookies.set_session(token.expose()));
    go(match factor {
        Factor::Totp => "/",
        Factor::RecoveryCode { .. } => "/account/security?recovery-used",
    });
    Ok(())
}

/// Ends the session, from any state (a half-finished sign-in too).
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::server::{extract, go, headers, set_cookie};
    use crate::ctx::{App, Meta};

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    if let Some(token) = app.cookies.session_token(&headers()) {
        app.tessera.sign_out(&token, &meta).await?;
    }
    set_cookie(app.cookies.clear(app.cookies.session_name()));
    go("/login?signed-out");
    Ok(())
}

/// First run: the organisation and its owner, through the setup link; signs the owner in.
#[server(prefix = "/api", endpoint = "setup")]
pub async fn complete_setup(
    #[server(default)] token: String,
    #[server(default)] org_name: String,
    #[server(default)] org_kind: String,
    #[server(default)] display_name: String,
    #[server(default)] email: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, Meta};
    use tessera_server::services::SetupForm;

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    let form = SetupForm { org_name, org_kind, display_name, email, password };
    let session = app.tessera.complete_setup(&token, &form, &meta).await?;
    set_cookie(app.cookies.set_session(session.expose()));
    go("/");
    Ok(())
}

/// Chooses a password through a one-time link. Does not sign in.
#[server(prefix = "/api", endpoint = "set-password")]
pub async fn set_password(
    #[server(default)] token: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta};

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    app.tessera.complete_set_password(&token, &password, &meta).await?;
    go("/login?password-set");
    Ok(())
}
