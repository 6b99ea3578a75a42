//! The small islands that are not forms: copy, print, and the modal dialog.

use leptos::prelude::*;

use crate::layout::SMALL_BUTTON_CLASS;

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

/// A modal dialog opened from a link: the link (`data-open-dialog`) leads to a page of its own
/// without JavaScript; with the WASM it opens the `<dialog>` beside it instead, as a real modal
/// (the rest of the page inert, focus inside, Escape closes, focus back on the link after).
/// Buttons marked `data-close-dialog` close it.
#[island]
pub fn ModalDialog(children: Children) -> impl IntoView {
    let on_click = move |_ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            use leptos::web_sys::{Element, HtmlDialogElement};
            let Some(target) = _ev.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
            // Leptos delegates events to the document: find this island's element from the target.
            let wrapper = target.closest("[data-dialog-host]").ok().flatten();
            let dialog = wrapper
                .and_then(|w| w.query_selector("dialog").ok().flatten())
                .and_then(|d| d.dyn_into::<HtmlDialogElement>().ok());
            let Some(dialog) = dialog else { return };
            if target.closest("[data-open-dialog]").ok().flatten().is_some() {
                _ev.prevent_default();
                let _ = dialog.show_modal();
            } else if target.closest("[data-close-dialog]").ok().flatten().is_some() {
                dialog.close();
            }
        }
    };
    view! { <div data-dialog-host data-hydrated=crate::forms::hydrated() on:click=on_click>{children()}</div> }
}
