//! The sign-out button: in the signed-in frame and on every step of signing in.

use leptos::prelude::*;

use crate::api::auth::Logout;
use crate::classes::SECONDARY_BUTTON_CLASS;
use crate::forms::{form_islands, Submit};

form_islands! {
    /// Signing out, from any page and any state.
    SignOutForm => Logout;
}

/// The sign-out button, as a form of its own.
#[component]
pub fn SignOut(label: &'static str) -> impl IntoView {
    view! {
        <SignOutForm>
            <Submit label class=SECONDARY_BUTTON_CLASS busy="Signing out…" />
        </SignOutForm>
    }
}
