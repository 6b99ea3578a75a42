//! A person's own email address: asking to change it, and confirming the new one through the
//! link mailed to it.

use leptos::prelude::*;

use crate::api::account::{ConfirmEmailChange, RequestEmailChange};
use crate::classes::{BUTTON_CLASS, LINK_CLASS};
use crate::error::{step_up_page, AppError};
use crate::forms::{form_islands, Input, PageAlert, Problems, Submit};
use crate::layout::{Card, Notice};

form_islands! {
    /// "Change email address": where to send the confirmation link.
    ChangeEmailForm => RequestEmailChange;
    /// "Use this address": the link's confirmation, a button so that opening the link changes nothing.
    ConfirmEmailForm => ConfirmEmailChange;
}

/// What "Change email address" shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEmailView {
    pub current: String,
    /// Only someone with an authenticator app can change it themselves.
    pub has_app: bool,
    /// A fresh code from the app was given moments ago.
    pub fresh: bool,
    /// A link was just sent.
    pub sent: bool,
    /// What was typed, when asking failed.
    pub typed: String,
    pub error: Option<AppError>,
}

#[component]
pub fn ChangeEmailPage(view: ChangeEmailView) -> impl IntoView {
    let ChangeEmailView { current, has_app, fresh, sent, typed, error } = view;
    let problems = Problems(error);
    let body = match (has_app, fresh) {
        (false, _) => view! {
            <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                "Changing your email address needs an authenticator app. An emailed code cannot confirm it: whoever can read your mailbox could then move your account to an address of their own."
            </p>
            <p class="text-sm text-slate-700 dark:text-slate-200">
                <a href="/account/security" class=LINK_CLASS>"Set up an authenticator app"</a>
                " first, or ask an administrator of your organisation."
            </p>
        }
        .into_any(),
        (true, false) => view! {
            <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                "Changing your email address needs a fresh code from your authenticator app (or a recovery code)."
            </p>
            <a href=step_up_page(Some("/account/security/email")) class=BUTTON_CLASS>"Confirm it is you"</a>
        }
        .into_any(),
        (true, true) => view! {
            <ChangeEmailForm>
                <PageAlert message=problems.alert(false) />
                <Input
                    name="new_email"
                    label="New email address"
                    kind="email"
                    autocomplete="email"
                    value=typed
                    error=problems.field("new_email")
                    autofocus=!sent
                    hint="We send a link to it. Your address changes only when you open the link and press \"Use this address\" on its page, within 60 minutes."
                />
                <Submit label="Send confirmation link" busy="Sending…" />
            </ChangeEmailForm>
        }
        .into_any(),
    };
    view! {
        <Card title="Change email address">
            {sent.then(|| view! {
                <Notice message="We sent a confirmation link to the new address. Your email address changes when you open it and press \"Use this address\", within 60 minutes; until then you sign in with the current one.".to_string() />
            })}
            <p class="mb-5 text-sm text-slate-600 dark:text-slate-300">
                "Your email address is " <strong class="wrap-anywhere text-slate-900 dark:text-white">{current}</strong>
                ". You sign in with it, and mail about your account's security goes to it. We tell it about any change."
            </p>
            {body}
            <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Cancel"</a></p>
        </Card>
    }
}

/// The page a confirmation link opens: the new address, and a button to use it.
#[component]
pub fn ConfirmEmailPage(token: String, new_email: String, error: Option<AppError>) -> impl IntoView {
    let problems = Problems(error);
    view! {
        <Card title="Confirm your new email address">
            <p class="mb-5 text-sm text-slate-700 dark:text-slate-200">
                "Your account's email address will be " <strong class="wrap-anywhere">{new_email}</strong>
                ". You will sign in with it, and mail about your account will go to it."
            </p>
            <ConfirmEmailForm>
                <PageAlert message=problems.alert(true) />
                <input type="hidden" name="token" value=token />
                <Submit label="Use this address" busy="Saving…" />
            </ConfirmEmailForm>
        </Card>
    }
}
