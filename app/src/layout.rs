//! What every page shares: who is signed in, the frames pages sit in, the notices and alerts, and
//! the classes that give buttons, links and inputs one look.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const INPUT_CLASS: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 \
    shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 \
    focus:ring-indigo-500 aria-[invalid=true]:border-red-500 dark:border-slate-600 dark:bg-slate-900 dark:text-white";

pub const BUTTON_CLASS: &str = "w-full rounded-lg bg-indigo-600 px-4 py-2.5 font-medium text-white shadow-sm \
    hover:bg-indigo-500 disabled:cursor-wait disabled:opacity-70 focus-visible:outline focus-visible:outline-2 \
    focus-visible:outline-offset-2 focus-visible:outline-indigo-600 dark:focus-visible:outline-indigo-300";

pub const SECONDARY_BUTTON_CLASS: &str = "w-full rounded-lg border border-slate-300 bg-white px-4 py-2.5 font-medium \
    text-slate-800 hover:bg-slate-50 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 dark:border-slate-600 \
    dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700";

pub const DANGER_BUTTON_CLASS: &str = "w-full rounded-lg border border-red-300 bg-white px-4 py-2.5 font-medium \
    text-red-700 hover:bg-red-50 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700 dark:border-red-800 \
    dark:bg-slate-800 dark:text-red-300 dark:hover:bg-slate-700";

/// A button that fits in a row (team pages, dialogs).
pub const INLINE_DANGER_CLASS: &str = "inline-block rounded-lg bg-red-700 px-4 py-2.5 font-medium text-white \
    shadow-sm hover:bg-red-600 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700 dark:focus-visible:outline-red-300";

pub const INLINE_SECONDARY_CLASS: &str = "inline-block rounded-lg border border-slate-300 bg-white px-4 py-2.5 \
    font-medium text-slate-800 hover:bg-slate-50 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 dark:border-slate-600 \
    dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700";

pub const SMALL_BUTTON_CLASS: &str = "rounded-md border border-slate-300 px-3 py-1 text-sm font-medium text-slate-800 \
    hover:bg-slate-50 disabled:cursor-wait disabled:opacity-70 focus-visible:outline focus-visible:outline-2 \
    focus-visible:outline-indigo-600 dark:border-slate-600 dark:text-slate-100 dark:hover:bg-slate-700";

pub const LINK_CLASS: &str = "font-medium text-indigo-700 underline focus-visible:outline focus-visible:outline-2 \
    focus-visible:outline-indigo-600 dark:text-indigo-300";

/// A modal `<dialog>`: centred, within the screen on a phone, scrolling inside if it must.
pub const DIALOG_CLASS: &str = "m-auto max-h-[calc(100dvh-2rem)] w-[calc(100%-2rem)] max-w-lg overflow-y-auto rounded-2xl \
    border border-slate-200 bg-white p-6 text-slate-900 shadow-xl backdrop:bg-slate-900/50 sm:p-8 dark:border-slate-700 \
    dark:bg-slate-800 dark:text-slate-100";
pub const LABEL_CLASS: &str = "mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-200";

pub const HINT_CLASS: &str = "mt-1.5 text-sm text-slate-500 dark:text-slate-400";

/// File names of the built assets (hashed in release builds), resolved once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetNames {
    pub css: String,
}

/// Who is signed in, as far as a page needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub display_name: String,
    pub email: String,
    pub org_name: String,
    pub role_label: String,
    /// (href, label) of the settings pages this person's role opens.
    pub settings: Vec<(String, String)>,
}

/// A confirmation as a page of its own: what its dialog opens without JavaScript, centred and
/// announced as an alert dialog.
#[component]
pub fn ConfirmationPage(labelled_by: &'static str, described_by: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="min-h-screen flex items-center justify-center px-4 py-10">
            <section
                role="alertdialog"
                aria-labelledby=labelled_by
                aria-describedby=described_by
                class="w-full max-w-lg rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-700 dark:bg-slate-800"
            >
                {children()}
            </section>
        </main>
    }
}

/// A confirmation's question: the page's `h1` as a page of its own, an `h2` in a dialog over a page.
#[component]
pub fn ConfirmationTitle(id: &'static str, title: String, in_dialog: bool) -> impl IntoView {
    if in_dialog {
        view! { <h2 id=id class="mb-4 text-2xl font-semibold">{title}</h2> }.into_any()
    } else {
        view! { <h1 id=id class="mb-4 text-2xl font-semibold">{title}</h1> }.into_any()
    }
}

/// The centred card every sign-in step sits in.
#[component]
pub fn Card(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="min-h-screen flex items-center justify-center px-4 py-10">
            <div class="w-full max-w-md">
                <p class="mb-6 text-center text-lg font-semibold tracking-tight text-slate-900 dark:text-slate-100">
                    <span aria-hidden="true" class="mr-1 inline-block rounded bg-indigo-600 px-1.5 text-white">"T"</span>
                    "Tessera"
                </p>
                <section
                    aria-labelledby="page-title"
                    class="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-700 dark:bg-slate-800"
                >
                    <h1 id="page-title" class="mb-6 text-2xl font-semibold text-slate-900 dark:text-white">
                        {title}
                    </h1>
                    {children()}
                </section>
            </div>
        </main>
    }
}

/// Settings pages are wide: tables and side-by-side filters.
#[component]
pub fn SettingsPage(title: String, back: (&'static str, &'static str), children: Children) -> impl IntoView {
    view! {
        <main class="mx-auto max-w-5xl px-4 py-10">
            <p class="mb-4"><a href=back.0 class=LINK_CLASS>{back.1}</a></p>
            <h1 id="page-title" class="mb-6 text-2xl font-semibold text-slate-900 dark:text-white">{title}</h1>
            {children()}
        </main>
    }
}

/// Links to the settings pages a viewer may use.
#[component]
pub fn SettingsLinks(links: Vec<(String, String)>) -> impl IntoView {
    (!links.is_empty()).then(|| {
        view! {
            <nav aria-label="Organisation settings" class="mb-6">
                <h2 class="mb-2 text-sm font-semibold text-slate-700 dark:text-slate-200">"Organisation settings"</h2>
                <ul class="space-y-1">
                    {links
                        .into_iter()
                        .map(|(href, label)| view! { <li><a href=href class=LINK_CLASS>{label}</a></li> })
                        .collect_view()}
                </ul>
            </nav>
        }
    })
}

/// A message about the whole page that screen readers announce as soon as the page loads.
#[component]
pub fn Alert(message: String) -> impl IntoView {
    view! {
        <div
            role="alert"
            class="mb-5 rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
        >
            {message}
        </div>
    }
}

/// A neutral confirmation ("You have signed out.").
#[component]
pub fn Notice(message: String) -> impl IntoView {
    view! {
        <div
            role="status"
            class="mb-5 rounded-lg border border-emerald-300 bg-emerald-50 px-4 py-3 text-sm text-emerald-800 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"
        >
            {message}
        </div>
    }
}
