//! A person's own account: changing the password while signed in.

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
