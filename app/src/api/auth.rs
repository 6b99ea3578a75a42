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
    /// Signed in, but the password expired: a new one comes next.
    PasswordExpired,
}

/// Step one of sign-in: remember the email (and the page the person was going to) and ask for
/// the password. Says nothing about whether the account exists; only the shape of the address is
/// checked.
#[server(prefix = "/api", endpoint = "login/email")]
pub async fn login_email(#[server(default)] email: String, #[server(default)] next: String) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::App;
    use crate::error::Field;
    use tessera_server::services::LoginStep;

    let App(app) = extract().await?;
    let email = tessera_server::model::Email::parse(&email).map_err(|p| AppError::field(Field::Email, p.into()))?;
    let next = super::own_page(&next).unwrap_or_default().to_string();
    set_cookie(app.cookies.set_login_step(&app.tessera.seal_login_step(&LoginStep { email: email.display, next })));
    go("/login/password");
    Ok(())
}

/// Step two: the password for the email of step one. Wrong passwords and unknown accounts get
/// the same answer; so does an address that must wait, for everyone.
#[server(prefix = "/api", endpoint = "login/password")]
pub async fn login_password(#[server(default)] password: String) -> Result<SignInStep, AppError> {
    use super::server::{extract, go, headers, set_cookie};
    use crate::ctx::{App, Meta};
    use tessera_server::services::{LoginStep, SignInStep as Step};

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    let headers = headers();
    let login = app
        .cookies
        .login_step(&headers)
        .and_then(|sealed| app.tessera.open_login_step(&sealed))
        .filter(|l| !l.email.is_empty())
        .ok_or(AppError::EmailFirst)?;
    let previous = app.cookies.session_token(&headers);
    let step = app.tessera.sign_in(&login.email, &password, previous.as_deref(), &meta).await?;
    let mut prompt = false;
    let (token, step) = match step {
        Step::MfaRequired(token) => (token, SignInStep::MfaRequired),
        Step::Done(token) => {
            // One look at the new session: the policy may confine this person to enrolment
            // (straight there), and after a reset the first full sign-in asks about MFA.
            let now = app.tessera.clock.now();
            let session = app.tessera.session(token.expose()).await?;
            let expired = session.as_ref().is_some_and(|s| s.password_expired(now));
            let confined = session
                .as_ref()
                .is_some_and(|s| s.mfa_requirement(now) == tessera_server::policy::Requirement::MustEnrol);
            if let (Some(s), false) = (&session, confined || expired) {
                prompt = app.tessera.password_prompt(s).await?.is_some();
            }
            let step = if expired {
                SignInStep::PasswordExpired
            } else if confined {
                SignInStep::EnrolmentRequired
            } else {
                SignInStep::Done
            };
            (token, step)
        }
    };
    set_cookie(app.cookies.set_session(token.expose()));
    // The address is no longer needed; where the person was going is, until the code is in.
    let next = super::own_page(&login.next).unwrap_or("/");
    set_cookie(match step {
        SignInStep::MfaRequired if next != "/" => app
            .cookies
            .set_login_step(&app.tessera.seal_login_step(&LoginStep { email: String::new(), next: next.to_string() })),
        _ => app.cookies.clear(app.cookies.login_step_name()),
    });
    go(match step {
        SignInStep::Done if prompt => "/account/security/new-password",
        SignInStep::Done => next,
        SignInStep::MfaRequired => "/login/mfa",
        SignInStep::EnrolmentRequired => "/account/security/enrol-required",
        SignInStep::PasswordExpired => "/account/security/password-expired",
    });
    Ok(step)
}

