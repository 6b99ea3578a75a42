//! What every page shares: who is signed in, the frames pages sit in, the notices and alerts.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::classes::LINK_CLASS;
use crate::sign_out::SignOut;

/// Who is signed in, as far as a page needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub display_name: String,
    pub email: String,
    pub org_name: String,
    pub role_label: String,
    /// (href, label) of the pages the frame's navigation offers this person: home and the
    /// settings pages their role opens; nothing while the MFA policy confines them to enrolment.
    pub nav: Vec<(String, String)>,
}

/// Set while a page is rendered inside the signed-in frame: the page's own parts then leave out
/// what the frame already gives (the product name, a full-screen centring).
#[derive(Debug, Clone, Copy)]
pub struct InFrame;

fn in_frame() -> bool {
    use_context::<InFrame>().is_some()
}

const NAV_LINK_CLASS: &str = "block rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 \
    hover:text-slate-900 aria-[current=page]:bg-indigo-50 aria-[current=page]:text-indigo-800 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 dark:text-slate-200 \
    dark:hover:bg-slate-700 dark:aria-[current=page]:bg-slate-700 dark:aria-[current=page]:text-white";

const SUMMARY_CLASS: &str =
    "flex cursor-pointer list-none items-center gap-1 rounded-md px-3 py-2 text-sm font-medium \
    text-slate-700 hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 \
    focus-visible:outline-indigo-600 dark:text-slate-200 dark:hover:bg-slate-700 [&::-webkit-details-marker]:hidden";

const MENU_PANEL_CLASS: &str = "absolute right-0 z-20 mt-2 w-72 max-w-[calc(100vw-2rem)] rounded-xl border \
    border-slate-200 bg-white p-2 shadow-lg dark:border-slate-700 dark:bg-slate-800";

const NAV_PANEL_CLASS: &str = "absolute inset-x-4 top-full z-20 mt-1 rounded-xl border border-slate-200 bg-white p-2 \
    shadow-lg dark:border-slate-700 dark:bg-slate-800";

