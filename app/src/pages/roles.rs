//! Settings -> Roles & permissions: the organisation's roles, which require MFA, and a form to
//! create a custom role by ticking permissions.

use leptos::prelude::*;

use crate::components::{FieldError, TextField};
use crate::layout::{Alert, Errors, Notice, SettingsPage, BUTTON_CLASS, LINK_CLASS, SMALL_BUTTON_CLASS};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub id: i64,
    pub name: String,
    pub builtin: bool,
    pub permissions: Vec<String>,
    pub requires_mfa: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolesView {
    pub roles: Vec<RoleRow>,
    /// (id, label, description) of every permission.
    pub permissions: Vec<(String, String, String)>,
    /// Whether the viewer's step-up is fresh; changes here need it.
    pub fresh: bool,
    pub name: String,
    pub checked: Vec<String>,
    pub requires_mfa: bool,
    pub errors: Errors,
    pub notice: Option<String>,
    pub alert: Option<String>,
}

#[component]
pub fn RolesPage(roles: RolesView) -> impl IntoView {
    let fresh = roles.fresh;
    let checked = roles.checked.clone();
    let perm_error = roles.errors.get("permissions");
    view! {
        <SettingsPage title="Roles & permissions".into() back=("/", "Back to home")>
            {roles.notice.map(|n| view! { <Notice message=n /> })}
            {roles.alert.map(|a| view! { <Alert message=a /> })}
            {(!fresh).then(|| view! {
                <p class="mb-6 text-sm text-slate-700 dark:text-slate-200">
                    "Changes here need a fresh code. "
                    <a href="/account/security/verify?next=/settings/roles" class=LINK_CLASS>"Confirm it is you"</a>
                </p>
            })}
            <div class="mb-10 overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
                <table class="min-w-full text-left text-sm">
                    <caption class="sr-only">"Roles of your organisation"</caption>
                    <thead class="bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Role"</th>
                            <th scope="col" class="px-3 py-2">"Permissions"</th>
                            <th scope="col" class="px-3 py-2">"Requires MFA"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 dark:divide-slate-700">
                        {roles.roles.into_iter().map(|r| {
                            let perms = if r.permissions.is_empty() { "None".to_string() } else { r.permissions.join(", ") };
                            let label = if r.requires_mfa { "Stop requiring MFA" } else { "Require MFA" };
                            view! {
                                <tr>
                                    <th scope="row" class="px-3 py-2 font-medium">
                                        {r.name.clone()}
                                        {r.builtin.then(|| view! { " " <span class="text-xs text-slate-500">"(built in)"</span> })}
                                    </th>
                                    <td class="px-3 py-2">{perms}</td>
                                    <td class="px-3 py-2">
                                        <form method="post" action=format!("/settings/roles/{}/mfa", r.id) class="flex items-center gap-3">
                                            <span>{if r.requires_mfa { "Yes" } else { "No" }}</span>
                                            <input type="hidden" name="requires_mfa" value=if r.requires_mfa { "false" } else { "true" } />
                                            <button type="submit" class=SMALL_BUTTON_CLASS aria-label=format!("{label}: {}", r.name)>{label}</button>
                                        </form>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <h2 class="mb-4 text-lg font-semibold">"Create a custom role"</h2>
            <form method="post" action="/settings/roles" class="max-w-md" novalidate>
                <TextField name="name" label="Role name" autocomplete="off" value=roles.name error=roles.errors.get("name") />
                <fieldset class="mb-5" aria-describedby="permissions-error">
                    <legend class="mb-2 text-sm font-medium text-slate-700 dark:text-slate-200">"Permissions"</legend>
                    {roles.permissions.into_iter().map(|(id, label, description)| {
                        let input_id = format!("perm-{id}");
                        let hint_id = format!("perm-{id}-hint");
                        let on = checked.contains(&id);
                        view! {
                            <div class="mb-3 flex gap-3">
                                <input type="checkbox" id=input_id.clone() name="permissions" value=id checked=on aria-describedby=hint_id.clone() class="mt-1 h-4 w-4" />
                                <div>
                                    <label for=input_id class="text-sm font-medium">{label}</label>
                                    <p id=hint_id class="text-sm text-slate-500 dark:text-slate-400">{description}</p>
                                </div>
                            </div>
                        }
                    }).collect_view()}
                    <FieldError id="permissions-error".to_string() error=perm_error />
                </fieldset>
                <div class="mb-5 flex gap-3">
                    <input type="checkbox" id="requires_mfa" name="requires_mfa" value="true" checked=roles.requires_mfa class="mt-1 h-4 w-4" />
                    <label for="requires_mfa" class="text-sm font-medium">"Members with this role must use two-step verification"</label>
                </div>
                <button type="submit" class=BUTTON_CLASS>"Create role"</button>
            </form>
        </SettingsPage>
    }
}
