//! Settings -> Roles & permissions: the organisation's roles, which require MFA, and a form to
//! create a custom role by ticking permissions.

use leptos::prelude::*;

use crate::api::roles::{CreateRole, SetRoleMfa};
use crate::classes::{LINK_CLASS, SMALL_BUTTON_CLASS};
use crate::error::{step_up_page, AppError};
use crate::forms::{form_islands, CodeInput, FieldProblem, Input, PageAlert, Problems, Submit};
use crate::layout::{Notice, SettingsPage};

form_islands! {
    /// A custom role.
    CreateRoleForm => CreateRole;
    /// Whether one role requires MFA.
    RoleMfaForm => SetRoleMfa;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub id: i64,
    pub name: String,
    pub builtin: bool,
    pub permissions: Vec<String>,
    /// The role's own rule.
    pub requires_mfa: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolesView {
    pub roles: Vec<RoleRow>,
    /// (id, label, description) of every permission.
    pub permissions: Vec<(String, String, String)>,
    /// The organisation's policy requires MFA of everyone, whatever each role says.
    pub policy_requires: bool,
    /// Whether the viewer's step-up is fresh; changes here need it.
    pub fresh: bool,
    /// The form of a new role asks for the viewer's code: not fresh, and they have MFA to prove.
    pub needs_code: bool,
    /// What was typed into the form of a new role before it failed.
    pub name: String,
    pub checked: Vec<String>,
    pub requires_mfa: bool,
    pub notice: Option<String>,
    pub error: Option<AppError>,
    /// A role's MFA rule failed to change without JavaScript: why.
    pub toggle_error: Option<AppError>,
}

/// What the "Requires MFA" column says: the rule that applies, not only the role's own switch.
/// Under a Required policy the role's switch only matters once the policy is relaxed.
pub fn effective_rule(policy_requires: bool, role_requires: bool) -> &'static str {
    match (policy_requires, role_requires) {
        (true, false) => "Required by the organisation's policy",
        (true, true) => "Yes (the organisation's policy requires it too)",
        (false, true) => "Yes",
        (false, false) => "No",
    }
}

#[component]
pub fn RolesPage(roles: RolesView) -> impl IntoView {
    let fresh = roles.fresh;
    let policy_requires = roles.policy_requires;
    let checked = roles.checked.clone();
    let problems = Problems(roles.error);
    let toggle_problems = Problems(roles.toggle_error);
    view! {
        <SettingsPage title="Roles & permissions".into()>
            {roles.notice.map(|n| view! { <Notice message=n /> })}
            <PageAlert message=toggle_problems.alert(false) />
            {(!fresh && roles.needs_code).then(|| view! {
                <p class="mb-6 text-sm text-slate-700 dark:text-slate-200">
                    "Changes here need a fresh code. "
                    <a href=step_up_page(Some("/settings/roles")) class=LINK_CLASS>"Confirm it is you"</a>
                </p>
            })}
            // Without an authenticator app the code comes by email, on the step-up page.
            {(!fresh && !roles.needs_code).then(|| view! {
                <p class="mb-6 text-sm text-slate-700 dark:text-slate-200">
                    "Changes here need a fresh confirmation. "
                    <a href=step_up_page(Some("/settings/roles")) class=LINK_CLASS>"Confirm it is you"</a>
                    " (we email you a code)."
                </p>
            })}
            {policy_requires.then(|| view! {
                <p id="roles-policy-note" class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                    "Your organisation's policy requires MFA of everyone, so a role's setting changes nothing today. It decides who still needs MFA if the policy is later set to Visible or Hidden."
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
                            // Under a Required policy a role's switch changes nothing today: the
                            // button says what it does change.
                            let label = match (policy_requires, r.requires_mfa) {
                                (false, false) => "Require MFA",
                                (false, true) => "Stop requiring MFA",
                                (true, false) => "Also require if the policy is relaxed",
                                (true, true) => "Stop requiring if the policy is relaxed",
                            };
                            view! {
                                <tr>
                                    <th scope="row" class="px-3 py-2 font-medium">
                                        {r.name.clone()}
                                        {r.builtin.then(|| view! { " " <span class="text-xs text-slate-500">"(built in)"</span> })}
                                    </th>
                                    <td class="px-3 py-2">{perms}</td>
                                    <td class="px-3 py-2">
                                        <RoleMfaForm>
                                            <div class="flex flex-wrap items-center gap-x-3 gap-y-1">
                                                <span>{effective_rule(policy_requires, r.requires_mfa)}</span>
                                                <input type="hidden" name="role" value=r.id.to_string() />
                                                <input type="hidden" name="requires_mfa" value=if r.requires_mfa { "false" } else { "true" } />
                                                <button type="submit" class=SMALL_BUTTON_CLASS data-busy-label="Saving…" aria-label=format!("{label}: {}", r.name)>{label}</button>
                                            </div>
                                        </RoleMfaForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <h2 class="mb-4 text-lg font-semibold">"Create a custom role"</h2>
            <div class="max-w-md">
                <CreateRoleForm>
                    <PageAlert message=problems.alert(true) />
                    <Input name="name" label="Role name" autocomplete="off" value=roles.name error=problems.field("name") />
                    <fieldset class="mb-5" aria-describedby="permissions-error">
                        <legend class="mb-2 text-sm font-medium text-slate-700 dark:text-slate-200">"Permissions"</legend>
                        {roles.permissions.into_iter().enumerate().map(|(i, (id, label, description))| {
                            let input_id = format!("perm-{id}");
                            let hint_id = format!("perm-{id}-hint");
                            let on = checked.contains(&id);
                            view! {
                                <div class="mb-3 flex gap-3">
                                    // Indexed names, so the ones ticked arrive as a list.
                                    <input type="checkbox" id=input_id.clone() name=format!("permissions[{i}]") value=id checked=on aria-describedby=hint_id.clone() class="mt-1 h-4 w-4" />
                                    <div>
                                        <label for=input_id class="text-sm font-medium">{label}</label>
                                        <p id=hint_id class="text-sm text-slate-500 dark:text-slate-400">{description}</p>
                                    </div>
                                </div>
                            }
                        }).collect_view()}
                        <FieldProblem name="permissions" error=problems.field("permissions") />
                    </fieldset>
                    <div class="mb-5 flex gap-3">
                        <input type="checkbox" id="requires_mfa" name="requires_mfa" value="true" checked=roles.requires_mfa class="mt-1 h-4 w-4" />
                        <label for="requires_mfa" class="text-sm font-medium">"Members with this role must use MFA"</label>
                    </div>
                    {(roles.needs_code || problems.field("code").is_some()).then(|| view! {
                        <CodeInput
                            error=problems.field("code")
                            auto_submit=false
                            label="Your authentication code"
                            hint="To confirm it is you: the 6-digit code from your authenticator app, or one of your recovery codes."
                        />
                    })}
                    <Submit label="Create role" busy="Creating…" />
                </CreateRoleForm>
            </div>
        </SettingsPage>
    }
}
