//! Building blocks of pages that are not forms of a server function: static fields (for GET
//! forms and read-only pages) and the small islands that copy and print.

use leptos::prelude::*;

use crate::layout::{INPUT_CLASS, SMALL_BUTTON_CLASS};

/// The error under a field, tied to it with `aria-describedby`.
#[component]
pub fn FieldError(id: String, error: Option<String>) -> impl IntoView {
    error.map(|e| {
        view! {
            <p id=id class="mt-1.5 text-sm text-red-700 dark:text-red-300">
                {e}
            </p>
        }
    })
}

/// A labelled text input with its error, for forms that only read (filters) and pages without a
/// form island.
#[component]
pub fn TextField(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] value: String,
    #[prop(optional_no_strip)] error: Option<String>,
    #[prop(optional)] autofocus: bool,
    /// The field may be left empty.
    #[prop(optional)]
    optional: bool,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    let described = error.as_ref().map(|_| error_id.clone());
    let invalid = error.as_ref().map(|_| "true");
    view! {
        <div class="mb-5">
            <label for=name class="mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-200">
                {label}
            </label>
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                required=!optional
                autofocus=autofocus
                aria-invalid=invalid
                aria-describedby=described
                class=INPUT_CLASS
            />
            <FieldError id=error_id error=error />
        </div>
    }
}

/// Copies the text of the element just before this island, or just before its row of buttons
/// (the setup key, the recovery codes).
/// Appears once hydrated; without JavaScript the text is still selectable.
#[island]
pub fn CopyButton() -> impl IntoView {
    let ready = RwSignal::new(false);
    let copied = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let copy = move |ev: leptos::ev::MouseEvent| {
        use leptos::wasm_bindgen::JsCast;
        let button: leptos::web_sys::Element = event_target(&ev);
        // The text is the island's previous sibling, or its parent's when it leads a button row.
        let island = button.parent_element();
        let source = island
            .as_ref()
            .and_then(|i| i.previous_element_sibling())
            .or_else(|| island.and_then(|i| i.parent_element()).and_then(|p| p.previous_element_sibling()));
        if let Some(el) = source.and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
            let _ = window().navigator().clipboard().write_text(&el.inner_text());
            copied.set(true);
        }
    };
    view! {
        <button type="button" hidden=move || !ready.get() on:click=copy class=SMALL_BUTTON_CLASS>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
        <span role="status" class="sr-only">{move || copied.get().then_some("Copied to the clipboard.")}</span>
    }
}

/// Opens the browser's print dialog (for the recovery codes). Appears once hydrated.
#[island]
pub fn PrintButton() -> impl IntoView {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    view! {
        <button type="button" hidden=move || !ready.get() on:click=move |_| { let _ = window().print(); } class=SMALL_BUTTON_CLASS>
            "Print"
        </button>
    }
}
