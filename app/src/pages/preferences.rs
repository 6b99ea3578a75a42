//! Account -> Email preferences, and the page an unsubscribe link opens.

use leptos::prelude::*;

use crate::api::preferences::{SetMailPreferences, Unsubscribe};
use crate::classes::{INLINE_PRIMARY_CLASS, LINK_CLASS};
use crate::error::AppError;
use crate::forms::{form_islands, PageAlert, Problems, Submit};
use crate::layout::{Card, Notice};

form_islands! {
    /// Which optional mail to get.
    MailPreferencesForm => SetMailPreferences;
    /// "Turn these mails off", from an unsubscribe link.
    UnsubscribeForm => Unsubscribe;
}

/// An optional kind of mail and whether the person gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicView {
    pub id: String,
    pub label: String,
    pub about: String,
    pub on: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferencesView {
    pub topics: Vec<TopicView>,
    pub notice: Option<String>,
    pub error: Option<AppError>,
}

#[component]
pub fn PreferencesPage(view: PreferencesView) -> impl IntoView {
    let problems = Problems(view.error);
    view! {
        <Card title="Email preferences">
            {view.notice.map(|n| view! { <Notice message=n /> })}
            <MailPreferencesForm>
                <PageAlert message=problems.alert(false) />
                <fieldset class="mb-6">
                    <legend class="mb-3 text-sm font-medium text-slate-700 dark:text-slate-200">"Mail you can turn off"</legend>
                    {view.topics.into_iter().enumerate().map(|(i, t)| {
                        let id = format!("topic-{}", t.id);
                        let help = format!("{id}-help");
                        view! {
                            <div class="mb-3 flex items-start gap-3">
                                <input type="checkbox" id=id.clone() name=format!("topics[{i}]") value=t.id checked=t.on aria-describedby=help.clone() class="mt-1 h-4 w-4" />
                                <div>
                                    <label for=id class="text-sm font-medium text-slate-900 dark:text-white">{t.label}</label>
                                    <p id=help class="text-sm text-slate-500 dark:text-slate-400">{t.about}</p>
                                </div>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <Submit label="Save preferences" busy="Saving…" />
            </MailPreferencesForm>
            <h2 class="mb-2 mt-8 text-lg font-semibold text-slate-900 dark:text-white">"Always sent"</h2>
            <p class="text-sm text-slate-700 dark:text-slate-200">
                "Security mail cannot be turned off: codes, password reset links, and every change to your password, email address or MFA, including a reset by an administrator. It is how you learn that someone else is using your account."
            </p>
        </Card>
    }
}

/// What an unsubscribe link opens: a button (opening the link changes nothing), or what was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsubscribeView {
    Ask { token: String, label: String, email: String },
    Done { label: String },
    Invalid,
}

#[component]
pub fn UnsubscribePage(view: UnsubscribeView) -> impl IntoView {
    match view {
        UnsubscribeView::Ask { token, label, email } => view! {
            <Card title="Turn off these mails?">
                <p class="mb-6 text-slate-700 dark:text-slate-200">{format!("{label} will no longer be sent to {email}. Security mail still will.")}</p>
                <UnsubscribeForm>
                    <PageAlert message=None />
                    <input type="hidden" name="token" value=token />
                    <Submit label="Turn them off" busy="Saving…" class=INLINE_PRIMARY_CLASS />
                </UnsubscribeForm>
            </Card>
        }
        .into_any(),
        UnsubscribeView::Done { label } => view! {
            <Card title="Turned off">
                <p role="status" class="mb-4 text-slate-700 dark:text-slate-200">{format!("{label}: turned off. Security mail still reaches you.")}</p>
                <p class="text-slate-700 dark:text-slate-200">
                    "You can turn them on again in "<a href="/account/email-preferences" class=LINK_CLASS>"Email preferences"</a>" once signed in."
                </p>
            </Card>
        }
        .into_any(),
        UnsubscribeView::Invalid => view! {
            <Card title="Link not complete">
                <p class="mb-4 text-slate-700 dark:text-slate-200">"This unsubscribe link is not complete. Use the whole link from the mail, or sign in and go to Email preferences."</p>
                <a href="/account/email-preferences" class=LINK_CLASS>"Email preferences"</a>
            </Card>
        }
        .into_any(),
    }
}