/// The frame's navigation as a list; `current` is the href of the page's section.
#[component]
fn NavList(links: Vec<(String, String)>, current: Option<&'static str>, row: bool) -> impl IntoView {
    let list = if row { "flex items-center gap-1" } else { "space-y-1" };
    view! {
        <ul class=list>
            {links
                .into_iter()
                .map(|(href, label)| {
                    let here = current == Some(href.as_str());
                    view! {
                        <li><a href=href class=NAV_LINK_CLASS aria-current=here.then_some("page")>{label}</a></li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// Every signed-in page sits in this frame: the product and organisation, the navigation this
/// person's role opens (a menu of its own on a phone) and their own menu. Both menus are
/// `<details>`, so they open by keyboard and work before (and without) JavaScript.
#[component]
pub fn AppFrame(viewer: Viewer, current: Option<&'static str>, children: Children) -> impl IntoView {
    provide_context(InFrame);
    let Viewer { display_name, email, org_name, role_label, nav } = viewer;
    let has_nav = !nav.is_empty();
    let security_here = current == Some("/account/security");
    view! {
        <a href="#page-title" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-30 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-indigo-800 focus:shadow">
            "Skip to content"
        </a>
        <header class="border-b border-slate-200 bg-white dark:border-slate-700 dark:bg-slate-800">
            <div class="relative mx-auto flex max-w-5xl items-center gap-2 px-4 py-2">
                <a href="/" class="flex min-w-0 items-center gap-2 rounded-md py-1 pr-2 font-semibold tracking-tight text-slate-900 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-white">
                    <span aria-hidden="true" class="inline-block rounded bg-indigo-600 px-1.5 text-white">"T"</span>
                    <span>"Tessera"</span>
                    <span class="hidden truncate font-normal text-slate-500 sm:inline dark:text-slate-400">{format!("· {org_name}")}</span>
                </a>
                {has_nav.then(|| view! {
                    <nav aria-label="Main" class="ml-4 hidden md:block">
                        <NavList links=nav.clone() current row=true />
                    </nav>
                })}
                <div class="ml-auto flex items-center gap-1">
                    {has_nav.then(|| view! {
                        // Not `relative`: its panel spans the header's width, not the button's.
                        <details class="md:hidden" data-menu="navigation">
                            <summary class=SUMMARY_CLASS>"Menu"</summary>
                            <div class=NAV_PANEL_CLASS>
                                <nav aria-label="Main"><NavList links=nav current row=false /></nav>
                            </div>
                        </details>
                    })}
                    <details class="relative" data-menu="person">
                        <summary class=SUMMARY_CLASS>
                            <span class="sr-only">"Your account: "</span>
                            <span class="max-w-[10rem] truncate">{display_name.clone()}</span>
                            <span aria-hidden="true">"▾"</span>
                        </summary>
                        <div class=MENU_PANEL_CLASS>
                            <div class="border-b border-slate-200 px-3 pb-2 pt-1 text-sm dark:border-slate-700">
                                <p class="font-medium text-slate-900 dark:text-white">{display_name}</p>
                                <p class="wrap-anywhere text-slate-600 dark:text-slate-300">{email}</p>
                                <p class="text-slate-600 dark:text-slate-300">{format!("{role_label} · {org_name}")}</p>
                            </div>
                            <ul class="space-y-1 py-2">
                                <li>
                                    <a href="/account/security" class=NAV_LINK_CLASS aria-current=security_here.then_some("page")>
                                        "Account security"
                                    </a>
                                </li>
                            </ul>
                            <SignOut label="Sign out" />
                        </div>
                    </details>
                </div>
            </div>
        </header>
        {children()}
    }
}

/// A confirmation as a page of its own: what its dialog opens without JavaScript, centred and
/// announced as an alert dialog.
#[component]
pub fn ConfirmationPage(labelled_by: &'static str, described_by: &'static str, children: Children) -> impl IntoView {
    let main_class = if in_frame() {
        "flex justify-center px-4 py-8 sm:py-10"
    } else {
        "min-h-screen flex items-center justify-center px-4 py-10"
    };
    view! {
        <main class=main_class>
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
    let framed = in_frame();
    let main_class = if framed {
        "flex justify-center px-4 py-8 sm:py-10"
    } else {
        "min-h-screen flex items-center justify-center px-4 py-10"
    };
    view! {
        <main class=main_class>
            <div class="w-full max-w-md">
                {(!framed).then(|| view! {
                    <p class="mb-6 text-center text-lg font-semibold tracking-tight text-slate-900 dark:text-slate-100">
                        <span aria-hidden="true" class="mr-1 inline-block rounded bg-indigo-600 px-1.5 text-white">"T"</span>
                        "Tessera"
                    </p>
                })}
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

/// Settings pages are wide: tables and side-by-side filters. `parent` is the page this one sits
/// under (a member under the team), shown as a breadcrumb.
#[component]
pub fn SettingsPage(
    title: String,
    #[prop(optional)] parent: Option<(&'static str, &'static str)>,
    children: Children,
) -> impl IntoView {
    view! {
        <main class="mx-auto max-w-5xl px-4 py-8 sm:py-10">
            {parent.map(|(href, label)| view! {
                <nav aria-label="Breadcrumb" class="mb-2 text-sm">
                    <a href=href class=LINK_CLASS>{label}</a>
                    <span aria-hidden="true" class="mx-1 text-slate-400">"/"</span>
                    <span aria-current="page" class="text-slate-600 dark:text-slate-300">{title.clone()}</span>
                </nav>
            })}
            <h1 id="page-title" class="mb-6 text-2xl font-semibold text-slate-900 dark:text-white">{title}</h1>
            {children()}
        </main>
    }
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

/// A status as a badge: green when all is well, amber when something is owed, blue for an
/// invitation under way. The words carry the meaning; colour only repeats it.
#[component]
pub fn StatusBadge(#[prop(into)] label: String) -> impl IntoView {
    let colours = match label.as_str() {
        "Authenticator app" => "bg-green-100 text-green-900 dark:bg-green-900 dark:text-green-100",
        l if l.starts_with("Required,") || l == "Invitation expired" => {
            "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100"
        }
        "Invited" => "bg-sky-100 text-sky-900 dark:bg-sky-900 dark:text-sky-100",
        _ => "bg-slate-100 text-slate-800 dark:bg-slate-700 dark:text-slate-100",
    };
    view! { <span class=format!("inline-block whitespace-nowrap rounded px-2 py-0.5 text-xs font-medium {colours}")>{label}</span> }
}
