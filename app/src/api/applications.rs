//! Settings -> Applications: registering the organisation's applications that sign in with
//! Tessera, replacing their secrets, disabling and removing them. Every change needs the
//! `manage-applications` permission and a fresh second factor.

use leptos::prelude::*;

use crate::error::AppError;

/// The page of one application (its client id is URL-safe).
#[cfg(feature = "ssr")]
fn application_page(client_id: &str, notice: &str) -> String {
    let id: String = client_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    format!("/settings/applications/{id}?{notice}")
}

/// Registers an application: its name, type, redirect URIs and URIs for after sign-out (one per
/// line), the roles that may use it (checkboxes named `roles[N]`; none: everyone) and whether it
/// requires MFA. A confidential application's secret is shown once, on its page.
#[server(prefix = "/api", endpoint = "applications/add")]
pub async fn add_application(
    #[server(default)] name: String,
    #[server(default)] kind: String,
    #[server(default)] redirect_uris: String,
    #[server(default)] logout_uris: String,
    #[server(default)] roles: Vec<String>,
    #[server(default)] require_mfa: String,
) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::applications::ApplicationForm;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let confidential = match kind.as_str() {
        "confidential" => true,
        "public" => false,
        _ => return Err(AppError::BadRequest),
    };
    let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    let form = ApplicationForm {
        name,
        confidential,
        redirect_uris: lines(&redirect_uris),
        logout_uris: lines(&logout_uris),
        roles,
        require_mfa: require_mfa == "true",
        es256: false,
    };
    let registered = app.tessera.add_application(&s, &form, &meta).await?;
    if let Some(secret) = &registered.client_secret {
        set_cookie(app.cookies.set_secret(&app.tessera.seal_secret_to_show(&s, &registered.client_id, secret)));
    }
    go(&application_page(&registered.client_id, "registered"));
    Ok(())
}

/// A new client secret for a confidential application, shown once; the old one stops working.
#[server(prefix = "/api", endpoint = "applications/rotate-secret")]
pub async fn rotate_client_secret(#[server(default)] client_id: String) -> Result<(), AppError> {
    use super::server::{extract, go, set_cookie};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let secret = app.tessera.rotate_client_secret(&s, &client_id, &meta).await?;
    set_cookie(app.cookies.set_secret(&app.tessera.seal_secret_to_show(&s, &client_id, &secret)));
    go(&application_page(&client_id, "rotated"));
    Ok(())
}

/// Disables an application (nobody signs in to it; what it holds of anyone is revoked) or
/// enables it again (`disabled` is `true` or `false`).
#[server(prefix = "/api", endpoint = "applications/disable")]
pub async fn set_application_disabled(
    #[server(default)] client_id: String,
    #[server(default)] disabled: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let disabled = match disabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest),
    };
    app.tessera.set_application_disabled(&s, &client_id, disabled, &meta).await?;
    go(&application_page(&client_id, if disabled { "disabled" } else { "enabled" }));
    Ok(())
}

/// Removes an application: nobody signs in to it with Tessera any more.
#[server(prefix = "/api", endpoint = "applications/remove")]
pub async fn remove_application(#[server(default)] client_id: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    app.tessera.remove_application(&s, &client_id, &meta).await?;
    go("/settings/applications?removed");
    Ok(())
}
