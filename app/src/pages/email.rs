//! Settings -> Email templates: every mail Tessera sends, an editor per mail (variables, preview
//! with sample data, save, back to the default) and the versions saved.

use leptos::prelude::*;

use crate::api::email::{PreviewMailTemplate, RestoreMailTemplate, SaveMailTemplate};
use crate::classes::{HINT_CLASS, INLINE_PRIMARY_CLASS, INLINE_SECONDARY_CLASS, LINK_CLASS, SMALL_BUTTON_CLASS};
use crate::error::AppError;
use crate::forms::{form_islands, Input, PageAlert, Problems, Submit, TextArea};
use crate::layout::{Notice, SettingsPage};

form_islands! {
    /// A mail's template: previewed or saved.
    MailTemplateForm => SaveMailTemplate;
    /// Back to Tessera's own template.
    RestoreTemplateForm => RestoreMailTemplate;
}

const PREVIEW: &str = <PreviewMailTemplate as leptos::server_fn::ServerFn>::PATH;
const CELL: &str = "px-3 py-2 align-top";
const CODE_CLASS: &str = "rounded bg-slate-100 px-1 font-mono text-sm dark:bg-slate-800";

/// A mail in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRowView {
    pub id: String,
    pub label: String,
    pub about: String,
    /// "Your organisation's (saved 2026-11-26 09:30 UTC)" or "Tessera's default".
    pub which: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatesView {
    pub rows: Vec<TemplateRowView>,
}

