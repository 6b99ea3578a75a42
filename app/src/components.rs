//! The small islands that are not forms: copy, print, the modal dialog, and reading a list from a
//! file.

use leptos::prelude::*;

use crate::classes::{HINT_CLASS, LABEL_CLASS, SMALL_BUTTON_CLASS};

/// The largest file [`ListFromFile`] reads: a list of 100 people is far smaller, and the form's
/// body must stay under the server's limit.
#[cfg(feature = "hydrate")]
const LIST_FILE_MAX_BYTES: f64 = 60_000.0;

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

/// Reads a chosen file (a spreadsheet saved as CSV, a text file) into the list of addresses
/// (`#addresses`) above it, so what will be sent can be checked and corrected first. The file
/// itself is never sent. Appears once hydrated; without JavaScript the list is pasted.
#[island]
pub fn ListFromFile() -> impl IntoView {
    let ready = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    Effect::new(move |_| ready.set(true));
    let on_change = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            use leptos::web_sys::{HtmlInputElement, HtmlTextAreaElement};
            let Some(input) = _ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            if file.size() > LIST_FILE_MAX_BYTES {
                status
                    .set(Some("That file is too large for one list of up to 100 people. Choose a smaller one.".into()));
                return;
            }
            let name = file.name();
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
                let area =
                    document().get_element_by_id("addresses").and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok());
                match (text, area) {
                    (Some(text), Some(area)) => {
                        area.set_value(&text);
                        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
                        let lines = if lines == 1 { "1 line".to_string() } else { format!("{lines} lines") };
                        status
                            .set(Some(format!("Read {lines} from {name} into the list above. Check them, then send.")));
                    }
                    _ => status.set(Some("That file could not be read. Paste the addresses instead.".into())),
                }
            });
        }
    };
    view! {
        <div class="mb-5" hidden=move || !ready.get()>
            <label for="addresses-file" class=LABEL_CLASS>"Or read the list from a file"</label>
            <input
                id="addresses-file"
                type="file"
                accept=".csv,.txt,text/csv,text/plain"
                on:change=on_change
                aria-describedby="addresses-file-hint addresses-file-status"
                class="block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border file:border-slate-300 \
                    file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium file:text-slate-800 \
                    focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 \
                    focus-visible:outline-indigo-600 dark:text-slate-200 dark:file:border-slate-600 \
                    dark:file:bg-slate-800 dark:file:text-slate-100"
            />
            <p id="addresses-file-hint" class=HINT_CLASS>
                "A spreadsheet saved as CSV, or a text file. It fills the list above, where you can check it before sending."
            </p>
            <p id="addresses-file-status" role="status" class=HINT_CLASS>{move || status.get()}</p>
        </div>
    }
}
