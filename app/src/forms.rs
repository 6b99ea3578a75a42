//! Forms: each is an island that renders a real `<form method="post">` to its server function,
//! so it works before and without the WASM. Once hydrated it submits in place: the browser's own
//! form body goes to the same function with `fetch`, the submit button shows that it is busy and
//! cannot be pressed twice, success follows the function to the next page, and an error appears
//! at its field (or in the form's alert), is announced and takes the focus.
//!
//! The fields are server-rendered children of the island: what was typed and the errors of a
//! submit without the WASM are in the HTML, and islands take no props, so nothing (least of all a
//! secret) is serialised into the page, and the browser needs no JSON decoder. Why not
//! `ActionForm`, and the weights measured, are in the README.

use leptos::prelude::*;

use crate::classes::{BUTTON_CLASS, HINT_CLASS, INPUT_CLASS, LABEL_CLASS};
use crate::error::AppError;

/// The alert of a form of several fields whose fields have problems.
const SUMMARY: &str = "Please correct the fields marked below.";

const ERROR_CLASS: &str = "mt-1.5 text-sm text-red-700 empty:hidden dark:text-red-300";
const ALERT_CLASS: &str = "mb-5 rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-800 \
    empty:hidden dark:border-red-800 dark:bg-red-950 dark:text-red-200";

/// Becomes `Some("")` once the island runs in the browser, for a `data-hydrated` attribute:
/// tests (and styles) can tell a form the WASM has taken over from one it has not.
pub fn hydrated() -> impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static {
    let ready = RwSignal::new(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| ready.set(true));
    move || ready.get().then_some("")
}

/// The shell of every form island: the form, posting to `action` (a server function's path),
/// and the alert where an island puts errors about the whole form.
#[component]
pub fn ServerForm(action: &'static str, children: Children) -> impl IntoView {
    let alert = RwSignal::new(None::<String>);
    // Read only by the handlers, which exist only in the browser.
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let busy = RwSignal::new(false);
    let on_submit = move |_ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        submit::start(_ev, alert, busy);
    };
    let on_input = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        submit::maybe_auto_submit(&_ev, busy);
    };
    let hydrated = hydrated();
    view! {
        <form method="post" action=action novalidate on:submit=on_submit on:input=on_input data-hydrated=hydrated>
            <div role="alert" tabindex="-1" data-island-alert class=ALERT_CLASS>{move || alert.get()}</div>
            {children()}
        </form>
    }
}

/// A form that only reads (filters a list): a GET form to the page itself, so its result can
/// be bookmarked and works without JavaScript. With the WASM, a changed choice applies at once.
#[component]
pub fn FilterForm(action: &'static str, children: Children) -> impl IntoView {
    let on_change = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let select = _ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlSelectElement>().ok());
            if let Some(form) = select.and_then(|s| s.form()) {
                let _ = form.request_submit();
            }
        }
    };
    view! {
        <form method="get" action=action role="search" on:change=on_change data-hydrated=hydrated() class="mb-6 grid gap-x-4 sm:grid-cols-3 lg:grid-cols-4">
            {children()}
        </form>
    }
}

