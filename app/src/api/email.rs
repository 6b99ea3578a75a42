//! Settings -> Email templates: previewing, saving and resetting an organisation's own template
//! for one of the mails Tessera sends.

use leptos::prelude::*;

use crate::error::AppError;

/// The editor's page for `kind`, showing its draft (`?draft`) or a notice.
#[cfg(feature = "ssr")]
fn editor_page(kind: &str, query: &str) -> String {
    format!("/settings/email/{kind}?{query}")
}

/// Checks the template and shows it with sample data, on the editor's page; what was typed is
/// kept as the editor's draft until it is saved.
#[server(prefix = "/api", endpoint = "email-templates/preview")]
pub async fn preview_mail_template(
    #[server(default)] kind: String,
    #[server(default)] subject: String,
    #[server(default)] text: String,
    #[server(default)] html: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, SignedIn};
    use tessera_server::mail::Parts;

    let (App(app), SignedIn(s)) = (extract().await?, extract().await?);
    app.tessera.preview_mail_template(&s, &kind, &Parts { subject, text, html }).await?;
    go(&editor_page(&kind, "draft#preview"));
    Ok(())
}

/// Saves the organisation's template for `kind`, once it meets the rules, after a fresh second
/// factor. Without one, what was typed waits as the draft while the person confirms it is them,
/// and the step-up page comes back to it.
#[server(prefix = "/api", endpoint = "email-templates/save")]
pub async fn save_mail_template(
    #[server(default)] kind: String,
    #[server(default)] subject: String,
    #[server(default)] text: String,
    #[server(default)] html: String,
) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::mail::Parts;
    use tessera_server::mail_templates::TemplateError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    let parts = Parts { subject, text, html };
    match app.tessera.save_mail_template(&s, &kind, Some(&parts), &meta).await {
        Ok(()) => go(&editor_page(&kind, "saved")),
        // Back to the draft it kept, on the editor of a kind that exists.
        Err(TemplateError::StepUpRequired) => {
            let known = tessera_server::mail::MailKind::from_id(&kind);
            return Err(AppError::StepUpFirst(known.map(|k| editor_page(k.id(), "draft"))));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Goes back to Tessera's own template for `kind` (the organisation's stays in the versions).
#[server(prefix = "/api", endpoint = "email-templates/default")]
pub async fn restore_mail_template(#[server(default)] kind: String) -> Result<(), AppError> {
    use super::server::{extract, go};
    use crate::ctx::{App, Meta, SignedIn};
    use tessera_server::mail_templates::TemplateError;

    let (App(app), SignedIn(s), Meta(meta)) = (extract().await?, extract().await?, extract().await?);
    match app.tessera.save_mail_template(&s, &kind, None, &meta).await {
        Ok(()) => go(&editor_page(&kind, "default")),
        Err(TemplateError::StepUpRequired) => return Err(AppError::StepUpFirst(None)),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
