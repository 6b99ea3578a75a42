//! Settings -> Team: the member list (a plain GET form filters it, so it works without
//! JavaScript), a member's page, the Reset MFA confirmation and the invitation form.

use leptos::prelude::*;

use crate::components::{FieldError, TextField};
use crate::layout::{
    Alert, Errors, Notice, SettingsPage, BUTTON_CLASS, INLINE_DANGER_CLASS as DANGER_BUTTON_CLASS,
    INLINE_SECONDARY_CLASS as SECONDARY_CLASS, INPUT_CLASS, LABEL_CLASS, LINK_CLASS,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    /// Shown only to viewers with `manage-mfa`.
    pub mfa: Option<String>,
    pub last_sign_in: String,
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamView {
    pub rows: Vec<TeamRow>,
    pub total: i64,
    pub search: String,
    pub role: String,
    pub mfa: String,
    /// (id, name) of every role, for the filter.
    pub roles: Vec<(String, String)>,
    pub shows_mfa: bool,
    pub can_invite: bool,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    pub joined: String,
    pub last_sign_in: String,
    pub shows_security: bool,
    pub mfa_label: String,
    pub has_mfa: bool,
    pub can_reset: bool,
    /// The viewer could reset this member's MFA but has none of their own to confirm it with.
    pub needs_own_mfa: bool,
    /// The member is an owner and the viewer is not: say why there is no reset.
    pub owner_protected: bool,
    pub can_manage: bool,
    /// (id, name, selected) of the roles the viewer may give.
    pub roles: Vec<(String, String, bool)>,
    /// The viewer's step-up is stale: sensitive forms ask for a code.
    pub needs_code: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub reason: String,
    pub needs_code: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteView {
    pub email: String,
    pub name: String,
    pub role: String,
    /// (id, name, administrative) of the roles the viewer may give.
    pub roles: Vec<(String, String, bool)>,
    pub needs_code: bool,
    pub errors: Errors,
    pub alert: Option<String>,
}

/// The actor's own code, asked for with a sensitive change when their last one is stale.
#[component]
pub fn ConfirmCodeField(
    #[prop(optional_no_strip)] error: Option<String>,
    /// Whether the form cannot go without it (otherwise only some choices need it).
    #[prop(optional)]
    required: bool,
) -> impl IntoView {
    let described = if error.is_some() { "code-hint code-error" } else { "code-hint" };
    view! {
        <div class="mb-5">
            <label for="code" class=LABEL_CLASS>"Your authentication code"</label>
            <input
                id="code"
                name="code"
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                spellcheck="false"
                required=required
                aria-invalid=error.as_ref().map(|_| "true")
                aria-describedby=described
                class=format!("{INPUT_CLASS} font-mono tracking-widest")
            />
            <p id="code-hint" class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">
                "To confirm it is you: the 6-digit code from your authenticator app, or one of your recovery codes."
            </p>
            <FieldError id="code-error".to_string() error=error />
        </div>
    }
}

#[component]
pub fn TeamPage(team: TeamView) -> impl IntoView {
    let role = team.role.clone();
    let mfa = team.mfa.clone();
    let shows_mfa = team.shows_mfa;
    let count = match team.total {
        1 => "1 member".to_string(),
        n => format!("{n} members"),
    };
    view! {
        <SettingsPage title="Team".into() back=("/", "Back to home")>
            {team.notice.map(|n| view! { <Notice message=n /> })}
            {team.error.map(|e| view! { <Alert message=e /> })}
            {team.can_invite.then(|| view! {
                <p class="mb-6"><a href="/settings/team/invite" class=LINK_CLASS>"Invite a member"</a></p>
            })}
            <form method="get" action="/settings/team" role="search" class="mb-6 grid gap-x-4 sm:grid-cols-4">
                <TextField name="q" label="Search name or email" kind="search" value=team.search optional=true error=None />
                <div class="mb-5">
                    <label for="role" class=LABEL_CLASS>"Role"</label>
                    <select id="role" name="role" class=INPUT_CLASS>
                        <option value="" selected=role.is_empty()>"All roles"</option>
                        {team.roles.into_iter().map(|(id, name)| {
                            let sel = id == role;
                            view! { <option value=id selected=sel>{name}</option> }
                        }).collect_view()}
                    </select>
                </div>
                {shows_mfa.then(|| view! {
                    <div class="mb-5">
                        <label for="mfa" class=LABEL_CLASS>"MFA status"</label>
                        <select id="mfa" name="mfa" class=INPUT_CLASS>
                            <option value="" selected=mfa.is_empty()>"Any status"</option>
                            <option value="enabled" selected=mfa == "enabled">"Enabled"</option>
                            <option value="not_enabled" selected=mfa == "not_enabled">"Not enabled"</option>
                            <option value="required" selected=mfa == "required">"Required but not enrolled"</option>
                        </select>
                    </div>
                })}
                <div class="mb-5 flex items-end">
                    <button type="submit" class=BUTTON_CLASS>"Filter"</button>
                </div>
            </form>
            <p id="member-count" class="mb-3 text-sm text-slate-600 dark:text-slate-300" role="status">{count}</p>
            <div class="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
                <table class="min-w-full text-left text-sm">
                    <caption class="sr-only">"Members of your organisation"</caption>
                    <thead class="bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Name"</th>
                            <th scope="col" class="px-3 py-2">"Email"</th>
                            <th scope="col" class="px-3 py-2">"Role"</th>
                            {shows_mfa.then(|| view! { <th scope="col" class="px-3 py-2">"MFA"</th> })}
                            <th scope="col" class="px-3 py-2">"Last sign-in (UTC)"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 dark:divide-slate-700">
                        {team.rows.into_iter().map(|r| {
                            let href = format!("/settings/team/{}", r.id);
                            view! {
                                <tr>
                                    <td class="px-3 py-2">
                                        <a href=href class=LINK_CLASS>{r.name}</a>
                                        {r.disabled.then(|| view! { " " <span class="text-xs text-red-700 dark:text-red-300">"(disabled)"</span> })}
                                    </td>
                                    <td class="px-3 py-2">{r.email}</td>
                                    <td class="px-3 py-2">{r.role}</td>
                                    {r.mfa.map(|m| view! { <td class="px-3 py-2">{m}</td> })}
                                    <td class="whitespace-nowrap px-3 py-2">{r.last_sign_in}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <nav aria-label="Pages" class="mt-4 flex gap-6">
                {team.prev.map(|p| view! { <a href=p class=LINK_CLASS rel="prev">"Previous page"</a> })}
                {team.next.map(|n| view! { <a href=n class=LINK_CLASS rel="next">"Next page"</a> })}
            </nav>
        </SettingsPage>
    }
}

#[component]
pub fn MemberPage(member: MemberView) -> impl IntoView {
    let id = member.id;
    let needs_code = member.needs_code;
    let disabled = member.disabled;
    view! {
        <SettingsPage title=member.name.clone() back=("/settings/team", "Back to the team")>
            {member.notice.map(|n| view! { <Notice message=n /> })}
            {member.error.map(|e| view! { <Alert message=e /> })}
            <dl class="mb-8 grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
                <dt class="text-slate-500 dark:text-slate-400">"Email"</dt>
                <dd>{member.email}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Role"</dt>
                <dd>{member.role}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Status"</dt>
                <dd>{if disabled { "Disabled" } else { "Active" }}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Member since (UTC)"</dt>
                <dd>{member.joined}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Last sign-in (UTC)"</dt>
                <dd>{member.last_sign_in}</dd>
            </dl>
            {member.shows_security.then(|| view! {
                <section aria-labelledby="security-settings" class="mb-8 rounded-lg border border-slate-200 p-5 dark:border-slate-700">
                    <h2 id="security-settings" class="mb-3 text-lg font-semibold">"Security Settings"</h2>
                    <p class="mb-4 text-sm">"Two-step verification (MFA): " <strong id="member-mfa">{member.mfa_label.clone()}</strong></p>
                    {member.can_reset.then(|| view! {
                        <a href=format!("/settings/team/{id}/reset-mfa") class=DANGER_BUTTON_CLASS>"Reset MFA"</a>
                    })}
                    {member.needs_own_mfa.then(|| view! {
                        <p class="text-sm text-slate-600 dark:text-slate-300">
                            "To reset someone's MFA you confirm it with your own code: "
                            <a href="/account/security" class=LINK_CLASS>"turn on two-step verification for your account"</a>
                            " first."
                        </p>
                    })}
                    {(member.owner_protected && member.has_mfa).then(|| view! {
                        <p class="text-sm text-slate-600 dark:text-slate-300">"Only an owner can reset an owner's MFA."</p>
                    })}
                </section>
            })}
            {member.can_manage.then(|| view! {
                <section aria-labelledby="membership" class="rounded-lg border border-slate-200 p-5 dark:border-slate-700">
                    <h2 id="membership" class="mb-3 text-lg font-semibold">"Membership"</h2>
                    <form method="post" action=format!("/settings/team/{id}/role") class="mb-6 max-w-md">
                        <div class="mb-5">
                            <label for="role" class=LABEL_CLASS>"Role"</label>
                            <select id="role" name="role" class=INPUT_CLASS>
                                {member.roles.into_iter().map(|(rid, name, sel)| view! { <option value=rid selected=sel>{name}</option> }).collect_view()}
                            </select>
                        </div>
                        {needs_code.then(|| view! {
                            <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">"Giving a role with administrative permissions needs your code."</p>
                            <ConfirmCodeField />
                        })}
                        <button type="submit" class=BUTTON_CLASS>"Change role"</button>
                    </form>
                    <form method="post" action=format!("/settings/team/{id}/disable") class="max-w-md">
                        <input type="hidden" name="disabled" value=if disabled { "false" } else { "true" } />
                        <button type="submit" class=SECONDARY_CLASS>{if disabled { "Enable account" } else { "Disable account" }}</button>
                    </form>
                </section>
            })}
        </SettingsPage>
    }
}

/// The Reset MFA confirmation: names the member and what will happen. A page of its own, so it
/// works without JavaScript and keeps the typed reason if the code is wrong.
#[component]
pub fn ResetMfaPage(reset: ResetView) -> impl IntoView {
    let back = format!("/settings/team/{}", reset.id);
    let code_error = reset.error.clone().filter(|_| reset.needs_code);
    let other_error = reset.error.clone().filter(|_| !reset.needs_code);
    view! {
        <main class="min-h-screen flex items-center justify-center px-4 py-10">
            <section
                role="alertdialog"
                aria-labelledby="page-title"
                aria-describedby="reset-effects"
                class="w-full max-w-lg rounded-2xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-700 dark:bg-slate-800"
            >
                <h1 id="page-title" class="mb-4 text-2xl font-semibold">{format!("Reset MFA for {}?", reset.name)}</h1>
                {other_error.map(|e| view! { <Alert message=e /> })}
                <div id="reset-effects" class="mb-6 text-sm text-slate-700 dark:text-slate-200">
                    <p class="mb-2">{format!("{} ({}) will lose two-step verification at once:", reset.name, reset.email)}</p>
                    <ul class="list-disc pl-5">
                        <li>"their authenticator app and all their recovery codes stop working;"</li>
                        <li>"they are signed out everywhere;"</li>
                        <li>"they get an email saying you reset it, with your reason;"</li>
                        <li>"if your organisation requires MFA, they set it up again at their next sign-in."</li>
                    </ul>
                </div>
                <form method="post" action=format!("/settings/team/{}/reset-mfa", reset.id)>
                    <div class="mb-5">
                        <label for="reason" class=LABEL_CLASS>"Reason or ticket number (optional)"</label>
                        <input id="reason" name="reason" type="text" maxlength="200" value=reset.reason aria-describedby="reason-hint" class=INPUT_CLASS />
                        <p id="reason-hint" class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">"Shown in the activity log and in the email to them. Never put codes here."</p>
                    </div>
                    {reset.needs_code.then(|| view! { <ConfirmCodeField error=code_error required=true /> })}
                    <div class="flex flex-wrap items-center gap-4">
                        <button type="submit" class=DANGER_BUTTON_CLASS>"Yes, reset MFA"</button>
                        <a href=back class=SECONDARY_CLASS>"Cancel"</a>
                    </div>
                </form>
            </section>
        </main>
    }
}

#[component]
pub fn InvitePage(invite: InviteView) -> impl IntoView {
    let selected = invite.role.clone();
    let role_error = invite.errors.get("role");
    view! {
        <SettingsPage title="Invite a member".into() back=("/settings/team", "Back to the team")>
            {invite.alert.map(|a| view! { <Alert message=a /> })}
            <p class="mb-6 max-w-md text-sm text-slate-600 dark:text-slate-300">
                "They get an email with a link to choose their password. The link works once, for 24 hours. Then your organisation's MFA policy applies to them like to anyone else."
            </p>
            <form method="post" action="/settings/team/invite" class="max-w-md" novalidate>
                <TextField name="email" label="Email" kind="email" autocomplete="off" value=invite.email error=invite.errors.get("email") autofocus=true />
                <TextField name="name" label="Name (optional)" autocomplete="off" value=invite.name error=invite.errors.get("name") optional=true />
                <div class="mb-5">
                    <label for="role" class=LABEL_CLASS>"Role"</label>
                    <select id="role" name="role" class=INPUT_CLASS aria-invalid=role_error.as_ref().map(|_| "true") aria-describedby="role-hint">
                        {invite.roles.into_iter().map(|(id, name, admin)| {
                            let sel = id == selected;
                            let label = if admin { format!("{name} (administrative)") } else { name };
                            view! { <option value=id selected=sel>{label}</option> }
                        }).collect_view()}
                    </select>
                    <p id="role-hint" class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">"Administrative roles need your code to give."</p>
                    <FieldError id="role-error".to_string() error=role_error />
                </div>
                {invite.needs_code.then(|| view! { <ConfirmCodeField error=invite.errors.get("code") /> })}
                <button type="submit" class=BUTTON_CLASS>"Send invitation"</button>
            </form>
        </SettingsPage>
    }
}