#[component]
pub fn TemplatesPage(view: TemplatesView) -> impl IntoView {
    view! {
        <SettingsPage title="Email templates".into()>
            <p class="mb-6 max-w-3xl text-slate-700 dark:text-slate-200">
                "The mails Tessera sends to your organisation's people. Change their words to match your organisation. Every mail keeps the link or code it exists for. Security mail also ends with what to do if it was not expected and a footer saying it cannot be turned off; reminders end with why they are sent and a link that turns them off."
            </p>
            <div class="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
                <table class="min-w-full text-left text-sm">
                    <caption class="sr-only">"Mails Tessera sends"</caption>
                    <thead class="bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200">
                        <tr>
                            <th scope="col" class=CELL>"Mail"</th>
                            <th scope="col" class=CELL>"Sent"</th>
                            <th scope="col" class=CELL>"Template"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 dark:divide-slate-700">
                        {view.rows.into_iter().map(|r| view! {
                            <tr>
                                <th scope="row" class=CELL>
                                    <a href=format!("/settings/email/{}", r.id) class=LINK_CLASS>{r.label}</a>
                                </th>
                                <td class=CELL>{r.about}</td>
                                <td class=CELL>{r.which}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </SettingsPage>
    }
}

/// A variable of a mail: its name, what it holds, and whether the bodies must use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableView {
    pub name: String,
    pub about: String,
    pub required: bool,
}

/// What the mail looks like with sample data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewView {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorView {
    pub id: String,
    pub label: String,
    pub about: String,
    /// The line Tessera adds to every mail of this kind.
    pub if_not_you: String,
    pub footer: String,
    pub variables: Vec<VariableView>,
    /// In the form: what failed to save, the draft, or what is saved.
    pub subject: String,
    pub text: String,
    pub html: String,
    pub customised: bool,
    /// The form shows the editor's draft, not what is saved.
    pub showing_draft: bool,
    pub preview: Option<PreviewView>,
    pub notice: Option<String>,
    pub error: Option<AppError>,
    pub restore_error: Option<AppError>,
}

#[component]
pub fn EditorPage(view: EditorView) -> impl IntoView {
    let EditorView {
        id,
        label,
        about,
        if_not_you,
        footer,
        variables,
        subject,
        text,
        html,
        customised,
        showing_draft,
        preview,
        notice,
        error,
        restore_error,
    } = view;
    let problems = Problems(error);
    let restore_problems = Problems(restore_error);
    let (restore_id, versions_href) = (id.clone(), format!("/settings/email/{id}/versions"));
    let frame_src = format!("/settings/email/{id}/preview");
    let state = match (showing_draft, customised) {
        (true, _) => "Your draft, not saved yet: save it to use it.",
        (false, true) => "Your organisation's template is in use.",
        (false, false) => "Tessera's default template is in use.",
    };
    view! {
        <SettingsPage title=label parent=("/settings/email", "Email templates")>
            {notice.map(|n| view! { <Notice message=n /> })}
            <p class="mb-2 text-slate-700 dark:text-slate-200">{about}</p>
            <p class="mb-6 text-sm font-medium text-slate-700 dark:text-slate-200">{state}</p>
            <div class="grid gap-8 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
                <div>
                    <MailTemplateForm>
                        <PageAlert message=problems.alert(true) />
                        <input type="hidden" name="kind" value=id />
                        <Input name="subject" label="Subject" value=subject error=problems.field("subject") maxlength=300 />
                        <TextArea name="text" label="Plain-text body" rows=12 value=text error=problems.field("text")
                            hint="For mail programs that do not show HTML. Variables are written as {{ name }}." />
                        <TextArea name="html" label="HTML body" rows=12 value=html error=problems.field("html")
                            hint="What most mail programs show. Variables are escaped, so a name can never become markup." />
                        <div class="flex flex-wrap items-center gap-3">
                            <button type="submit" formaction=PREVIEW class=INLINE_SECONDARY_CLASS data-busy-label="Checking…">"Preview"</button>
                            <Submit label="Save template" busy="Saving…" class=INLINE_PRIMARY_CLASS />
                        </div>
                        <p class=HINT_CLASS>"Saving needs a fresh confirmation that it is you; what you typed is kept meanwhile."</p>
                    </MailTemplateForm>
                    {customised.then(|| view! {
                        <div class="mt-8 border-t border-slate-200 pt-6 dark:border-slate-700">
                            <RestoreTemplateForm>
                                <PageAlert message=restore_problems.alert(false) />
                                <input type="hidden" name="kind" value=restore_id />
                                <p class="mb-3 text-sm text-slate-700 dark:text-slate-200">"Your template stays in the versions if you go back to Tessera's."</p>
                                <button type="submit" class=SMALL_BUTTON_CLASS data-busy-label="Saving…">"Go back to the default"</button>
                            </RestoreTemplateForm>
                        </div>
                    })}
                    <p class="mt-6 text-sm"><a href=versions_href class=LINK_CLASS>"Versions saved"</a></p>
                </div>
                <aside aria-labelledby="variables-title">
                    <h2 id="variables-title" class="mb-3 text-lg font-semibold">"Variables"</h2>
                    <dl class="space-y-3 text-sm">
                        {variables.into_iter().map(|v| view! {
                            <div>
                                <dt><code class=CODE_CLASS>{format!("{{{{ {} }}}}", v.name)}</code>{v.required.then_some(" (required)")}</dt>
                                <dd class="text-slate-600 dark:text-slate-300">{v.about}</dd>
                            </div>
                        }).collect_view()}
                    </dl>
                    <h2 class="mb-2 mt-6 text-lg font-semibold">"Added by Tessera"</h2>
                    <p class="mb-2 text-sm text-slate-700 dark:text-slate-200">"Below your words, every mail of this kind ends with:"</p>
                    <p class="mb-2 text-sm font-medium text-slate-700 dark:text-slate-200">{if_not_you}</p>
                    <p class="text-sm text-slate-600 dark:text-slate-300">{footer}</p>
                    <p class="mt-4 text-sm text-slate-600 dark:text-slate-300">
                        "Templates use "<code class=CODE_CLASS>"{% if %}"</code>", "<code class=CODE_CLASS>"{% for %}"</code>
                        " and the filters upper, lower, title, capitalize, trim, default, length, first, last and join."
                    </p>
                </aside>
            </div>
            {preview.map(|p| view! {
                <section id="preview" aria-labelledby="preview-title" tabindex="-1" class="mt-10">
                    <h2 id="preview-title" class="mb-3 text-lg font-semibold">"Preview with sample data"</h2>
                    <p class="mb-2 text-sm"><span class="font-medium">"Subject: "</span><span data-preview="subject">{p.subject}</span></p>
                    <h3 class="mb-1 mt-4 text-sm font-medium">"Plain text"</h3>
                    <pre data-preview="text" class="mb-4 overflow-x-auto whitespace-pre-wrap rounded-lg border border-slate-200 bg-slate-50 p-3 text-sm dark:border-slate-700 dark:bg-slate-900">{p.text}</pre>
                    <h3 class="mb-1 text-sm font-medium">"HTML"</h3>
                    // Sandboxed, and a document of its own: it can run nothing and reach nothing
                    // of this page, while its own CSP lets the mail's inline styles apply.
                    <iframe title="HTML preview" sandbox="" src=frame_src class="h-96 w-full rounded-lg border border-slate-200 bg-white dark:border-slate-700"></iframe>
                </section>
            })}
        </SettingsPage>
    }
}

/// One saved version of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionView {
    pub id: i64,
    pub when: String,
    pub by: String,
    /// `None`: back to Tessera's default.
    pub content: Option<PreviewView>,
    /// "This change" or "Before this change", for the change the activity log led here from.
    pub mark: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionsView {
    pub id: String,
    pub label: String,
    pub versions: Vec<VersionView>,
    /// The version in use before the first one saved: Tessera's default.
    pub default: PreviewView,
    /// "Before this change", when the change the activity log led here from was the first.
    pub default_mark: Option<&'static str>,
}

#[component]
fn Source(content: PreviewView) -> impl IntoView {
    view! {
        <dl class="space-y-2 text-sm">
            <dt class="font-medium">"Subject"</dt>
            <dd><pre class="whitespace-pre-wrap">{content.subject}</pre></dd>
            <dt class="font-medium">"Plain-text body"</dt>
            <dd><pre class="overflow-x-auto whitespace-pre-wrap rounded border border-slate-200 p-2 dark:border-slate-700">{content.text}</pre></dd>
            <dt class="font-medium">"HTML body"</dt>
            <dd><pre class="overflow-x-auto whitespace-pre-wrap rounded border border-slate-200 p-2 dark:border-slate-700">{content.html}</pre></dd>
        </dl>
    }
}

#[component]
pub fn VersionsPage(view: VersionsView) -> impl IntoView {
    let VersionsView { id, label, versions, default, default_mark } = view;
    let title = format!("{label}: versions");
    let empty = versions.is_empty();
    view! {
        <SettingsPage title parent=("/settings/email", "Email templates")>
            <p class="mb-6"><a href=format!("/settings/email/{id}") class=LINK_CLASS>{format!("Edit {label}")}</a></p>
            {empty.then(|| view! { <p class="mb-6 text-slate-700 dark:text-slate-200">"No version was saved yet: Tessera's default is in use."</p> })}
            <ol class="space-y-6">
                {versions.into_iter().map(|v| {
                    let heading = format!("Saved {} by {}", v.when, v.by);
                    view! {
                        <li id=format!("v{}", v.id) class="rounded-lg border border-slate-200 p-4 dark:border-slate-700">
                            <h2 class="mb-2 font-semibold">
                                {heading}
                                {v.mark.map(|m| view! { " " <span class="rounded bg-amber-100 px-2 py-0.5 text-sm text-amber-900">{m}</span> })}
                            </h2>
                            {match v.content {
                                Some(c) => view! { <Source content=c /> }.into_any(),
                                None => view! { <p class="text-sm">"Back to Tessera's default."</p> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
                <li class="rounded-lg border border-dashed border-slate-300 p-4 dark:border-slate-600">
                    <h2 class="mb-2 font-semibold">
                        "Tessera's default"
                        {default_mark.map(|m| view! { " " <span class="rounded bg-amber-100 px-2 py-0.5 text-sm text-amber-900">{m}</span> })}
                    </h2>
                    <Source content=default />
                </li>
            </ol>
        </SettingsPage>
    }
}
