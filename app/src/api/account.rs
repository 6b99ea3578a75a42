//! A person's own account: changing the password and the email address while signed in.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes the password: the current one, the new one twice, after a fresh second factor (the
/// step-up page, which sends people without an app a code by email). Every other session ends;
/// this one continues under a new token.
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    #[server(default)] current_password: String,
    #[server(default)] password: String,
    #[server(default)] password_again: String,
) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::account::PasswordChange;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let form = PasswordChange { current: current_password, password, password_again };
    let token = app.tessera.change_password(&s, &form, &meta).await?;
    set_cookie(app.cookies.set_session(token.expose()));
    // What about MFA, now that the password is new.
    go("/account/security/new-password?changed");
    Ok(())
}

/// The answer to "what about your MFA?" after a new password: `no-thanks`, `keep`, or `new`
/// (which starts the enrolment wizard for a new authenticator app).
#[server(prefix = "/api", endpoint = "account/password-prompt")]
pub async fn answer_password_prompt(#[server(default)] choice: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::account::PromptChoice;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let choice = choice.parse::<PromptChoice>().map_err(|_| AppError::BadRequest)?;
    if choice == PromptChoice::NewAuthenticator {
        // The wizard first: if it needs a fresh code, nothing is recorded until it starts.
        app.tessera.start_enrolment(&s, &meta).await?;
    }
    app.tessera.answer_password_prompt(&s, choice, &meta).await?;
    go(match choice {
        PromptChoice::NewAuthenticator => "/account/security/mfa",
        PromptChoice::Keep | PromptChoice::NoThanks => "/",
    });
    Ok(())
}

/// Asks to move the account to `new_email`: after a fresh code from the authenticator app (or a
/// recovery code), a confirmation link goes to the new address and the current one is told.
#[server(prefix = "/api", endpoint = "account/email")]
pub async fn request_email_change(#[server(default)] new_email: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    app.tessera.request_email_change(&s, &new_email, &meta).await?;
    go("/account/security/email?sent");
    Ok(())
}

/// Confirms a new email address through the link mailed to it (the link is the authority: it
/// works signed in or not). Signed in, back to account security; otherwise to sign-in, with the
/// new address filled in.
#[server(prefix = "/api", endpoint = "account/email/confirm")]
pub async fn confirm_email_change(#[server(default)] token: String) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{Anyone, App, Meta};

    let (App(app), Anyone(current), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let email = app.tessera.confirm_email_change(&token, &meta).await?;
    if current.signed_in().is_some() {
        go("/account/security?email-changed");
    } else {
        set_cookie(app.cookies.set_login_step(&app.tessera.prefill_sign_in(&email)));
        go("/login?email-changed");
    }
    Ok(())
}

/// A new password once the old one expired (the organisation's password expiry): the new one
/// twice. Like a change, every other session ends and the MFA question follows.
#[server(prefix = "/api", endpoint = "account/password-expired")]
pub async fn replace_expired_password(
    #[server(default)] password: String,
    #[server(default)] password_again: String,
) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, Expired, Meta};
    use tessera_server::account::PasswordChange;

    let (App(app), Expired(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let form = PasswordChange { current: String::new(), password, password_again };
    let token = app.tessera.replace_expired_password(&s, &form, &meta).await?;
    set_cookie(app.cookies.set_session(token.expose()));
    go("/account/security/new-password?changed");
    Ok(())
}

/// Unlinks a sign-in provider (Google, Microsoft, another) from the account, after a fresh
/// second factor: that provider's account no longer signs in to this one.
#[server(prefix = "/api", endpoint = "account/unlink-provider")]
pub async fn unlink_provider(#[server(default)] provider: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let id = provider.trim().parse::<i64>().map_err(|_| AppError::BadRequest)?;
    match app.tessera.unlink_sso_provider(&s, id, &meta).await? {
        true => go("/account/security?unlinked"),
        false => go("/account/security"),
    }
    Ok(())
}

/// Account security -> "Link it": links the provider account this browser just signed in with
/// (kept sealed in a cookie since the provider sent it back unlinked) to the signed-in account,
/// after a fresh second factor.
#[server(prefix = "/api", endpoint = "account/link-pending-provider")]
pub async fn link_pending_provider() -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::sso::Landing;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let sealed = app.cookies.pending_link(&super::server::headers()).unwrap_or_default();
    let landing = app.tessera.link_pending(&s, &sealed, &meta).await?;
    set_cookie(app.cookies.clear(app.cookies.pending_link_name()));
    match landing {
        Landing::Linked { .. } => go("/account/security?linked"),
        Landing::Refused { provider, reason, .. } => {
            let with = provider.map(|id| format!("&with={id}")).unwrap_or_default();
            go(&format!("/account/security?sso={}{with}", reason.code()))
        }
        _ => go("/account/security"),
    }
    Ok(())
}

/// Account security -> "Don't link": forgets the provider account this browser signed in with.
#[server(prefix = "/api", endpoint = "account/forget-pending-provider")]
pub async fn forget_pending_provider() -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, SignedIn};

    let (App(app), SignedIn(_)) = (extract().await?, extract().await?);
    set_cookie(app.cookies.clear(app.cookies.pending_link_name()));
    go("/account/security");
    Ok(())
}
