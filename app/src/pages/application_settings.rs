//! Settings -> Applications: the organisation's applications that sign in with Tessera, a form
//! to register one, and each one's page (its settings, its secret shown once, replace the
//! secret, disable, remove).

use leptos::prelude::*;

use crate::api::applications::{AddApplication, RemoveApplication, RotateClientSecret, SetApplicationDisabled};
use crate::classes::{DANGER_BUTTON_CLASS, LINK_CLASS, SECONDARY_BUTTON_CLASS};
use crate::error::{step_up_page, AppError};
use crate::forms::{form_islands, Input, PageAlert, Problems, Submit, TextArea};
use crate::layout::{Notice, SettingsPage};

form_islands! {
    /// A new application.
    AddApplicationForm => AddApplication;
    /// A new client secret.
    RotateSecretForm => RotateClientSecret;
    /// Disable or enable.
    ApplicationDisabledForm => SetApplicationDisabled;
    /// Remove.
    RemoveApplicationForm => RemoveApplication;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    pub client_id: String,
    pub name: String,
    pub confidential: bool,
    pub disabled: bool,
    pub require_mfa: bool,
    /// Who may use it: "Everyone", or the roles' names.
    pub who: String,
}

/// What was typed into the registration form before it failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewApplication {
    pub name: String,
    pub confidential: bool,
    pub redirect_uris: String,
    pub logout_uris: String,
    pub roles: Vec<String>,
    pub require_mfa: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationsView {
    pub apps: Vec<ApplicationRow>,
    /// The organisation's roles, by name.
    pub roles: Vec<String>,
    /// Whether the viewer's step-up is fresh; changes here need it.
    pub fresh: bool,
    /// The issuer applications are configured with.
    pub issuer: String,
    pub typed: NewApplication,
    pub notice: Option<String>,
    pub error: Option<AppError>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationView {
    pub client_id: String,
    pub name: String,
    pub confidential: bool,
    pub disabled: bool,
    pub require_mfa: bool,
    pub who: String,
    pub redirect_uris: Vec<String>,
    pub logout_uris: Vec<String>,
    pub id_token_alg: String,
    pub issuer: String,
    /// A new client secret, shown this once.
    pub secret: Option<String>,
    pub fresh: bool,
    pub notice: Option<String>,
    pub error: Option<AppError>,
}

const HERE: &str = "/settings/applications";

/// "Changes here need a fresh confirmation", with the way to give it.
#[component]
fn ConfirmFirst(here: String) -> impl IntoView {
    view! {
        <p class="mb-6 text-sm text-slate-700 dark:text-slate-200">
            "Changes here need a fresh confirmation that it is you. "
            <a href=step_up_page(Some(&here)) class=LINK_CLASS>"Confirm it is you"</a>
        </p>
    }
}

#[component]
pub fn ApplicationsPage(view: ApplicationsView) -> impl IntoView {
    let problems = Problems(view.error);
    let typed = view.typed;
    let checked = typed.roles.clone();
    view! {
        <SettingsPage title="Applications".into()>
            {view.notice.map(|n| view! { <Notice message=n /> })}
            <p class="mb-6 max-w-2xl text-sm text-slate-600 dark:text-slate-300">
                "Your organisation's applications (a wiki, Grafana, your own web app) send their people here to sign in, with your MFA policy, roles and activity log. They find everything else from the issuer "
                <code class="wrap-anywhere">{view.issuer}</code> "."
            </p>
            {(!view.fresh).then(|| view! { <ConfirmFirst here=HERE.to_string() /> })}
            {if view.apps.is_empty() {
                view! { <p id="no-applications" class="mb-10 text-sm text-slate-700 dark:text-slate-200">"No applications yet."</p> }.into_any()
            } else {
                view! {
                    <div class="mb-10 overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
                        <table class="min-w-full text-left text-sm">
                            <caption class="sr-only">"Applications of your organisation"</caption>
                            <thead class="bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200">
                                <tr>
                                    <th scope="col" class="px-3 py-2">"Application"</th>
                                    <th scope="col" class="px-3 py-2">"Who may use it"</th>
                                    <th scope="col" class="px-3 py-2">"Status"</th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-slate-200 dark:divide-slate-700">
                                {view.apps.into_iter().map(|a| {
                                    let href = format!("{HERE}/{}", a.client_id);
                                    let status = match (a.disabled, a.require_mfa) {
                                        (true, _) => "Disabled",
                                        (false, true) => "Active, requires MFA",
                                        (false, false) => "Active",
                                    };
                                    view! {
                                        <tr>
                                            <th scope="row" class="px-3 py-2 font-medium">
                                                <a href=href class=LINK_CLASS>{a.name}</a>
                                                <span class="block text-xs font-normal text-slate-500">{if a.confidential { "Confidential (has a secret)" } else { "Public (PKCE)" }}</span>
                                            </th>
                                            <td class="px-3 py-2">{a.who}</td>
                                            <td class="px-3 py-2">{status}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
            <section aria-labelledby="register" class="max-w-xl">
                <h2 id="register" class="mb-4 text-lg font-semibold">"Register an application"</h2>
                <AddApplicationForm>
                    <PageAlert message=problems.alert(true) />
                    <Input name="name" label="Name" autocomplete="off" value=typed.name error=problems.field("name") />
                    <fieldset class="mb-5">
                        <legend class="mb-2 text-sm font-medium">"Type"</legend>
                        <div class="mb-2 flex items-start gap-3">
                            <input type="radio" id="kind-confidential" name="kind" value="confidential" checked=typed.confidential class="mt-1 h-4 w-4" />
                            <label for="kind-confidential" class="text-sm">"Confidential: a server that can keep a client secret (most web applications)"</label>
                        </div>
                        <div class="flex items-start gap-3">
                            <input type="radio" id="kind-public" name="kind" value="public" checked=!typed.confidential class="mt-1 h-4 w-4" />
                            <label for="kind-public" class="text-sm">"Public: runs in a browser or on a phone; no secret, PKCE only"</label>
                        </div>
                    </fieldset>
                    <TextArea
                        name="redirect_uris"
                        label="Redirect URIs"
                        rows=3
                        value=typed.redirect_uris
                        error=problems.field("redirect_uris")
                        hint="One per line, exactly as the application sends it: https, or http on this machine only (localhost, 127.0.0.1)."
                    />
                    <TextArea
                        name="logout_uris"
                        label="After sign-out (optional)"
                        rows=2
                        value=typed.logout_uris
                        error=problems.field("logout_uris")
                        hint="Where the application may send people after signing them out, one per line."
                        optional=true
                    />
                    <fieldset class="mb-5">
                        <legend class="mb-1 text-sm font-medium">"Who may use it"</legend>
                        <p class="mb-2 text-sm text-slate-500 dark:text-slate-400">"Tick none for everyone in your organisation."</p>
                        {view.roles.into_iter().enumerate().map(|(i, role)| {
                            let id = format!("role-{i}");
                            let on = checked.contains(&role);
                            view! {
                                <div class="mb-2 flex items-center gap-3">
                                    // Indexed names, so the ones ticked arrive as a list.
                                    <input type="checkbox" id=id.clone() name=format!("roles[{i}]") value=role.clone() checked=on class="h-4 w-4" />
                                    <label for=id class="text-sm">{role}</label>
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                    <div class="mb-5 flex items-start gap-3">
                        <input type="checkbox" id="require_mfa" name="require_mfa" value="true" checked=typed.require_mfa aria-describedby="require_mfa-hint" class="mt-1 h-4 w-4" />
                        <div>
                            <label for="require_mfa" class="text-sm font-medium">"Require MFA for this application"</label>
                            <p id="require_mfa-hint" class="text-sm text-slate-500 dark:text-slate-400">"On top of your organisation's policy: people without MFA set it up before they continue to the application."</p>
                        </div>
                    </div>
                    <Submit label="Register application" busy="Registering…" />
                </AddApplicationForm>
            </section>
        </SettingsPage>
    }
}

#[component]
pub fn ApplicationPage(view: ApplicationView) -> impl IntoView {
    let problems = Problems(view.error);
    let here = format!("{HERE}/{}", view.client_id);
    let (rotate_id, disable_id, remove_id) = (view.client_id.clone(), view.client_id.clone(), view.client_id.clone());
    let disabled = view.disabled;
    let list = |items: Vec<String>| {
        if items.is_empty() {
            view! { <span>"None"</span> }.into_any()
        } else {
            view! { <ul>{items.into_iter().map(|u| view! { <li class="wrap-anywhere font-mono">{u}</li> }).collect_view()}</ul> }.into_any()
        }
    };
    view! {
        <SettingsPage title=view.name.clone() parent=(HERE, "Applications")>
            {view.notice.map(|n| view! { <Notice message=n /> })}
            <PageAlert message=problems.alert(false) />
            {view.secret.map(|secret| view! {
                <section aria-labelledby="secret" class="mb-8 rounded-lg border border-amber-300 bg-amber-50 p-5 dark:border-amber-700 dark:bg-amber-950">
                    <h2 id="secret" class="mb-2 text-lg font-semibold">"Client secret"</h2>
                    <p class="mb-3 text-sm">"Copy it into the application's settings now: it is shown only this once, and Tessera keeps only a fingerprint of it."</p>
                    <code id="client-secret" class="block select-all wrap-anywhere rounded bg-white p-3 font-mono text-sm dark:bg-slate-900">{secret}</code>
                </section>
            })}
            <dl class="mb-8 grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
                <dt class="text-slate-500 dark:text-slate-400">"Issuer"</dt>
                <dd class="wrap-anywhere font-mono">{view.issuer}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Client id"</dt>
                <dd id="client-id" class="wrap-anywhere font-mono select-all">{view.client_id.clone()}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Type"</dt>
                <dd>{if view.confidential { "Confidential (has a client secret)" } else { "Public (PKCE only, no secret)" }}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Status"</dt>
                <dd>{if disabled { "Disabled: nobody can sign in to it" } else { "Active" }}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Who may use it"</dt>
                <dd>{view.who}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"MFA"</dt>
                <dd>{if view.require_mfa { "Required for this application" } else { "As your organisation's policy says" }}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Redirect URIs"</dt>
                <dd>{list(view.redirect_uris)}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"After sign-out"</dt>
                <dd>{list(view.logout_uris)}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"ID tokens signed with"</dt>
                <dd>{view.id_token_alg}</dd>
            </dl>
            {(!view.fresh).then(|| view! { <ConfirmFirst here=here.clone() /> })}
            <div class="flex max-w-md flex-col gap-4">
                {view.confidential.then(|| view! {
                    <RotateSecretForm>
                        <input type="hidden" name="client_id" value=rotate_id />
                        <Submit label="Replace the client secret" class=SECONDARY_BUTTON_CLASS busy="Replacing…" />
                        <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">"The old secret stops working at once."</p>
                    </RotateSecretForm>
                })}
                <ApplicationDisabledForm>
                    <input type="hidden" name="client_id" value=disable_id />
                    <input type="hidden" name="disabled" value=if disabled { "false" } else { "true" } />
                    <Submit label=if disabled { "Enable" } else { "Disable" } class=SECONDARY_BUTTON_CLASS busy="Saving…" />
                    {(!disabled).then(|| view! { <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">"Nobody can sign in to it until it is enabled, and what it holds of anyone is revoked."</p> })}
                </ApplicationDisabledForm>
                <RemoveApplicationForm>
                    <input type="hidden" name="client_id" value=remove_id />
                    <div class="mb-3 flex items-start gap-3">
                        <input type="checkbox" id="confirm-remove" required class="mt-1 h-4 w-4" />
                        <label for="confirm-remove" class="text-sm">"I understand that nobody will sign in to this application with Tessera any more"</label>
                    </div>
                    <Submit label="Remove application" class=DANGER_BUTTON_CLASS busy="Removing…" />
                </RemoveApplicationForm>
            </div>
        </SettingsPage>
    }
}
