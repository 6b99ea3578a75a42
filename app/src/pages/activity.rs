//! Settings -> Activity log: the organisation's security events, filtered with a plain GET form
//! (works without JavaScript), paged, and exported as CSV.

use leptos::prelude::*;

use crate::forms::{filter_islands, Input};
use crate::layout::{Alert, BUTTON_CLASS, INPUT_CLASS, LINK_CLASS};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    pub time_utc: String,
    /// At the organisation (in its time zone, with the offset then).
    pub time_local: String,
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

/// A cell of the log: a table cell on wide screens, a labelled line of a card on narrow ones.
const CELL: &str = "px-3 py-2 max-lg:flex max-lg:gap-3 max-lg:py-1 before:w-24 before:shrink-0 before:font-medium \
    before:text-slate-500 before:content-[attr(data-label)] lg:before:hidden dark:before:text-slate-400";

/// A person in the log: their name, with their address under it; a dash for nobody (an operator,
/// or a sign-in to an unknown address).
#[component]
fn Person(who: Option<(String, String)>) -> impl IntoView {
    match who {
        Some((name, email)) => view! {
            <span class="font-medium">{name}</span>
            <div class="wrap-anywhere text-slate-600 dark:text-slate-300">{email}</div>
        }
        .into_any(),
        None => "—".into_any(),
    }
}

#[component]
pub fn ActivityLogPage(log: LogView) -> impl IntoView {
    let csv = format!("/settings/activity.csv?{}", log.query);
    let next = log.next_before.map(|b| format!("/settings/activity?{}&before={b}", log.query));
    let selected = log.action.clone();
    let show_local = log.zone.is_some();
    let zone = log.zone.unwrap_or_default();
    view! {
        <main class="mx-auto max-w-5xl px-4 py-10">
            <h1 id="page-title" class="mb-6 text-2xl font-semibold text-slate-900 dark:text-white">"Activity log"</h1>
            {log.error.map(|e| view! { <Alert message=e /> })}
            <ActivityFilterForm>
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
                <Input name="from" label="From (date, UTC)" kind="date" value=log.from optional=true />
                <Input name="until" label="Until (date, UTC)" kind="date" value=log.until optional=true />
                <div class="mb-5 flex items-end">
                    <button type="submit" class=BUTTON_CLASS>"Filter"</button>
                </div>
            </ActivityFilterForm>
            <p class="mb-4"><a href=csv class=LINK_CLASS download="activity-log.csv">"Export as CSV"</a></p>
            // Below a laptop's width each event is a card of labelled lines (the label comes from
            // the cell's data-label), so nothing scrolls sideways on a phone.
            <div class="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
                <table class="min-w-full text-left text-sm max-lg:block">
                    <caption class="sr-only">"Security events of your organisation, newest first"</caption>
                    <thead class="bg-slate-100 text-slate-700 max-lg:hidden dark:bg-slate-800 dark:text-slate-200">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Time (UTC)"</th>
                            // Only where it differs from the UTC column beside it.
                            {show_local.then(|| view! { <th scope="col" class="px-3 py-2">{format!("Local time ({zone})")}</th> })}
                            <th scope="col" class="px-3 py-2">"Actor"</th>
                            <th scope="col" class="px-3 py-2">"Target"</th>
                            <th scope="col" class="px-3 py-2">"Action"</th>
                            <th scope="col" class="px-3 py-2">"Outcome"</th>
                            <th scope="col" class="px-3 py-2">"IP"</th>
                            <th scope="col" class="px-3 py-2">"Detail"</th>
                            <th scope="col" class="px-3 py-2">"Reason"</th>
                            <th scope="col" class="px-3 py-2">"Flags"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 max-lg:block dark:divide-slate-700">
                        {log.rows
                            .into_iter()
                            .map(|r| {
                                let local = format!("Local ({zone})");
                                view! {
                                    <tr class="max-lg:block max-lg:py-2">
                                        <td data-label="Time (UTC)" class=format!("whitespace-nowrap {CELL}")>{r.time_utc}</td>
                                        {show_local.then(|| view! { <td data-label=local class=format!("whitespace-nowrap {CELL}")>{r.time_local}</td> })}
                                        <td data-label="Actor" class=CELL><div><Person who=r.actor /></div></td>
                                        <td data-label="Target" class=CELL><div><Person who=r.target /></div></td>
                                        <td data-label="Action" class=CELL>{r.action}</td>
                                        <td data-label="Outcome" class=CELL>{r.outcome}</td>
                                        <td data-label="IP" class=CELL>{r.ip}</td>
                                        <td data-label="Detail" class=CELL>
                                            {r.detail}
                                            {r.detail_link.map(|(href, words)| view! { " " <a href=href class=LINK_CLASS>{words}</a> })}
                                        </td>
                                        <td data-label="Reason" class=CELL>{r.reason}</td>
                                        <td data-label="Flags" class=CELL>
                                            {(!r.flags.is_empty()).then(|| view! {
                                                <span class="rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-900 dark:text-amber-100">
                                                    <span class="sr-only">"Flagged: "</span>{r.flags.join("; ")}
                                                </span>
                                            })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            {next.map(|n| view! { <p class="mt-4"><a href=n class=LINK_CLASS>"Older events"</a></p> })}
        </main>
    }
}
