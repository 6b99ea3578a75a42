//! Settings -> Email templates: an organisation's own words for the mails Tessera sends. Holders
//! of "Manage email templates" see every mail with its variables, preview a change with sample
//! data (kept as their draft), save it after a fresh second factor (checked by the engine's rules
//! first), or go back to the default. Every save is a version, and in the activity log.

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::clock::Timestamp;
use crate::error::Error;
use crate::mail::template::{self, Problem};
use crate::mail::{compose, Mail, MailKind, Message, Parts};
use crate::roles::Permission;
use crate::session::SessionInfo;
use crate::store::TemplateVersion;
use crate::tessera::Tessera;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template breaks a rule: which part, which line, why.
    #[error("{0}")]
    Invalid(Problem),
    /// Saving needs a fresh second factor; what was typed is kept as the draft.
    #[error("step-up required")]
    StepUpRequired,
    #[error("not allowed")]
    Forbidden,
    #[error("no such mail")]
    UnknownKind,
    #[error(transparent)]
    Internal(#[from] Error),
}

/// A mail as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub kind: MailKind,
    /// When the organisation's own template was saved; `None`: Tessera's default.
    pub customised_at: Option<Timestamp>,
}

/// What the editor of one mail shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateEditor {
    pub kind: MailKind,
    /// The organisation's template, or the default.
    pub saved: Parts,
    pub customised: bool,
    /// What this editor last previewed and has not saved.
    pub draft: Option<Parts>,
}

impl Tessera {
    fn may_manage_email(&self, s: &SessionInfo) -> Result<(), TemplateError> {
        if s.can(Permission::ManageEmail) {
            Ok(())
        } else {
            Err(TemplateError::Forbidden)
        }
    }

    /// Every mail, and which the organisation has its own template for.
    pub async fn mail_templates(&self, s: &SessionInfo) -> Result<Vec<TemplateRow>, TemplateError> {
        self.may_manage_email(s)?;
        let custom = self.store.customised_mail_templates(s.org_id).await?;
        Ok(MailKind::ALL
            .into_iter()
            .map(|kind| TemplateRow {
                kind,
                customised_at: custom.iter().find(|(id, _)| id == kind.id()).map(|(_, at)| *at),
            })
            .collect())
    }

    pub async fn mail_template_editor(&self, s: &SessionInfo, kind: &str) -> Result<TemplateEditor, TemplateError> {
        self.may_manage_email(s)?;
        let kind = MailKind::from_id(kind).ok_or(TemplateError::UnknownKind)?;
        let custom = self.store.mail_template(s.org_id, kind.id()).await?;
        let draft = self.store.mail_template_draft(s.org_id, s.user_id, kind.id()).await?;
        Ok(TemplateEditor {
            kind,
            customised: custom.is_some(),
            saved: custom.unwrap_or_else(|| kind.default_parts()),
            draft,
        })
    }

    /// Checks `parts` and keeps them as the editor's draft; the mail they make with sample data.
    pub async fn preview_mail_template(
        &self,
        s: &SessionInfo,
        kind: &str,
        parts: &Parts,
    ) -> Result<Mail, TemplateError> {
        self.may_manage_email(s)?;
        let kind = MailKind::from_id(kind).ok_or(TemplateError::UnknownKind)?;
        check(kind, parts)?;
        self.store.save_mail_template_draft(s.org_id, s.user_id, kind.id(), parts, self.clock.now()).await?;
        Ok(sample_mail(kind, parts))
    }

    /// Saves the organisation's template for `kind` (`None`: back to the default) after a fresh
    /// second factor. Without one, what was typed is kept as the draft, so confirming it is
    /// them loses nothing.
    pub async fn save_mail_template(
        &self,
        s: &SessionInfo,
        kind: &str,
        parts: Option<&Parts>,
        meta: &RequestMeta,
    ) -> Result<(), TemplateError> {
        self.may_manage_email(s)?;
        let kind = MailKind::from_id(kind).ok_or(TemplateError::UnknownKind)?;
        if let Some(parts) = parts {
            check(kind, parts)?;
        }
        let now = self.clock.now();
        if !self.has_fresh_step_up(s) {
            if let Some(parts) = parts {
                self.store.save_mail_template_draft(s.org_id, s.user_id, kind.id(), parts, now).await?;
            }
            return Err(TemplateError::StepUpRequired);
        }
        let mut e = audit::event(
            now,
            Action::MailTemplateChanged,
            Outcome::Success,
            Some(s.org_id),
            Some(s.user_id),
            None,
            meta,
            None,
        );
        // The mail's stable id, so the activity log can lead to the version this replaced.
        e.detail = Some(format!("{}: {}", kind.id(), if parts.is_some() { "saved" } else { "back to the default" }));
        self.store.save_mail_template(s.org_id, kind.id(), parts, s.user_id, now, &e).await?;
        Ok(())
    }

    /// The saved versions of a mail's template, newest first.
    pub async fn mail_template_versions(
        &self,
        s: &SessionInfo,
        kind: &str,
    ) -> Result<(MailKind, Vec<TemplateVersion>), TemplateError> {
        self.may_manage_email(s)?;
        let kind = MailKind::from_id(kind).ok_or(TemplateError::UnknownKind)?;
        Ok((kind, self.store.mail_template_versions(s.org_id, kind.id(), 100).await?))
    }
}

/// The rules a template must meet to be saved for `kind`.
pub fn check(kind: MailKind, parts: &Parts) -> Result<(), TemplateError> {
    template::check(parts, &kind.variable_names(), kind.spec().required, &kind.sample()).map_err(TemplateError::Invalid)
}

/// The mail `parts` make with the sample data, ending and all.
pub fn sample_mail(kind: MailKind, parts: &Parts) -> Mail {
    let unsubscribe = matches!(kind.spec().category, crate::mail::Category::Optional(_))
        .then(|| "https://id.example.org/unsubscribe?token=sample".to_string());
    compose(&Message { kind, to: "ada@example.org".into(), vars: kind.sample(), unsubscribe }, Some(parts))
}