/// Declares one filter island per page: `Name => "/path"`.
macro_rules! filter_islands {
    ($($(#[$doc:meta])* $island:ident => $path:literal;)+) => {
        $(
            $(#[$doc])*
            #[island]
            pub fn $island(children: Children) -> impl IntoView {
                view! { <$crate::forms::FilterForm action=$path>{children()}</$crate::forms::FilterForm> }
            }
        )+
    };
}
pub(crate) use filter_islands;

/// Declares one form island per server function: `Name => ServerFnType`.
macro_rules! form_islands {
    ($($(#[$doc:meta])* $island:ident => $server_fn:ty;)+) => {
        $(
            $(#[$doc])*
            #[island]
            pub fn $island(children: Children) -> impl IntoView {
                let action = <$server_fn as ::leptos::server_fn::ServerFn>::PATH;
                view! { <$crate::forms::ServerForm action>{children()}</$crate::forms::ServerForm> }
            }
        )+
    };
}
pub(crate) use form_islands;

#[cfg(feature = "hydrate")]
mod submit {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::{
        Element, FormData, Headers, HtmlButtonElement, HtmlElement, HtmlFormElement, HtmlInputElement, RequestInit,
        Response, UrlSearchParams,
    };
    use wasm_bindgen_futures::JsFuture;

    use super::SUMMARY;
    use crate::error::AppError;

    pub fn start(ev: leptos::ev::SubmitEvent, alert: RwSignal<Option<String>>, busy: RwSignal<bool>) {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(form) = ev.target().and_then(|t| t.dyn_into::<HtmlFormElement>().ok()) else { return };
        // A button with its own `formaction` sends the form there, as it does without the WASM.
        let action = ev.submitter().and_then(|b| b.get_attribute("formaction")).unwrap_or_else(|| form.action());
        busy.set(true);
        set_busy(&form, true);
        // A new try: the last one's errors go, so they cannot be taken for this one's answer.
        alert.set(None);
        clear_problems(&form);
        leptos::task::spawn_local(async move {
            match post(&form, &action).await {
                // Stay busy while the next page loads.
                Ok(next) => navigate(next.as_deref()),
                Err(e) => match e.location() {
                    Some(to) => navigate(Some(&to)),
                    None => {
                        show_problems(&form, &e, alert);
                        set_busy(&form, false);
                        busy.set(false);
                    }
                },
            }
        });
    }

    /// A code from an authenticator app sends its form once its six digits are typed or pasted.
    pub fn maybe_auto_submit(ev: &leptos::ev::Event, busy: RwSignal<bool>) {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
        if !input.has_attribute("data-auto-submit") || busy.get_untracked() {
            return;
        }
        let digits: String = input.value().chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(form) = input.form() {
                let _ = form.request_submit();
            }
        }
    }

    /// Sends the form's own body to its action, as the browser would without JavaScript, but
    /// asking for the function's answer rather than a page. `Ok` is where to go next.
    async fn post(form: &HtmlFormElement, action: &str) -> Result<Option<String>, AppError> {
        let body = FormData::new_with_form(form)
            .and_then(|data| UrlSearchParams::new_with_str_sequence_sequence(&data))
            .map_err(|_| AppError::BadRequest)?;
        let headers = Headers::new().map_err(|_| AppError::Internal)?;
        let _ = headers.set("Accept", "text/plain");
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&body);
        let sent = window().fetch_with_str_and_init(action, &init);
        let res: Response =
            JsFuture::from(sent).await.map_err(|_| AppError::Offline)?.dyn_into().map_err(|_| AppError::Offline)?;
        if res.ok() {
            return Ok(res.headers().get("Location").ok().flatten());
        }
        let text = match res.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t: JsValue| t.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        Err(AppError::decode(&text))
    }

    fn navigate(to: Option<&str>) {
        let location = window().location();
        let here = format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
        let _ = match to.map(|to| (to, to.split_once('#'))) {
            // Only the fragment would change (a second preview): the browser would scroll, not
            // load the answer, and the buttons would stay busy. Load it.
            Some((_, Some((page, fragment)))) if page == here => {
                let _ = location.set_hash(fragment);
                location.reload()
            }
            Some((to, _)) => location.assign(to),
            None => location.reload(),
        };
    }

    fn elements(form: &HtmlFormElement, selector: &str) -> Vec<Element> {
        let Ok(list) = form.query_selector_all(selector) else { return Vec::new() };
        (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into::<Element>().ok()).collect()
    }

    /// The submit buttons say the form is on its way and cannot be pressed meanwhile.
    fn set_busy(form: &HtmlFormElement, busy: bool) {
        for el in elements(form, "button[type=submit]") {
            let Ok(button) = el.dyn_into::<HtmlButtonElement>() else { continue };
            button.set_disabled(busy);
            let _ = if busy { button.set_attribute("aria-busy", "true") } else { button.remove_attribute("aria-busy") };
            if let Some(label) = button.get_attribute(if busy { "data-busy-label" } else { "data-label" }) {
                if busy {
                    let _ = button.set_attribute("data-label", &button.text_content().unwrap_or_default());
                }
                button.set_text_content(Some(&label));
            }
        }
    }

    /// Takes away what the last answer showed: field errors, and the alert of a page shown again
    /// without JavaScript.
    fn clear_problems(form: &HtmlFormElement) {
        for el in elements(form, "[data-error-for]") {
            el.set_text_content(None);
        }
        for el in elements(form, "[aria-invalid]") {
            let _ = el.remove_attribute("aria-invalid");
        }
        for el in elements(form, "[data-page-alert]") {
            let _ = el.set_attribute("hidden", "");
        }
    }

    /// Field errors go under their fields; anything else into the alert. Focus goes to the first
    /// field with a problem, or to the alert. As after a page shown again without JavaScript,
    /// passwords and codes are not kept, and help kept for failures appears.
    fn show_problems(form: &HtmlFormElement, e: &AppError, alert: RwSignal<Option<String>>) {
        for el in elements(form, "input[name=password], input[name=code]") {
            if let Ok(input) = el.dyn_into::<HtmlInputElement>() {
                input.set_value("");
            }
        }
        for el in elements(form, "[data-after-failure]") {
            let _ = el.remove_attribute("hidden");
        }
        let mut focus: Option<Element> = None;
        let mut unplaced = false;
        if let AppError::Invalid(problems) = e {
            for (field, problem) in problems {
                let error = elements(form, &format!("[data-error-for=\"{}\"]", field.name())).into_iter().next();
                let input = elements(form, &format!("[name=\"{}\"]", field.name())).into_iter().next();
                let Some(error) = error else {
                    unplaced = true;
                    continue;
                };
                error.set_text_content(Some(&problem.message(*field)));
                if let Some(input) = input {
                    let _ = input.set_attribute("aria-invalid", "true");
                    focus.get_or_insert(input);
                }
            }
        }
        // Forms of several fields sum their problems up in the alert, as the page does without
        // JavaScript (where the first problem may be out of sight).
        let fields = elements(form, "input:not([type=hidden]):not([hidden]), select, textarea").len();
        let message = match e {
            AppError::Invalid(problems) if unplaced => problems.first().map(|(f, p)| p.message(*f)),
            AppError::Invalid(_) if fields > 1 => Some(SUMMARY.to_string()),
            other => other.form_message(),
        };
        if message.is_some() {
            alert.set(message);
            focus = focus.or_else(|| elements(form, "[data-island-alert]").into_iter().next());
        }
        if let Some(el) = focus.and_then(|el| el.dyn_into::<HtmlElement>().ok()) {
            let _ = el.focus();
        }
    }
}

/// The error under a field. Always there (empty when there is none), so screen readers announce
/// an error an island puts in it. Its id is `{id}-error`, `id` being the input's (its name unless
/// a page has two inputs of that name).
#[component]
pub fn FieldProblem(
    name: &'static str,
    error: Option<String>,
    #[prop(optional, into)] id: Option<String>,
) -> impl IntoView {
    view! {
        <p id=format!("{}-error", id.as_deref().unwrap_or(name)) data-error-for=name aria-live="assertive" class=ERROR_CLASS>{error}</p>
    }
}

/// The alert of a page shown again after a form without JavaScript failed: hidden as soon as an
/// island sends the form again.
#[component]
pub fn PageAlert(message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <div role="alert" data-page-alert class=ALERT_CLASS>{m}</div> })
}

/// What a failed form says about the whole form, and about each field.
#[derive(Debug, Clone, Default)]
pub struct Problems(pub Option<AppError>);

impl Problems {
    /// The message about the form, for [`PageAlert`]; `summary` sums up field problems too.
    pub fn alert(&self, summary: bool) -> Option<String> {
        match &self.0 {
            Some(AppError::Invalid(_)) if summary => Some(SUMMARY.to_string()),
            Some(e) => e.form_message(),
            None => None,
        }
    }

    pub fn field(&self, name: &str) -> Option<String> {
        self.0.as_ref().and_then(|e| e.field_message(name))
    }

    /// The first field with a problem, to put the focus on.
    pub fn first_field(&self) -> Option<&'static str> {
        match &self.0 {
            Some(AppError::Invalid(problems)) => problems.first().map(|(f, _)| f.name()),
            _ => None,
        }
    }
}

fn described(name: &str, hint: bool) -> String {
    if hint {
        format!("{name}-hint {name}-error")
    } else {
        format!("{name}-error")
    }
}

/// A labelled input with its error. `value` is what was typed before a failed submit, so nothing
/// is lost (passwords and codes never come back: see [`PasswordInput`], [`CodeInput`]).
#[component]
pub fn Input(
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
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
) -> impl IntoView {
    view! {
        <div class="mb-5">
            <label for=name class=LABEL_CLASS>{label}</label>
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                required=!optional
                autofocus=autofocus
                maxlength=maxlength
                aria-invalid=error.as_ref().map(|_| "true")
                aria-describedby=described(name, hint.is_some())
                class=INPUT_CLASS
            />
            {hint.map(|h| view! { <p id=format!("{name}-hint") class=HINT_CLASS>{h}</p> })}
            <FieldProblem name error />
        </div>
    }
}

/// A labelled multi-line input in a fixed-width font (code, lists), with its hint and error.
/// `value` is what was typed before a failed submit.
#[component]
pub fn TextArea(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
    rows: u8,
    /// The field may be left empty.
    #[prop(optional)]
    optional: bool,
    /// Its id where a page has several fields of this name (one per form); else its name.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.to_string());
    view! {
        <div class="mb-5">
            <label for=id.clone() class=LABEL_CLASS>{label}</label>
            <textarea
                id=id.clone()
                name=name
                rows=rows
                spellcheck="false"
                autocomplete="off"
                required=!optional
                aria-invalid=error.as_ref().map(|_| "true")
                aria-describedby=described(&id, true)
                class=format!("{INPUT_CLASS} font-mono text-sm")
            >{value}</textarea>
            <p id=format!("{id}-hint") class=HINT_CLASS>{hint}</p>
            <FieldProblem name error id=id />
        </div>
    }
}

/// A labelled password input with its show/hide switch (an island of its own), error and an
/// optional hint.
#[component]
pub fn PasswordInput(
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    #[prop(optional_no_strip)] error: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    view! {
        <div class="mb-5">
            <label for=name class=LABEL_CLASS>{label}</label>
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
                    aria-describedby=described(name, hint.is_some())
                    class=format!("{INPUT_CLASS} pr-36")
                />
                <PasswordToggle />
            </div>
            {hint.map(|h| view! { <p id=format!("{name}-hint") class=HINT_CLASS>{h}</p> })}
            <FieldProblem name error />
        </div>
    }
}

