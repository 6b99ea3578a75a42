//! Building blocks shared by the pages, and the islands (the only parts that hydrate).

use leptos::prelude::*;

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
                    class="rounded-2xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-700 dark:bg-slate-800"
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

/// A form-level message that screen readers announce as soon as the page loads.
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

pub const INPUT_CLASS: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 \
    shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 \
    focus:ring-indigo-500 aria-[invalid=true]:border-red-500 dark:border-slate-600 dark:bg-slate-900 dark:text-white";

pub const BUTTON_CLASS: &str = "w-full rounded-lg bg-indigo-600 px-4 py-2.5 font-medium text-white shadow-sm \
    hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 \
    focus-visible:outline-indigo-600 dark:focus-visible:outline-indigo-300";

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

/// A labelled text input with its error. `value` is shown back after a failed submit so nothing
/// typed is lost (passwords never are: see [`PasswordField`]).
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

/// The show/hide switch of a password input: the only island. The input itself is plain
/// server-rendered HTML (it works without JavaScript); this button appears once the WASM has
/// hydrated it, in space reserved for it so nothing moves. It has no props, so nothing at all is
/// serialised into the page for it.
#[island]
pub fn PasswordToggle() -> impl IntoView {
    let shown = RwSignal::new(false);
    let ready = RwSignal::new(false);
    // Effects run only in the browser, after hydration: until then the button stays hidden.
    Effect::new(move |_| ready.set(true));
    let toggle = move |ev: leptos::ev::MouseEvent| {
        let show = !shown.get_untracked();
        shown.set(show);
        // The input is the island's previous sibling (see `PasswordField`).
        let button: leptos::web_sys::Element = event_target(&ev);
        if let Some(input) = button.parent_element().and_then(|island| island.previous_element_sibling()) {
            let _ = input.set_attribute("type", if show { "text" } else { "password" });
        }
    };
    view! {
        <button
            type="button"
            hidden=move || !ready.get()
            aria-pressed=move || if shown.get() { "true" } else { "false" }
            on:click=toggle
            class="absolute inset-y-1 right-1 rounded-md px-3 text-sm font-medium text-indigo-700 hover:bg-indigo-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 aria-pressed:bg-indigo-100 dark:text-indigo-300 dark:hover:bg-slate-700 dark:aria-pressed:bg-slate-700"
        >
            "Show password"
        </button>
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

pub const SMALL_BUTTON_CLASS: &str = "rounded-md border border-slate-300 px-3 py-1 text-sm font-medium text-slate-800 \
    hover:bg-slate-50 dark:border-slate-600 dark:text-slate-100 dark:hover:bg-slate-700";

/// A labelled password input with its show/hide toggle, error and an optional hint.
#[component]
pub fn PasswordField(
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    #[prop(optional_no_strip)] error: Option<String>,
    #[prop(optional_no_strip)] hint: Option<&'static str>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    let hint_id = format!("{name}-hint");
    let mut described: Vec<String> = Vec::new();
    if hint.is_some() {
        described.push(hint_id.clone());
    }
    if error.is_some() {
        described.push(error_id.clone());
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    view! {
        <div class="mb-5">
            <label for=name class="mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-200">
                {label}
            </label>
            <div class="relative">
                // No `maxlength`: a long pasted password must be refused, never silently cut.
                <input
                    id=name
                    name=name
                    type="password"
                    autocomplete=autocomplete
                    required
                    autofocus=autofocus
                    spellcheck="false"
                    autocapitalize="none"
                    aria-invalid=error.as_ref().map(|_| "true")
                    aria-describedby=described
                    class=format!("{INPUT_CLASS} pr-36")
                />
                <PasswordToggle />
            </div>
            {hint.map(|h| view! { <p id=hint_id class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">{h}</p> })}
            <FieldError id=error_id error=error />
        </div>
    }
}
