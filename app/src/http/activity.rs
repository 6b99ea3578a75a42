//! Handlers of the activity log page and its CSV export.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use http::StatusCode;
use tessera_server::activity::{self, PAGE_SIZE};
use tessera_server::audit::Action;
use tessera_server::clock::Timestamp;
use tessera_server::store::AuditFilter;

use super::render;
use super::AppState;
use crate::ctx::SignedIn;
use crate::pages::activity::{LogRow, LogView};
use crate::pages::Page;

/// Reads the filter from the query string; `Err` says what is wrong with it.
fn filter_from(q: &HashMap<String, String>) -> Result<AuditFilter, String> {
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let action = get("action").map(str::to_string);
    if let Some(a) = &action {
        if !Action::ALL.iter().any(|x| x.as_str() == a) {
            return Err("Choose an action from the list.".into());
        }
    }
    let date = |k: &str, what: &str| match get(k) {
        None => Ok(None),
        Some(v) => Timestamp::from_date(v).map(Some).ok_or(format!("Enter the {what} date as YYYY-MM-DD.")),
    };
    let from = date("from", "from")?;
    // "Until" is inclusive for people: up to the end of that day.
    let until = date("until", "until")?.map(|t| Timestamp(t.0 + 86_400_000));
    Ok(AuditFilter {
        action,
        actor_email: get("actor").map(tessera_server::model::canonical_email),
        target_email: get("target").map(tessera_server::model::canonical_email),
        from,
        until,
    })
}

fn query_of(q: &HashMap<String, String>) -> String {
    let pairs: Vec<(&str, &str)> = ["action", "actor", "target", "from", "until"]
        .iter()
        .filter_map(|k| q.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub async fn page(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let text = |k: &str| q.get(k).cloned().unwrap_or_default();
    let mut view = LogView {
        actions: Action::ALL.iter().map(|a| (a.as_str().to_string(), a.label().to_string())).collect(),
        action: text("action"),
        actor: text("actor"),
        target: text("target"),
        from: text("from"),
        until: text("until"),
        query: query_of(&q),
        ..LogView::default()
    };
    let filter = match filter_from(&q) {
        Ok(f) => f,
        Err(e) => {
            view.error = Some(e);
            return render::page(&state, Page::ActivityLog { log: view }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let before = q.get("before").and_then(|b| b.parse::<i64>().ok());
    let entries = match state.tessera.activity_log(&s, &filter, before, PAGE_SIZE + 1).await {
        Ok(e) => e,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let more = entries.len() as i64 > PAGE_SIZE;
    let shown = &entries[..entries.len().min(PAGE_SIZE as usize)];
    let (hours, flags) = match hours_and_flags(&state, &s, shown).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    view.zone = (!hours.is_utc()).then(|| hours.zone_label());
    view.next_before = if more { shown.last().map(|e| e.id) } else { None };
    view.rows = shown
        .iter()
        .map(|e| (e, time_and_note(&hours, e.event.occurred_at)))
        .map(|(e, (time_local, time_note))| LogRow {
            time_local,
            time_note,
            actor: person(&e.actor_name, &e.actor_email),
            target: person(&e.target_name, &e.target_email),
            action: Action::label_of(&e.event.action),
            outcome: e.event.outcome.clone(),
            ip: e.event.ip.clone().unwrap_or_default(),
            detail: tessera_server::activity::readable_detail(&e.event),
            detail_link: template_versions(&e.event),
            reason: e.event.reason.clone().unwrap_or_default(),
            flags: flags.get(&e.id).into_iter().flatten().map(|f| f.label().to_string()).collect(),
        })
        .collect();
    render::page(&state, Page::ActivityLog { log: view }, StatusCode::OK).await
}

pub async fn csv(
    State(state): State<AppState>,
    SignedIn(s): SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let filter = match filter_from(&q) {
        Ok(f) => f,
        Err(e) => return (StatusCode::UNPROCESSABLE_ENTITY, e).into_response(),
    };
    let entries = match state.tessera.activity_log(&s, &filter, None, activity::EXPORT_LIMIT).await {
        Ok(entries) => entries,
        Err(e) => return render::error_page(&state, &e.into()).await,
    };
    let (hours, flags) = match hours_and_flags(&state, &s, &entries).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"activity-log.csv\""),
            (CACHE_CONTROL, "no-store"),
        ],
        activity::to_csv(&entries, &hours, &flags),
    )
        .into_response()
}

type Flags = std::collections::HashMap<i64, Vec<activity::Flag>>;

/// The organisation's business hours and the flags of `entries`.
async fn hours_and_flags(
    state: &AppState,
    s: &tessera_server::session::SessionInfo,
    entries: &[tessera_server::store::AuditEntry],
) -> Result<(activity::BusinessHours, Flags), Response> {
    let hours = match state.tessera.business_hours(s).await {
        Ok(h) => h,
        Err(e) => return Err(render::error_page(state, &e.into()).await),
    };
    match state.tessera.activity_flags(s, entries, &hours).await {
        Ok(f) => Ok((hours, f)),
        Err(e) => Err(render::error_page(state, &e.into()).await),
    }
}

/// When an event happened at the organisation, and (where it keeps another zone than UTC) its
/// offset then with the time in UTC: `("2026-12-04 19:51:57", "+01:00 · 18:51:57 UTC")`, the
/// UTC date included where it differs.
fn time_and_note(hours: &activity::BusinessHours, at: Timestamp) -> (String, Option<String>) {
    let utc = at.to_display();
    if hours.is_utc() {
        return (utc, None);
    }
    let local = hours.local_time(at);
    let (local, offset) = local.rsplit_once(' ').unwrap_or((&local, ""));
    let same_day = local.get(..10) == utc.get(..10);
    let utc = if same_day { utc.get(11..).unwrap_or(&utc).to_string() } else { utc.clone() };
    (local.to_string(), Some(format!("{offset} · {utc} UTC")))
}

/// Name and address of someone in the log, when the entry names a person.
fn person(name: &Option<String>, email: &Option<String>) -> Option<(String, String)> {
    email.as_ref().map(|e| (name.clone().unwrap_or_else(|| e.clone()), e.clone()))
}

/// A change of a mail template leads to its versions, marking the one it replaced. The detail
/// starts with the mail's id (checked against the catalogue, so a stored text cannot make a link).
fn template_versions(e: &tessera_server::store::AuditEvent) -> Option<(String, &'static str)> {
    if e.action != Action::MailTemplateChanged.as_str() {
        return None;
    }
    let id = e.detail.as_deref()?.split(':').next()?;
    let kind = tessera_server::mail::MailKind::from_id(id)?;
    Some((format!("/settings/email/{}/versions?at={}", kind.id(), e.occurred_at.0), "Show the version it replaced"))
}
