//! Settings -> Email templates: the pages; their forms post to the server functions in
//! `api::email`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use tessera_server::mail::{Category, MailKind, Parts, SECURITY_FOOTER};
use tessera_server::mail_templates::sample_mail;

use super::render;
use crate::api::email::{PreviewMailTemplate, RestoreMailTemplate, SaveMailTemplate};
use crate::ctx::{AppState, Failed, SignedIn};
use crate::pages::email::{
    EditorView, PreviewView, TemplateRowView, TemplatesView, VariableView, VersionView, VersionsView,
};
use crate::pages::Page;

pub async fn list_page(State(state): State<AppState>, SignedIn(s): SignedIn) -> Response {
    let rows = match state.tessera.mail_templates(&s).await {
        Ok(rows) => rows,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let rows = rows
        .into_iter()
        .map(|r| TemplateRowView {
            id: r.kind.id().into(),
            label: r.kind.label().into(),
            about: r.kind.spec().about.into(),
            which: match r.customised_at {
                Some(at) => format!("Your organisation's (saved {} UTC)", at.to_display()),
                None => "Tessera's default".into(),
            },
        })
        .collect();
    render::page(&state, Page::EmailTemplates { view: TemplatesView { rows } }, StatusCode::OK).await
}

fn preview_of(kind: MailKind, parts: &Parts) -> PreviewView {
    let mail = sample_mail(kind, parts);
    PreviewView { subject: mail.subject, text: mail.text, html: mail.html }
}

pub async fn editor_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Path(kind): Path<String>,
    failed: Failed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let editor = match state.tessera.mail_template_editor(&s, &kind).await {
        Ok(e) => e,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let kind = editor.kind;
    let spec = kind.spec();
    let error = failed.error_of(SaveMailTemplate::PATH).or_else(|| failed.error_of(PreviewMailTemplate::PATH));
    // What failed is shown as typed; then the draft, when asked for; then what is in use.
    let draft = editor.draft.filter(|_| q.contains_key("draft"));
    let (parts, showing_draft) = match (&error, draft) {
        (Some(_), _) => {
            (Parts { subject: failed.value("subject"), text: failed.value("text"), html: failed.value("html") }, true)
        }
        (None, Some(d)) => (d, true),
        (None, None) => (editor.saved, false),
    };
    let preview = (showing_draft && error.is_none()).then(|| preview_of(kind, &parts));
    let notice = if q.contains_key("saved") {
        Some("The template is saved: the next mails of this kind use it.".to_string())
    } else if q.contains_key("default") {
        Some("Tessera's default template is in use again. Yours stays in the versions.".to_string())
    } else {
        None
    };
    let vars = kind.variables();
    let view = EditorView {
        id: kind.id().into(),
        label: kind.label().into(),
        about: spec.about.into(),
        if_not_you: spec.if_not_you.into(),
        footer: match spec.category {
            Category::Security => SECURITY_FOOTER.into(),
            Category::Optional(_) => {
                "Turn these mails off: a link that turns them off in one click, without signing in.".into()
            }
        },
        variables: vars
            .into_iter()
            .map(|v| VariableView {
                name: v.name.into(),
                about: v.about.into(),
                required: spec.required.contains(&v.name),
            })
            .collect(),
        subject: parts.subject,
        text: parts.text,
        html: parts.html,
        customised: editor.customised,
        showing_draft,
        preview,
        notice,
        error,
        restore_error: failed.error_of(RestoreMailTemplate::PATH),
    };
    render::page(&state, Page::EmailTemplate { view }, StatusCode::OK).await
}

/// What the editor's preview frame loads: the HTML body of the draft (or of the template in use)
/// with sample data, exactly as the mail will look. Its own CSP lets the mail's inline styles
/// (Tessera's footer among them) apply and nothing else: no script, no request, no form; it may
/// be framed only by Tessera's own pages.
pub async fn preview_frame(State(state): State<AppState>, SignedIn(s): SignedIn, Path(kind): Path<String>) -> Response {
    use axum::response::IntoResponse;
    use http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_FRAME_OPTIONS};
    let editor = match state.tessera.mail_template_editor(&s, &kind).await {
        Ok(e) => e,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let parts = editor.draft.unwrap_or(editor.saved);
    let mail = sample_mail(editor.kind, &parts);
    let html = format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Preview</title></head><body>{}</body></html>", mail.html);
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; \
                 frame-ancestors 'self'; sandbox",
            ),
            (X_FRAME_OPTIONS, "SAMEORIGIN"),
        ],
        html,
    )
        .into_response()
}

/// The versions saved; `?at=` (a time in milliseconds, from the activity log) marks the change
/// saved then and the version it replaced.
pub async fn versions_page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Path(kind): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (kind, versions) = match state.tessera.mail_template_versions(&s, &kind).await {
        Ok(v) => v,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let at: Option<i64> = q.get("at").and_then(|a| a.parse().ok());
    let changed = at.and_then(|at| versions.iter().position(|v| v.saved_at.0 == at));
    let default_mark = changed.filter(|c| c + 1 == versions.len()).map(|_| "Before this change");
    let source = |p: &Parts| PreviewView { subject: p.subject.clone(), text: p.text.clone(), html: p.html.clone() };
    let versions = versions
        .iter()
        .enumerate()
        .map(|(i, v)| VersionView {
            id: v.id,
            when: format!("{} UTC", v.saved_at.to_display()),
            by: v.saved_by.clone().unwrap_or_else(|| "a former member".into()),
            content: v.parts.as_ref().map(source),
            mark: match changed {
                Some(c) if c == i => Some("This change"),
                Some(c) if c + 1 == i => Some("Before this change"),
                _ => None,
            },
        })
        .collect();
    let view = VersionsView {
        id: kind.id().into(),
        label: kind.label().into(),
        versions,
        default: source(&kind.default_parts()),
        default_mark,
    };
    render::page(&state, Page::EmailTemplateVersions { view }, StatusCode::OK).await
}