/// The MFA challenge of a half-finished sign-in: a code from the authenticator app, a recovery
/// code, or (`kind=email`, where the organisation allows it) the code mailed for this sign-in.
/// On success, on to the page the person was going to.
#[server(prefix = "/api", endpoint = "login/mfa")]
pub async fn answer_challenge(
    #[server(default)] code: String,
    #[server(default)] kind: String,
) -> Result<(), AppError> {
    use super::server::{extract, go, headers, set_cookie};
    use crate::ctx::{App, Challenged, Meta};
    use tessera_server::mfa::Factor;

    let (App(app), Challenged(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    // An account an MFA reset holds answers with the temporary access code instead.
    let held = app.tessera.needs_access_code(&s);
    let (token, factor) = app.tessera.answer_challenge(&s, &code, kind == "email", &meta).await.map_err(|e| {
        use crate::error::{Field, Problem};
        use tessera_server::mfa::CodeError;
        match e {
            CodeError::Invalid if held => AppError::field(Field::Code, Problem::AccessCodeWrong),
            CodeError::Expired if held => AppError::field(Field::Code, Problem::AccessCodeExpired),
            other => other.into(),
        }
    })?;
    set_cookie(app.cookies.set_session(token.expose()));
    let sealed = app.cookies.login_step(&headers());
    let next = sealed.as_deref().and_then(|s| app.tessera.open_login_step(s)).map(|l| l.next).unwrap_or_default();
    if sealed.is_some() {
        set_cookie(app.cookies.clear(app.cookies.login_step_name()));
    }
    let session = app.tessera.session(token.expose()).await?;
    if session.as_ref().is_some_and(|s| s.password_expired(app.tessera.clock.now())) {
        go("/account/security/password-expired");
        return Ok(());
    }
    let prompt = match session {
        Some(s) => app.tessera.password_prompt(&s).await?.is_some(),
        None => false,
    };
    let to = match factor {
        // Through to enrolment, which the hold confines the person to until they are done.
        Factor::AccessCode => "/account/security/enrol-required".to_string(),
        Factor::Totp | Factor::EmailCode if prompt => "/account/security/new-password".to_string(),
        Factor::Totp | Factor::EmailCode => super::own_page(&next).unwrap_or("/").to_string(),
        // Knowing that a recovery code is spent (and how many are left) comes first; that page
        // then leads on to where the person was going.
        Factor::RecoveryCode { .. } => match super::own_page(&next).filter(|p| *p != "/") {
            Some(page) => format!(
                "/account/security?recovery-used&{}",
                serde_urlencoded::to_string([("next", page)]).unwrap_or_default()
            ),
            None => "/account/security?recovery-used".to_string(),
        },
    };
    go(&to);
    Ok(())
}

/// Mails a code for this half-finished sign-in, where the organisation allows email codes as a
/// second factor; then the challenge asks for it. One a minute, five an hour.
#[server(prefix = "/api", endpoint = "login/email-code")]
pub async fn send_sign_in_code() -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Challenged, Meta};

    let (App(app), Challenged(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    app.tessera.send_email_code(&s, &meta).await?;
    go("/login/mfa?email");
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
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, Meta};
    use tessera_server::services::LoginStep;

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    let email = app.tessera.complete_set_password(&token, &password, &meta).await?;
    // The sign-in page that follows has the address filled in (sealed, like the sign-in step).
    set_cookie(app.cookies.set_login_step(&app.tessera.seal_login_step(&LoginStep { email, next: String::new() })));
    go("/login?password-set");
    Ok(())
}

/// "Send reset link". Always the same answer, whatever the address: whether a link goes out is
/// decided afterwards, in the background. Limited per IP (on top of the sign-in limit).
#[server(prefix = "/api", endpoint = "password/forgot")]
pub async fn forgot_password(#[server(default)] email: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta};

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    if let Err(wait) = app.tessera.check_reset_rate(&meta) {
        return Err(AppError::TooManyAttempts(u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX)));
    }
    app.tessera.request_password_reset(&email, &meta)?;
    go("/forgot-password/sent");
    Ok(())
}

/// "Reset password" through the mailed link: the address it went to and the new password twice.
/// Ends every session of the account and does not sign in: the next sign-in still asks for the
/// second factor.
#[server(prefix = "/api", endpoint = "password/reset")]
pub async fn reset_password(
    #[server(default)] token: String,
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] password_again: String,
) -> Result<(), AppError> {
    use super::server::{extract, go, headers, set_cookie};
    use crate::ctx::{App, Meta};
    use tessera_server::password_reset::ResetForm;
    use tessera_server::services::LoginStep;

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    let form = ResetForm { email, password, password_again };
    let email = app.tessera.complete_password_reset(&token, &form, &meta).await.map_err(|e| match e {
        tessera_server::services::FormError::LinkInvalid => AppError::ResetLinkInvalid,
        other => other.into(),
    })?;
    // This browser's session (if any) ended with the others.
    if app.cookies.session_token(&headers()).is_some() {
        set_cookie(app.cookies.clear(app.cookies.session_name()));
    }
    set_cookie(app.cookies.set_login_step(&app.tessera.seal_login_step(&LoginStep { email, next: String::new() })));
    go("/login?password-reset");
    Ok(())
}
