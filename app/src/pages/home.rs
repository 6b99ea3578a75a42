//! Home: the person's own MFA and what to do about it; for the people who run the organisation,
//! the first-run checklist until it is done, MFA adoption and the latest events.

use leptos::prelude::*;

use crate::classes::LINK_CLASS;
use crate::layout::StatusBadge;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepView {
    pub label: &'static str,
    pub hint: &'static str,
    pub href: &'static str,
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdoptionView {
    pub members: i64,
    pub enabled: i64,
    pub not_enabled: i64,
    pub required_not_enrolled: i64,
}

impl AdoptionView {
    /// A part of the members as a whole percentage, for the bar's widths.
    fn percent(&self, n: i64) -> i64 {
        if self.members == 0 {
            0
        } else {
            n * 100 / self.members
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    pub when: String,
    pub what: String,
    /// Who did it, by name (or address), when a person did.
    pub who: Option<String>,
    pub failed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeView {
    pub display_name: String,
    /// The grace-period reminder, when the organisation requires MFA and this person has none.
    pub banner: Option<String>,
    /// The person's own MFA: its badge, a sentence, and what to do (href, label).
    /// The viewer's MFA, named as every page names it.
    pub own_badge: String,
    pub own_text: String,
    pub own_action: Option<(&'static str, &'static str)>,
    /// The checklist while something is left to do; empty otherwise.
    pub steps: Vec<StepView>,
    pub adoption: Option<AdoptionView>,
    pub events: Option<Vec<EventLine>>,
}

const PANEL: &str =
    "mb-6 rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 dark:border-slate-700 dark:bg-slate-800";
const PANEL_TITLE: &str = "mb-3 text-lg font-semibold text-slate-900 dark:text-white";

#[component]
pub fn HomePage(home: HomeView) -> impl IntoView {
    let HomeView { display_name, banner, own_badge, own_text, own_action, steps, adoption, events } = home;
    view! {
        <main class="mx-auto max-w-5xl px-4 py-8 sm:py-10">
            <h1 id="page-title" class="mb-6 text-2xl font-semibold text-slate-900 dark:text-white">
                {format!("Welcome, {display_name}")}
            </h1>
            {banner.map(|b| view! {
                <div role="status" class="mb-6 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
                    {b} " " <a href="/account/security" class="font-medium underline">"Set it up now"</a>
                </div>
            })}
            {(!steps.is_empty()).then(|| view! { <Checklist steps /> })}
            <div class="grid gap-x-6 lg:grid-cols-2">
                <section aria-labelledby="own-mfa-title" class=PANEL>
                    <h2 id="own-mfa-title" class=PANEL_TITLE>"Your MFA"</h2>
                    <p class="mb-3"><StatusBadge label=own_badge /></p>
                    <p class="text-sm text-slate-700 dark:text-slate-200">{own_text}</p>
                    {own_action.map(|(href, label)| view! {
                        <p class="mt-3"><a href=href class=LINK_CLASS>{label}</a></p>
                    })}
                </section>
                {adoption.map(|a| view! { <Adoption adoption=a /> })}
            </div>
            {events.map(|e| view! { <LatestEvents events=e /> })}
        </main>
    }
}

/// What to do next, in order, each with its state in words (not only a tick).
#[component]
fn Checklist(steps: Vec<StepView>) -> impl IntoView {
    let done = steps.iter().filter(|s| s.done).count();
    let total = steps.len();
    view! {
        <section aria-labelledby="next-steps-title" class=PANEL>
            <h2 id="next-steps-title" class=PANEL_TITLE>"Next steps"</h2>
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">{format!("{done} of {total} done.")}</p>
            <ol class="space-y-3">
                {steps
                    .into_iter()
                    .map(|s| {
                        let state = if s.done { "Done" } else { "To do" };
                        let mark = if s.done {
                            "bg-green-600 text-white"
                        } else {
                            "border-2 border-slate-400 text-transparent dark:border-slate-500"
                        };
                        view! {
                            <li class="flex gap-3" data-step=s.label data-done=s.done.to_string()>
                                <span aria-hidden="true" class=format!("mt-0.5 flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs {mark}")>"✓"</span>
                                <div class="min-w-0">
                                    <p class="font-medium text-slate-900 dark:text-white">
                                        {if s.done {
                                            view! { <span>{s.label}</span> }.into_any()
                                        } else {
                                            view! { <a href=s.href class=LINK_CLASS>{s.label}</a> }.into_any()
                                        }}
                                        <span class="sr-only">{format!(": {state}")}</span>
                                    </p>
                                    <p class="text-sm text-slate-600 dark:text-slate-300">{s.hint}</p>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

/// MFA adoption as numbers (which carry the meaning) and a bar (which only draws them).
#[component]
fn Adoption(adoption: AdoptionView) -> impl IntoView {
    let a = adoption;
    let enabled = a.percent(a.enabled);
    let missing = a.percent(a.required_not_enrolled);
    let people = |n: i64| if n == 1 { "1 person".to_string() } else { format!("{n} people") };
    view! {
        <section aria-labelledby="adoption-title" class=PANEL>
            <h2 id="adoption-title" class=PANEL_TITLE>"MFA in your organisation"</h2>
            <p class="mb-3 text-sm text-slate-700 dark:text-slate-200">
                {format!(
                    "{} of {} {} an authenticator app.",
                    a.enabled,
                    people(a.members),
                    if a.members == 1 { "uses" } else { "use" }
                )}
            </p>
            // An SVG, because the page's CSP allows no inline style to size a bar with.
            <svg aria-hidden="true" class="mb-4 block h-3 w-full overflow-hidden rounded-full" width="100%" height="12">
                <rect width="100%" height="12" class="fill-slate-200 dark:fill-slate-700" />
                <rect width=format!("{enabled}%") height="12" class="fill-green-600" />
                <rect x=format!("{enabled}%") width=format!("{missing}%") height="12" class="fill-amber-500" />
            </svg>
            <dl class="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1 text-sm">
                <dt class="flex items-center gap-2"><span aria-hidden="true" class="h-2.5 w-2.5 rounded-full bg-green-600"></span>"Authenticator app"</dt>
                <dd class="text-right font-medium" data-count="enabled">{a.enabled}</dd>
                <dt class="flex items-center gap-2"><span aria-hidden="true" class="h-2.5 w-2.5 rounded-full bg-slate-300 dark:bg-slate-500"></span>"Not set up"</dt>
                <dd class="text-right font-medium" data-count="not-enabled">{a.not_enabled}</dd>
                <dt class="flex items-center gap-2"><span aria-hidden="true" class="h-2.5 w-2.5 rounded-full bg-amber-500"></span>"Required, no authenticator app"</dt>
                <dd class="text-right font-medium" data-count="required">{a.required_not_enrolled}</dd>
            </dl>
            {(a.required_not_enrolled > 0).then(|| view! {
                <p class="mt-3"><a href="/settings/team?mfa=required" class=LINK_CLASS>"See who has not set up MFA"</a></p>
            })}
        </section>
    }
}

#[component]
fn LatestEvents(events: Vec<EventLine>) -> impl IntoView {
    view! {
        <section aria-labelledby="events-title" class=PANEL>
            <h2 id="events-title" class=PANEL_TITLE>"Latest security events"</h2>
            {if events.is_empty() {
                view! { <p class="text-sm text-slate-600 dark:text-slate-300">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-200 dark:divide-slate-700">
                        {events
                            .into_iter()
                            .map(|e| view! {
                                <li class="flex flex-wrap justify-between gap-x-4 py-2 text-sm">
                                    <span class="min-w-0 break-words">
                                        <span class="font-medium">{e.what}</span>
                                        {e.failed.then(|| view! { <span class="ml-2 rounded bg-red-100 px-1.5 text-xs font-medium text-red-800 dark:bg-red-900 dark:text-red-100">"Failed"</span> })}
                                        {e.who.map(|w| view! { <span class="text-slate-600 dark:text-slate-300">{format!(" · {w}")}</span> })}
                                    </span>
                                    <span class="whitespace-nowrap text-slate-600 dark:text-slate-300">{e.when}</span>
                                </li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <p class="mt-3"><a href="/settings/activity" class=LINK_CLASS>"Open the activity log"</a></p>
        </section>
    }
}
