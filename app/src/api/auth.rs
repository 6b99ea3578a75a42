//! Signing in (email, password, the MFA challenge) and out, the first-run setup, and choosing a
//! password through a one-time link.

use leptos::prelude::*;

use crate::error::AppError;

/// Step one of sign-in: remember the email (and the page the person was going to) and ask for
/// the password. Says nothing about whether the account exists; only the shape of the address is
/// checked.
#[server(prefix = "/api", endpoint = "login/email")]
pub async fn login_email(#[server(default)] email: String, #[server(default)] next: String) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::App;
    use crate::error::Field;
    use tessera_server::sign_in::{Destination, Step};

    let App(app) = extract().await?;
    let sealed = app
        .tessera
        .begin_sign_in(&email, Destination::from_next(&next))
        .map_err(|p| AppError::field(Field::Email, p.into()))?;
    set_cookie(app.cookies.set_login_step(&sealed));
    go(&page_of(&Step::Password));
    Ok(())
}

/// Step two: the password for the email of step one. Wrong passwords and unknown accounts get
/// the same answer; so does an address that must wait, for everyone. On to the step the sign-in
/// pipeline names.
#[server(prefix = "/api", endpoint = "login/password")]
pub async fn login_password(#[server(default)] password: String) -> Result<(), AppError> {
    use super::server::{extract, headers, set_cookie};
    use crate::ctx::{App, Meta};
    use tessera_server::sign_in::SignInError;

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    let headers = headers();
    let sealed = app.cookies.login_step(&headers);
    let previous = app.cookies.session_token(&headers);
    let progress = match app.tessera.password_step(sealed.as_deref(), &password, previous.as_deref(), &meta).await {
        // The page saying so reads what it says from the browser's sign-in cookie, sealed, so
        // only the person who typed the password sees it.
        Err(SignInError::Disabled(account)) => {
            set_cookie(app.cookies.set_login_step(&app.tessera.seal_disabled_account(&account)));
            return Err(AppError::AccountDisabled);
        }
        other => other?,
    };
    carry(&app, progress);
    Ok(())
}

/// The MFA challenge of a half-finished sign-in: a code from the authenticator app, a recovery
/// code, or (`kind=email`, where the organisation allows it) the code mailed for this sign-in.
/// On to the step the sign-in pipeline names.
#[server(prefix = "/api", endpoint = "login/mfa")]
pub async fn answer_challenge(
    #[server(default)] code: String,
    #[server(default)] kind: String,
) -> Result<(), AppError> {
    use super::server::{extract, headers};
    use crate::ctx::{App, Challenged, Meta};

    let (App(app), Challenged(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    // An account an MFA reset holds answers with the temporary access code instead.
    let held = app.tessera.needs_access_code(&s);
    let sealed = app.cookies.login_step(&headers());
    let progress =
        app.tessera.second_factor_step(&s, sealed.as_deref(), &code, kind == "email", &meta).await.map_err(|e| {
            use crate::error::{Field, Problem};
            use tessera_server::mfa::CodeError;
            match e {
                CodeError::Invalid if held => AppError::field(Field::Code, Problem::AccessCodeWrong),
                CodeError::Expired if held => AppError::field(Field::Code, Problem::AccessCodeExpired),
                other => other.into(),
            }
        })?;
    carry(&app, progress);
    Ok(())
}

/// Carries a step of the sign-in pipeline to the browser: the session's cookie, what is kept of
/// the sign-in for its next steps (or nothing), and the page of the next step.
#[cfg(feature = "ssr")]
fn carry(app: &crate::ctx::AppState, progress: tessera_server::sign_in::Progress) {
    use super::server::{go, set_cookie};

    set_cookie(app.cookies.set_session(progress.token.expose()));
    set_cookie(match &progress.keep {
        Some(sealed) => app.cookies.set_login_step(sealed),
        None => app.cookies.clear(app.cookies.login_step_name()),
    });
    go(&page_of(&progress.step));
}

/// The page each step of sign-in is done on.
#[cfg(feature = "ssr")]
pub fn page_of(step: &tessera_server::sign_in::Step) -> String {
    use crate::error::pages;
    use tessera_server::sign_in::Step;

    match step {
        Step::Password => "/login/password".into(),
        Step::SecondFactor => pages::CHALLENGE.into(),
        Step::NewPassword => pages::PASSWORD_EXPIRED.into(),
        Step::Enrol => pages::ENROL_REQUIRED.into(),
        Step::PasswordPrompt => "/account/security/new-password".into(),
        // Knowing that a recovery code is spent (and how many are left) comes first; that page
        // then leads on to the destination.
        Step::RecoveryCodeUsed(to) => match to.next() {
            Some(page) => format!(
                "/account/security?recovery-used&{}",
                serde_urlencoded::to_string([("next", page)]).unwrap_or_default()
            ),
            None => "/account/security?recovery-used".into(),
        },
        Step::Done(to) => to.path().into(),
    }
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
    use tessera_server::setup::SetupForm;

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

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    let email = app.tessera.complete_set_password(&token, &password, &meta).await?;
    // The sign-in page that follows has the address filled in (sealed, like the sign-in step).
    set_cookie(app.cookies.set_login_step(&app.tessera.prefill_sign_in(&email)));
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
    if let Err(wait) = app.tessera.check_reset_rate(&meta).await {
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

    let (App(app), Meta(meta)) = (extract().await?, extract().await?);
    let form = ResetForm { email, password, password_again };
    let email = app.tessera.complete_password_reset(&token, &form, &meta).await.map_err(|e| match e {
        tessera_server::form_errors::FormError::LinkInvalid => AppError::ResetLinkInvalid,
        other => other.into(),
    })?;
    // This browser's session (if any) ended with the others.
    if app.cookies.session_token(&headers()).is_some() {
        set_cookie(app.cookies.clear(app.cookies.session_name()));
    }
    set_cookie(app.cookies.set_login_step(&app.tessera.prefill_sign_in(&email)));
    go("/login?password-reset");
    Ok(())
}
