//! The pages of signing in to one of the organisation's applications: on the way back to it,
//! a request it got wrong, and a person it does not admit.

use leptos::prelude::*;

use crate::classes::{INLINE_PRIMARY_CLASS, LINK_CLASS};
use crate::layout::Card;
use crate::sign_out::SignOut;

/// An application's request waiting at the end of enrolment: the last page of the wizard
/// resumes it (a plain GET form of its parameters, so it works without JavaScript).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContinueTo {
    pub app_name: String,
    pub params: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppView {
    /// Signed in: on the way back to the application (the browser goes on by itself).
    Continue { to: String },
    /// The application's request cannot be answered, and nothing is sent back to it.
    Invalid { message: String },
    /// The person may not use the application; `back` tells the application so.
    Refused { app_name: String, why: String, back: String },
    /// An application asks to sign this browser out of Tessera without proof that it speaks for
    /// its person: they decide.
    ConfirmSignOut,
}

impl AppView {
    pub fn title(&self) -> &'static str {
        match self {
            AppView::Continue { .. } => "Returning to the application",
            AppView::Invalid { .. } => "This sign-in request is not valid",
            AppView::Refused { .. } => "You can't use this application",
            AppView::ConfirmSignOut => "Sign out of Tessera?",
        }
    }
}

#[component]
pub fn ApplicationPage(view: AppView) -> impl IntoView {
    match view {
        AppView::Continue { to } => view! {
            <Card title="Returning to the application">
                <p class="mb-6 text-slate-700 dark:text-slate-200">"You are signed in. Your browser is taking you back to the application."</p>
                <a href=to class=INLINE_PRIMARY_CLASS>"Continue"</a>
            </Card>
        }
        .into_any(),
        AppView::Invalid { message } => view! {
            <Card title="This sign-in request is not valid">
                <div role="alert" class="text-slate-700 dark:text-slate-200">
                    <p class="mb-4">"The application that sent you here asked Tessera for something it cannot do, so you were not signed in to it."</p>
                    <p class="mb-4 wrap-anywhere">"What is wrong: " {message} "."</p>
                    <p class="mb-6">"Go back to the application and try again. If this keeps happening, tell whoever looks after it: it needs to be set up again in Tessera."</p>
                </div>
                <a href="/" class=LINK_CLASS>"Go to Tessera"</a>
            </Card>
        }
        .into_any(),
        AppView::Refused { app_name, why, back } => view! {
            <Card title="You can't use this application">
                <div role="alert" class="text-slate-700 dark:text-slate-200">
                    <p class="mb-4">{format!("You are signed in to Tessera, but you may not use {app_name}.")}</p>
                    <p class="mb-6">{why}</p>
                </div>
                <p class="flex flex-wrap gap-x-6 gap-y-2">
                    <a href=back class=LINK_CLASS>{format!("Back to {app_name}")}</a>
                    <a href="/" class=LINK_CLASS>"Go to Tessera"</a>
                </p>
            </Card>
        }
        .into_any(),
        AppView::ConfirmSignOut => view! {
            <Card title="Sign out of Tessera?">
                <p class="mb-6 text-slate-700 dark:text-slate-200">"An application asked to sign you out of Tessera. If you did not just sign out of one, stay signed in."</p>
                <div class="mb-4"><SignOut label="Sign out" /></div>
                <a href="/" class=LINK_CLASS>"Stay signed in"</a>
            </Card>
        }
        .into_any(),
    }
}
