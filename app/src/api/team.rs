//! Settings -> Team: inviting people, changing a member's role, disabling an account, and
//! resetting a teammate's MFA. The use cases decide who may do what to whom (owners are
//! protected, nobody acts on their own account, nobody gives permissions they lack); a change
//! that gives permissions, and a reset, need the actor's fresh second factor, which may come as
//! `code` with the form.

use leptos::prelude::*;

use crate::error::AppError;

/// Invites someone by email with one of the organisation's roles; they choose their password
/// through a one-time link.
#[server(prefix = "/api", endpoint = "team/invite")]
pub async fn invite_member(
    #[server(default)] email: String,
    #[server(default)] name: String,
    #[server(default)] role: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::InviteForm;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let form = InviteForm { email, name, role_id: role, code };
    app.tessera.invite_member(&s, &form, &meta).await.map_err(|e| step_up_error(&s, e))?;
    go("/settings/team?invited");
    Ok(())
}

/// Invites everyone on a pasted list with one role, under the rules of one invitation; a bad
/// line invites nobody. The Team page says how many went out.
#[server(prefix = "/api", endpoint = "team/invite-list")]
pub async fn invite_list(
    #[server(default)] addresses: String,
    #[server(default)] role: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::invitations::ListForm;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let form = ListForm { addresses, role_id: role, code };
    let sent = app.tessera.invite_list(&s, &form, &meta).await.map_err(|e| step_up_error(&s, e))?;
    // Counts only: the addresses themselves stay out of URLs (and so out of access logs).
    go(&format!("/settings/team?invited={}&resent={}&left_out={}", sent.invited, sent.resent, sent.left_out));
    Ok(())
}

/// Sends everyone invited and not yet joined a new link.
#[server(prefix = "/api", endpoint = "team/invitations/resend-all")]
pub async fn resend_all_invitations() -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::TeamError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    match app.tessera.resend_pending_invitations(&s, &meta).await {
        Ok(r) => {
            go(&format!("/settings/team?resent_all={}&just_sent={}&not_yours={}", r.sent, r.just_sent, r.not_yours))
        }
        Err(TeamError::NothingToChange) => go("/settings/team?none_waiting"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Sends an invited member a new link; the old one stops working.
#[server(prefix = "/api", endpoint = "team/invitation/resend")]
pub async fn resend_invitation(#[server(default)] member: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::TeamError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let member = member_id(&member)?;
    match app.tessera.resend_invitation(&s, member, &meta).await {
        Ok(()) => go(&format!("/settings/team/{member}?resent")),
        Err(TeamError::NothingToChange) => go(&format!("/settings/team/{member}?accepted")),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Withdraws an invitation nobody accepted: the link dies and the unused account goes.
#[server(prefix = "/api", endpoint = "team/invitation/revoke")]
pub async fn revoke_invitation(#[server(default)] member: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::TeamError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let member = member_id(&member)?;
    match app.tessera.revoke_invitation(&s, member, &meta).await {
        Ok(_) => go("/settings/team?revoked"),
        Err(TeamError::NothingToChange) => go(&format!("/settings/team/{member}?accepted")),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Gives a member another role.
#[server(prefix = "/api", endpoint = "team/role")]
pub async fn change_member_role(
    #[server(default)] member: String,
    #[server(default)] role: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use crate::error::{Field, Problem};
    use tessera_server::team::TeamError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let member = member_id(&member)?;
    match app.tessera.change_member_role(&s, member, &role, &code, &meta).await {
        Ok(()) => go(&format!("/settings/team/{member}?role")),
        Err(TeamError::NothingToChange) => go(&format!("/settings/team/{member}?unchanged")),
        Err(TeamError::Invalid(_)) => return Err(AppError::field(Field::Role, Problem::NotInList)),
        Err(e) => return Err(step_up_error(&s, e)),
    }
    Ok(())
}

/// Disables a member's account (ending every session), or enables it again.
#[server(prefix = "/api", endpoint = "team/disable")]
pub async fn set_member_disabled(
    #[server(default)] member: String,
    #[server(default)] disabled: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::TeamError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let member = member_id(&member)?;
    let disabled = match disabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest),
    };
    match app.tessera.set_member_disabled(&s, member, disabled, &meta).await {
        Ok(()) => go(&format!("/settings/team/{member}?{}", if disabled { "disabled" } else { "enabled" })),
        Err(TeamError::NothingToChange) => go(&format!("/settings/team/{member}?unchanged")),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Resets a teammate's MFA after the actor's confirmation, their answer to "How did you verify
/// who is asking?" and (when their last second factor is not fresh) their code: authenticator,
/// pending enrolment and recovery codes go, every session of the member ends, and they are told
/// by email what their next sign-in asks. Where that is a temporary access code, the actor is
/// sent to the page that shows it once.
#[server(prefix = "/api", endpoint = "team/reset-mfa")]
pub async fn reset_member_mfa(
    #[server(default)] member: String,
    #[server(default)] reason: String,
    #[server(default)] verified_by: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::{ResetForm, TeamError};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let member = member_id(&member)?;
    let form = ResetForm { reason, verified_by, code };
    match app.tessera.reset_member_mfa(&s, member, &form, &meta).await {
        Ok(after) if after.holds() => go(&format!("/settings/team/{member}/access-code?reset")),
        Ok(_) => go(&format!("/settings/team/{member}?reset")),
        Err(TeamError::NothingToChange) => go(&format!("/settings/team/{member}?unchanged")),
        Err(e) => return Err(step_up_error(&s, e)),
    }
    Ok(())
}

/// Corrects a member's email address (the one on record is wrong): their sessions and anything
/// sent to the old address end, and both addresses are told. Needs the actor's fresh second
/// factor, which may come as `code`.
#[server(prefix = "/api", endpoint = "team/email")]
pub async fn correct_member_email(
    #[server(default)] member: String,
    #[server(default)] member_email: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::TeamError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let member = member_id(&member)?;
    match app.tessera.correct_member_email(&s, member, &member_email, &code, &meta).await {
        Ok(()) => go(&format!("/settings/team/{member}?email")),
        Err(TeamError::NothingToChange) => go(&format!("/settings/team/{member}?unchanged")),
        Err(e) => return Err(step_up_error(&s, e)),
    }
    Ok(())
}

/// A new temporary access code for a member an MFA reset holds (the last one expired or was
/// lost); the old one stops working. Needs the actor's fresh second factor; the code is shown
/// once on the page this leads to.
#[server(prefix = "/api", endpoint = "team/access-code")]
pub async fn issue_access_code(
    #[server(default)] member: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::team::TeamError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let member = member_id(&member)?;
    match app.tessera.issue_access_code(&s, member, &code, &meta).await {
        Ok(()) => go(&format!("/settings/team/{member}/access-code")),
        Err(TeamError::NothingToChange) => go(&format!("/settings/team/{member}?unchanged")),
        Err(e) => return Err(step_up_error(&s, e)),
    }
    Ok(())
}

/// A person without an authenticator app proves a stale step-up with an emailed code, on the
/// step-up page; anyone else types their code into the form.
#[cfg(feature = "ssr")]
fn step_up_error(s: &tessera_server::session::SessionInfo, e: tessera_server::team::TeamError) -> AppError {
    match e {
        tessera_server::team::TeamError::StepUpRequired if !s.has_mfa => AppError::StepUpFirst(None),
        other => other.into(),
    }
}

/// A member's id as the forms send it; anything else names nobody.
#[cfg(feature = "ssr")]
fn member_id(field: &str) -> Result<i64, AppError> {
    field.trim().parse::<i64>().map_err(|_| AppError::NotFound)
}
