//! Settings -> Activity log: the organisation's security events, filtered with a plain GET form
//! (works without JavaScript), paged, and exported as CSV.

use leptos::prelude::*;

use crate::classes::{BUTTON_CLASS, INPUT_CLASS, LINK_CLASS};
use crate::forms::{filter_islands, Input};
use crate::layout::Alert;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    /// At the organisation, `YYYY-MM-DD HH:MM:SS` (UTC where it keeps UTC).
    pub time_local: String,
    /// Where the organisation keeps another zone: its offset then and the time in UTC.
    pub time_note: Option<String>,
    /// (name, email) of who did it and to whom, when they are people.
    pub actor: Option<(String, String)>,
    pub target: Option<(String, String)>,
    pub action: String,
    pub outcome: String,
    pub ip: String,
    pub detail: String,
    /// Where to see more of what the entry is about (a mail template's versions).
    pub detail_link: Option<(String, &'static str)>,
    pub reason: String,
    /// Suspicious patterns this entry is part of.
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogView {
    pub rows: Vec<LogRow>,
    /// (id, label) of every action, for the filter.
    pub actions: Vec<(String, String)>,
    pub action: String,
    pub actor: String,
    pub target: String,
    pub from: String,
    pub until: String,
    pub error: Option<String>,
    /// The query string of the current filter (for the CSV link and the next page).
    pub query: String,
    pub next_before: Option<i64>,
    /// The organisation's time zone, e.g. `Europe/London`; `None` when it keeps UTC.
    pub zone: Option<String>,
}

filter_islands! {
    /// The activity log's filters.
    ActivityFilterForm => "/settings/activity";
}

/// A cell of the log: a table cell on wide screens, a labelled line of a card on narrow ones
/// (the label comes from the cell's data-label; short, so it never runs into the value).
const CELL: &str = "px-3 py-2 align-top max-lg:flex max-lg:gap-3 max-lg:px-0 max-lg:py-0.5 before:w-16 before:shrink-0 \
    before:font-medium before:text-slate-500 before:content-[attr(data-label)] lg:before:hidden dark:before:text-slate-400";

/// A cell with nothing to say: empty in the table, no line at all on a card.
fn cell_class(empty: bool) -> String {
    if empty {
        format!("{CELL} max-lg:hidden")
    } else {
        CELL.to_string()
    }
}

const BADGE: &str = "whitespace-nowrap rounded px-1.5 py-0.5 text-xs font-medium";

/// A person in the log: their name, with their address under it; a dash for nobody (an operator,
/// or a sign-in to an unknown address).
#[component]
fn Person(who: Option<(String, String)>) -> impl IntoView {
    match who {
        // Small enough that an address fits its column on a laptop; one too long for it wraps.
        Some((name, email)) => view! {
            <div class="min-w-0">
                <span class="font-medium">{name}</span>
                <div class="wrap-anywhere text-xs text-slate-600 dark:text-slate-300">{email}</div>
            </div>
        }
        .into_any(),
        None => view! { <span>"—"</span> }.into_any(),
    }
}

#[component]
pub fn ActivityLogPage(log: LogView) -> impl IntoView {
    let csv = format!("/settings/activity.csv?{}", log.query);
    let next = log.next_before.map(|b| format!("/settings/activity?{}&before={b}", log.query));
    let selected = log.action.clone();
    // Times are the organisation's, with UTC under them where its zone is another.
    let time_heading = match &log.zone {
        Some(zone) => format!("Time ({zone})"),
        None => "Time (UTC)".to_string(),
    };
    view! {
        <main class="mx-auto max-w-7xl px-4 py-10">
            <h1 id="page-title" class="mb-6 text-2xl font-semibold text-slate-900 dark:text-white">"Activity log"</h1>
            {log.error.map(|e| view! { <Alert message=e /> })}
            <ActivityFilterForm>
                // One row on a laptop, so the table starts on the first screen.
                <div class="col-span-full grid grid-cols-1 gap-x-3 sm:grid-cols-2 lg:grid-cols-[minmax(0,1.6fr)_minmax(0,1.3fr)_minmax(0,1.3fr)_minmax(0,1fr)_minmax(0,1fr)_auto]">
                    <div class="mb-5">
                        <label for="action" class="mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-200">"Action"</label>
                        <select id="action" name="action" class=INPUT_CLASS>
                            <option value="" selected=selected.is_empty()>"All actions"</option>
                            {log.actions
                                .into_iter()
                                .map(|(id, label)| {
                                    let sel = id == selected;
                                    view! { <option value=id selected=sel>{label}</option> }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <Input name="actor" label="Actor (email)" kind="email" value=log.actor optional=true />
                    <Input name="target" label="Target (email)" kind="email" value=log.target optional=true />
                    <Input name="from" label="From (UTC)" kind="date" value=log.from optional=true />
                    <Input name="until" label="Until (UTC)" kind="date" value=log.until optional=true />
                    <div class="mb-5 lg:pt-7">
                        <button type="submit" class=format!("{BUTTON_CLASS} lg:w-auto lg:px-6")>"Filter"</button>
                    </div>
                </div>
            </ActivityFilterForm>
            <p class="mb-4"><a href=csv class=LINK_CLASS download="activity-log.csv">"Export as CSV"</a></p>
            // Below a laptop's width each event is a card of labelled lines, so nothing scrolls
            // sideways on a phone.
            <div class="rounded-lg border border-slate-200 max-lg:border-0 dark:border-slate-700">
                <table class="w-full text-left text-sm max-lg:block lg:table-fixed">
                    <caption class="sr-only">"Security events of your organisation, newest first"</caption>
                    <colgroup class="max-lg:hidden">
                        <col class="w-44" />
                        <col />
                        <col class="w-40" />
                        <col />
                        <col class="w-[20%]" />
                        <col class="w-28" />
                    </colgroup>
                    <thead class="bg-slate-100 text-slate-700 max-lg:hidden dark:bg-slate-800 dark:text-slate-200">
                        <tr>
                            <th scope="col" class="px-3 py-2">{time_heading}</th>
                            <th scope="col" class="px-3 py-2">"Actor"</th>
                            <th scope="col" class="px-3 py-2">"Event"</th>
                            <th scope="col" class="px-3 py-2">"Target"</th>
                            <th scope="col" class="px-3 py-2">"Detail"</th>
                            <th scope="col" class="px-3 py-2">"IP"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 max-lg:block max-lg:space-y-3 max-lg:divide-y-0 dark:divide-slate-700">
                        {log.rows.into_iter().map(|r| view! { <LogLine r /> }).collect_view()}
                    </tbody>
                </table>
            </div>
            {next.map(|n| view! { <p class="mt-4"><a href=n class=LINK_CLASS>"Older events"</a></p> })}
        </main>
    }
}

/// One event: a row of the table, or a card on a phone.
#[component]
fn LogLine(r: LogRow) -> impl IntoView {
    let failed = r.outcome == "failure";
    let no_detail = r.detail.is_empty() && r.reason.is_empty() && r.detail_link.is_none();
    let (no_target, no_ip) = (r.target.is_none(), r.ip.is_empty());
    view! {
        <tr class="max-lg:block max-lg:rounded-lg max-lg:border max-lg:border-slate-200 max-lg:p-3 dark:max-lg:border-slate-700">
            <td data-label="Time" class=CELL>
                <div>
                    <div class="whitespace-nowrap">{r.time_local}</div>
                    {r.time_note.map(|note| view! {
                        <div class="text-xs text-slate-500 dark:text-slate-400">{note}</div>
                    })}
                </div>
            </td>
            <td data-label="Actor" class=CELL><Person who=r.actor /></td>
            <td data-label="Event" class=CELL>
                <div class="flex flex-wrap items-center gap-1.5">
                    <span>{r.action}</span>
                    {if failed {
                        view! { <span class=format!("{BADGE} bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100")>"Failed"</span> }.into_any()
                    } else {
                        view! { <span class="sr-only">"Succeeded"</span> }.into_any()
                    }}
                    {r.flags.into_iter().map(|f| view! {
                        <span class=format!("{BADGE} bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100")>
                            <span class="sr-only">"Flagged: "</span>{f}
                        </span>
                    }).collect_view()}
                </div>
            </td>
            <td data-label="Target" class=cell_class(no_target)><Person who=r.target /></td>
            <td data-label="Detail" class=cell_class(no_detail)>
                <div class="min-w-0 break-words">
                    {(!r.detail.is_empty()).then(|| view! { <div>{r.detail}</div> })}
                    {r.detail_link.map(|(href, words)| view! { <a href=href class=LINK_CLASS>{words}</a> })}
                    {(!r.reason.is_empty()).then(|| view! {
                        <div class="text-slate-600 dark:text-slate-300">{format!("Reason: {}", r.reason)}</div>
                    })}
                </div>
            </td>
            <td data-label="IP" class=format!("break-all {}", cell_class(no_ip))>{r.ip}</td>
        </tr>
    }
}
