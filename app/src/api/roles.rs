//! Settings -> Roles & permissions: custom roles, and which roles require MFA. Every change here
//! needs the owner's fresh second factor (a role can make MFA optional for its members).

use leptos::prelude::*;

use crate::error::AppError;

/// Creates a custom role from the permissions ticked (checkboxes named `permissions[N]`, so the
/// ones ticked arrive as a list), with the owner's code when their last one is not fresh.
#[server(prefix = "/api", endpoint = "roles/create")]
pub async fn create_role(
    #[server(default)] name: String,
    #[server(default)] permissions: Vec<String>,
    #[server(default)] requires_mfa: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::RoleForm;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let form = RoleForm { name, permissions, requires_mfa: requires_mfa == "true", code };
    app.tessera.create_role(&s, &form, &meta).await?;
    go("/settings/roles?created");
    Ok(())
}

/// Makes a role require MFA of its members, or stop requiring it.
#[server(prefix = "/api", endpoint = "roles/mfa")]
pub async fn set_role_mfa(
    #[server(default)] role: String,
    #[server(default)] requires_mfa: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::TeamError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let role = role.trim().parse::<i64>().map_err(|_| AppError::NotFound)?;
    let requires = match requires_mfa.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest),
    };
    match app.tessera.set_role_requires_mfa(&s, role, requires, "", &meta).await {
        Ok(()) | Err(TeamError::NothingToChange) => go("/settings/roles?saved"),
        Err(TeamError::StepUpRequired | TeamError::WrongCode | TeamError::CodeUsed) => {
            return Err(AppError::StepUpFirst(None))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
