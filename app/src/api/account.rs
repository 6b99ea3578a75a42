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
    go("/account/security?password-changed");
    Ok(())
}
