//! A person's own MFA: enrolling an authenticator app (also to replace one), proving a second
//! factor before a sensitive change (step-up), new recovery codes, and turning MFA off.

use leptos::prelude::*;

use crate::error::AppError;

/// Starts enrolling an authenticator app, or replacing the current one (which needs a fresh
/// second factor first). The wizard's first page shows the QR code and the key.
#[server(prefix = "/api", endpoint = "mfa/start")]
pub async fn start_enrolment() -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Enrolling, Meta};

    let (App(app), Enrolling(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    app.tessera.start_enrolment(&s, &meta).await?;
    go("/account/security/mfa");
    Ok(())
}

/// Turns MFA on with the first code of the new authenticator. A first enrolment goes on to its
/// recovery codes (shown once); replacing an authenticator keeps the codes there are.
#[server(prefix = "/api", endpoint = "mfa/confirm")]
pub async fn confirm_enrolment(#[server(default)] code: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Enrolling, Meta};
    use tessera_server::mfa::CodeError;

    let (App(app), Enrolling(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let codes = match app.tessera.confirm_enrolment(&s, &code, &meta).await {
        Ok(codes) => codes,
        // The wizard waited too long: its secret is gone.
        Err(CodeError::NotApplicable) => return Err(AppError::EnrolmentExpired),
        Err(e) => return Err(e.into()),
    };
    if codes.is_empty() {
        go("/account/security?reset");
    } else {
        app.tessera.keep_codes_to_show(&s, &codes, false).await?;
        go("/account/security/recovery-codes");
    }
    Ok(())
}

/// Step-up: a code from the authenticator app or a recovery code, before a sensitive change;
/// then back to `next` (a page of Tessera's own account or settings sections only).
#[server(prefix = "/api", endpoint = "mfa/verify")]
pub async fn step_up(#[server(default)] code: String, #[server(default)] next: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    app.tessera.step_up(&s, &code, &meta).await?;
    go(safe_next(&next));
    Ok(())
}

/// Mails a code to a signed-in person without an authenticator app, to confirm a sensitive
/// change with; then back to the step-up page, which asks for it. One a minute, five an hour.
#[server(prefix = "/api", endpoint = "mfa/email-code")]
pub async fn send_email_code(#[server(default)] next: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    app.tessera.send_email_code(&s, &meta).await?;
    let query = serde_urlencoded::to_string([("next", safe_next(&next))]).unwrap_or_default();
    go(&format!("/account/security/verify?{query}"));
    Ok(())
}

/// A new set of recovery codes (shown once); the old set stops working at once.
#[server(prefix = "/api", endpoint = "mfa/recovery-codes")]
pub async fn regenerate_recovery_codes() -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let codes = app.tessera.regenerate_recovery_codes(&s, &meta).await?;
    app.tessera.keep_codes_to_show(&s, &codes, true).await?;
    go("/account/security/recovery-codes");
    Ok(())
}

/// Turns MFA off, where the organisation allows it, after a fresh second factor and only once
/// the person confirmed it (`confirm=yes`, from the confirmation that says what changes): a form
/// without it leads to that confirmation instead.
#[server(prefix = "/api", endpoint = "mfa/disable")]
pub async fn disable_mfa(#[server(default)] confirm: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    if confirm != "yes" {
        go("/account/security/disable");
        return Ok(());
    }
    app.tessera.disable_mfa(&s, &meta).await?;
    go("/account/security?disabled");
    Ok(())
}

/// Where to go after step-up: only a page of Tessera's own account or settings sections, so the
/// parameter cannot send anyone elsewhere.
#[cfg(feature = "ssr")]
pub fn safe_next(next: &str) -> &str {
    tessera_server::sign_in::own_page(next).filter(|p| *p != "/").unwrap_or("/account/security?verified")
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::safe_next;

    #[test]
    fn step_up_returns_only_to_tessera_s_own_pages() {
        for ok in ["/settings/roles", "/account/security?verified", "/settings/team/12"] {
            assert_eq!(safe_next(ok), ok);
        }
        for bad in [
            "",
            "https://evil.example/settings/",
            "//evil.example",
            "/settings/../../etc",
            "/\\evil.example",
            "/settings//evil",
            "/login",
            "/settings/%2F%2Fevil",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), "/account/security?verified", "{bad:?}");
        }
    }
}