/// The show/hide switch of a password input. The input is plain server-rendered HTML (it works
/// without JavaScript); this button appears once the WASM has hydrated it, in space reserved for
/// it so nothing moves.
#[island]
pub fn PasswordToggle() -> impl IntoView {
    let shown = RwSignal::new(false);
    let ready = RwSignal::new(false);
    // Effects run only in the browser, after hydration: until then the button stays hidden.
    Effect::new(move |_| ready.set(true));
    let toggle = move |ev: leptos::ev::MouseEvent| {
        let show = !shown.get_untracked();
        shown.set(show);
        // The input is the island's previous sibling (see `PasswordInput`).
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

/// The input for a 6-digit code (or, with `recovery`, a recovery code). With the WASM a code
/// from an authenticator app sends the form by itself once its six digits are in.
#[component]
pub fn CodeInput(
    #[prop(optional)] recovery: bool,
    #[prop(optional_no_strip)] error: Option<String>,
    #[prop(optional)] label: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    /// Off where the form has more to fill in than the code.
    #[prop(default = true)]
    auto_submit: bool,
    #[prop(default = true)] required: bool,
    #[prop(optional)] autofocus: bool,
    /// The input's id, where a page has two code fields.
    #[prop(default = "code")]
    id: &'static str,
) -> impl IntoView {
    let (default_label, default_hint) = if recovery {
        ("Recovery code", "Each recovery code works once. Dashes and spaces are fine.")
    } else {
        ("Authentication code", "The 6-digit code from your authenticator app.")
    };
    view! {
        <div class="mb-5">
            <label for=id class=LABEL_CLASS>{label.unwrap_or(default_label)}</label>
            <input
                id=id
                name="code"
                type="text"
                inputmode=if recovery { "text" } else { "numeric" }
                autocomplete="one-time-code"
                autocapitalize="characters"
                spellcheck="false"
                required=required
                autofocus=autofocus
                data-auto-submit=(auto_submit && !recovery).then_some("")
                aria-invalid=error.as_ref().map(|_| "true")
                aria-describedby=format!("{id}-hint {id}-error")
                class=format!("{INPUT_CLASS} font-mono tracking-widest")
            />
            <p id=format!("{id}-hint") class=HINT_CLASS>{hint.unwrap_or(default_hint)}</p>
            <FieldProblem name="code" id error />
        </div>
    }
}

/// A form's submit button. `busy` is what it says while the form is on its way (with the WASM).
#[component]
pub fn Submit(
    label: &'static str,
    #[prop(optional)] busy: Option<&'static str>,
    #[prop(default = BUTTON_CLASS)] class: &'static str,
) -> impl IntoView {
    view! {
        <button type="submit" class=class data-busy-label=busy.unwrap_or("Please wait…")>{label}</button>
    }
}
