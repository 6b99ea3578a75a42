//! Settings -> Team: the member list (filtered with a GET form), a member's page (role, account,
//! Reset MFA in a modal dialog), the Reset MFA confirmation page (what the dialog's link opens
//! without JavaScript) and the invitation forms (one person, or a list).

use leptos::prelude::*;

use crate::api::team::{
    ChangeMemberRole, CorrectMemberEmail, InviteList, InviteMember, IssueAccessCode, ResendAllInvitations,
    ResendInvitation, ResetMemberMfa, RevokeInvitation, SetMemberDisabled,
};
use crate::classes::{
    BUTTON_CLASS, DIALOG_CLASS, HINT_CLASS, INLINE_DANGER_CLASS, INLINE_SECONDARY_CLASS, INPUT_CLASS, LABEL_CLASS,
    LINK_CLASS,
};
use crate::components::{ListFromFile, ModalDialog};
use crate::error::{AppError, Refusal};
use crate::forms::{
    filter_islands, form_islands, CodeInput, FieldProblem, Input, PageAlert, Problems, Submit, TextArea,
};
use crate::layout::{ConfirmationPage, ConfirmationTitle, Notice, SettingsPage, StatusBadge};

form_islands! {
    /// Inviting someone with a role.
    InviteMemberForm => InviteMember;
    /// Inviting a list of people with one role.
    InviteListForm => InviteList;
    /// Sending everyone invited a new link.
    ResendAllInvitationsForm => ResendAllInvitations;
    /// Giving a member another role.
    ChangeRoleForm => ChangeMemberRole;
    /// Disabling or enabling a member's account.
    MemberAccountForm => SetMemberDisabled;
    /// Resetting a teammate's MFA, in the dialog or on its own page.
    ResetMfaForm => ResetMemberMfa;
    /// Sending an invited member a new link.
    ResendInvitationForm => ResendInvitation;
    /// Withdrawing an invitation nobody accepted.
    RevokeInvitationForm => RevokeInvitation;
    /// A new temporary access code for a member an MFA reset holds.
    IssueAccessCodeForm => IssueAccessCode;
    /// Correcting a member's email address.
    MemberEmailForm => CorrectMemberEmail;
}

filter_islands! {
    /// Search and filters of the team list.
    TeamFilterForm => "/settings/team";
}

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
    /// "Invited" or "Invitation expired", until they choose a password.
    pub invitation: Option<&'static str>,
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
    /// Invitations nobody has accepted yet (shown to those who may resend them).
    pub waiting: usize,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// What the Reset MFA confirmation says and keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub reason: String,
    /// (id, label) of the ways of verifying who is asking, and the one chosen before a failure.
    pub checks: Vec<(&'static str, &'static str)>,
    pub verified_by: String,
    /// The organisation lets a reset go ahead on a request verified by email only (flagged).
    pub email_only_allowed: bool,
    /// What their next sign-in asks of them, as a clause ending the list of effects.
    pub after: &'static str,
    pub needs_code: bool,
    pub error: Option<AppError>,
}

/// An account an earlier reset holds for a temporary access code, on the member's page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoldView {
    /// Where the hold stands: the code waits, was used, or expired.
    pub status: String,
    /// The viewer may issue a new code.
    pub can_issue: bool,
    pub needs_code: bool,
    pub error: Option<AppError>,
}

/// A temporary access code, shown once to the administrator who issued it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessCodeView {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// `None` once shown: the page says how to get a new one.
    pub code: Option<String>,
    pub minutes: u64,
    /// Right after the reset, rather than a new code for a held account.
    pub after_reset: bool,
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
    /// The applications they signed in to in the last 30 days: (name, latest, UTC).
    pub applications: Vec<(String, String)>,
    pub shows_security: bool,
    pub mfa_label: String,
    pub has_mfa: bool,
    /// The Reset MFA dialog, when the viewer may reset this member's MFA now.
    pub reset: Option<ResetView>,
    /// The viewer has no authenticator app and a stale step-up: sensitive changes here wait
    /// until they confirm it is them with an emailed code (on the step-up page).
    pub confirm_first: bool,
    /// The same, where the viewer could reset this member's MFA.
    pub confirm_reset: bool,
    /// This page's address, to come back to after confirming.
    pub here: String,
    /// Why the viewer may not reset this member's MFA (an owner, someone with more permissions,
    /// or the viewer's own account): said where the button would be.
    pub reset_refused: Option<Refusal>,
    /// An earlier reset holds the account for a temporary access code.
    pub hold: Option<HoldView>,
    pub can_manage: bool,
    /// Why a viewer who manages members may not change this one.
    pub manage_refused: Option<Refusal>,
    /// (id, name, selected) of the roles the viewer may give.
    pub roles: Vec<(String, String, bool)>,
    /// The viewer's step-up is stale: sensitive forms ask for a code.
    pub needs_code: bool,
    pub notice: Option<String>,
    /// Invited and not accepted yet: when, and when the link expires.
    pub invitation: Option<String>,
    pub invitation_error: Option<AppError>,
    /// A change on this page failed without JavaScript.
    pub role_error: Option<AppError>,
    /// Correcting their address: what is in the field (as typed after a failure), and why it failed.
    pub email_value: String,
    pub email_error: Option<AppError>,
    pub account_error: Option<AppError>,
}

/// The roles an invitation may give, and what giving an administrative one asks for first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleOffer {
    /// The role chosen (as typed before a failure, or Member).
    pub role: String,
    /// (id, name, administrative) of the roles the viewer may give.
    pub roles: Vec<(String, String, bool)>,
    pub needs_code: bool,
    /// No authenticator app and a stale step-up: administrative roles wait for an emailed code.
    pub confirm_first: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteView {
    pub email: String,
    pub name: String,
    pub offer: RoleOffer,
    pub error: Option<AppError>,
}

/// The invitation form for a list of people.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteListView {
    pub addresses: String,
    pub offer: RoleOffer,
    pub error: Option<AppError>,
}

/// Where someone without an authenticator app confirms it is them (by an emailed code) before a
/// sensitive change, and comes back to `here`.
#[component]
pub fn ConfirmFirst(text: &'static str, here: String) -> impl IntoView {
    let href = crate::error::step_up_page(Some(&here));
    view! {
        <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
            {text} " " <a href=href class=LINK_CLASS>"Confirm it is you"</a> " (we email you a code)."
        </p>
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
        <SettingsPage title="Team".into()>
            {team.notice.map(|n| view! { <Notice message=n /> })}
            <PageAlert message=team.error />
            {team.can_invite.then(|| view! {
                <p class="mb-6 flex flex-wrap gap-x-6 gap-y-2">
                    <a href="/settings/team/invite" class=LINK_CLASS>"Invite a member"</a>
                    <a href="/settings/team/invite/list" class=LINK_CLASS>"Invite several people"</a>
                </p>
            })}
            {(team.waiting > 0).then(|| {
                let waiting = match team.waiting {
                    1 => "1 invitation is waiting to be accepted.".to_string(),
                    n => format!("{n} invitations are waiting to be accepted."),
                };
                view! {
                    <div class="mb-6 max-w-2xl rounded-lg border border-slate-200 px-4 py-3 dark:border-slate-700">
                        <ResendAllInvitationsForm>
                            <p class="text-sm text-slate-700 dark:text-slate-200">{waiting}</p>
                            <p class=HINT_CLASS>"Resending mails each of them a new link for 24 hours, expired or not; their old links stop working. Nobody is mailed twice within a minute."</p>
                            <div class="mt-3"><Submit label="Resend all invitations" class=INLINE_SECONDARY_CLASS busy="Sending…" /></div>
                        </ResendAllInvitationsForm>
                    </div>
                }
            })}
            <TeamFilterForm>
                <Input name="q" label="Search name or email" kind="search" value=team.search optional=true />
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
                            <option value="enabled" selected=mfa == "enabled">"Authenticator app"</option>
                            <option value="not_enabled" selected=mfa == "not_enabled">"Not set up"</option>
                            <option value="required" selected=mfa == "required">"Required, no authenticator app"</option>
                        </select>
                    </div>
                })}
                <div class="mb-5 flex items-end">
                    <button type="submit" class=BUTTON_CLASS>"Filter"</button>
                </div>
            </TeamFilterForm>
            <p id="member-count" class="mb-3 text-sm text-slate-600 dark:text-slate-300" role="status">{count}</p>
            <div class="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
                <table class="min-w-full text-left text-sm">
                    <caption class="sr-only">"Members of your organisation"</caption>
                    <thead class="bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Member"</th>
                            // On a phone the role goes under the member's name and the last
                            // sign-in is on their page: name, MFA status and the link fit 390 px.
                            <th scope="col" class="hidden px-3 py-2 sm:table-cell">"Role"</th>
                            {shows_mfa.then(|| view! { <th scope="col" class="px-3 py-2">"MFA"</th> })}
                            <th scope="col" class="hidden px-3 py-2 md:table-cell">"Last sign-in (UTC)"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 dark:divide-slate-700">
                        {team.rows.into_iter().map(|r| {
                            let href = format!("/settings/team/{}", r.id);
                            view! {
                                <tr>
                                    <td class="px-3 py-2 align-top">
                                        <a href=href class=LINK_CLASS>{r.name}</a>
                                        {r.disabled.then(|| view! { " " <span class="text-xs text-red-700 dark:text-red-300">"(disabled)"</span> })}
                                        {r.invitation.map(|label| view! { " " <StatusBadge label /> })}
                                        <div class="wrap-anywhere text-slate-600 dark:text-slate-300">{r.email}</div>
                                        <div class="text-slate-600 sm:hidden dark:text-slate-300">{r.role.clone()}</div>
                                    </td>
                                    <td class="hidden px-3 py-2 align-top sm:table-cell">{r.role}</td>
                                    {r.mfa.map(|m| view! { <td class="px-3 py-2 align-top"><StatusBadge label=m /></td> })}
                                    <td class="hidden whitespace-nowrap px-3 py-2 align-top md:table-cell">{r.last_sign_in}</td>
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

/// The actor's own code, asked for with a sensitive change when their last one is stale.
#[component]
fn ConfirmCode(
    error: Option<String>,
    /// Whether the form cannot go without it (otherwise only some choices need it).
    #[prop(optional)]
    required: bool,
    #[prop(default = "code")] id: &'static str,
) -> impl IntoView {
    view! {
        <CodeInput
            id
            error
            required
            auto_submit=false
            label="Your authentication code"
            hint="To confirm it is you: the 6-digit code from your authenticator app, or one of your recovery codes."
        />
    }
}

#[component]
pub fn MemberPage(member: MemberView) -> impl IntoView {
    // One copy per form: each form's children own theirs.
    let (role_member, account_member) = (member.id.to_string(), member.id.to_string());
    let disabled = member.disabled;
    let role_problems = Problems(member.role_error);
    let account_problems = Problems(member.account_error);
    let needs_code = member.needs_code;
    let confirm_first = member.confirm_first;
    let reset_here = member.here.clone();
    let role_here = member.here.clone();
    let hold_member = member.id.to_string();
    let (email_member, email_here) = (member.id.to_string(), member.here.clone());
    let email_problems = Problems(member.email_error);
    let email_value = member.email_value;
    view! {
        <SettingsPage title=member.name.clone() parent=("/settings/team", "Team")>
            {member.notice.map(|n| view! { <Notice message=n /> })}
            <dl class="mb-8 grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
                <dt class="text-slate-500 dark:text-slate-400">"Email"</dt>
                <dd class="wrap-anywhere">{member.email}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Role"</dt>
                <dd>{member.role}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Status"</dt>
                <dd>{if disabled { "Disabled" } else if member.invitation.is_some() { "Invited" } else { "Active" }}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Member since (UTC)"</dt>
                <dd>{member.joined}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Last sign-in (UTC)"</dt>
                <dd>{member.last_sign_in}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Applications (last 30 days)"</dt>
                <dd id="member-applications">
                    {if member.applications.is_empty() {
                        view! { <span>"None"</span> }.into_any()
                    } else {
                        view! {
                            <ul>
                                {member.applications.into_iter().map(|(name, at)| view! { <li>{name} <span class="text-slate-500 dark:text-slate-400">{format!(" (latest {at})")}</span></li> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }}
                </dd>
            </dl>
            {member.invitation.map(|text| {
                let (resend_member, revoke_member) = (member.id.to_string(), member.id.to_string());
                let problems = Problems(member.invitation_error);
                view! {
                    <section aria-labelledby="invitation" class="mb-8 rounded-lg border border-slate-200 p-5 dark:border-slate-700">
                        <h2 id="invitation" class="mb-3 text-lg font-semibold">"Invitation"</h2>
                        <p id="invitation-state" class="mb-4 text-sm">{text} " They have not chosen a password yet."</p>
                        <PageAlert message=problems.alert(false) />
                        {member.can_manage.then(|| view! {
                            <div class="flex flex-wrap gap-3">
                                <ResendInvitationForm>
                                    <input type="hidden" name="member" value=resend_member />
                                    <Submit label="Resend invitation" class=INLINE_SECONDARY_CLASS busy="Sending…" />
                                </ResendInvitationForm>
                                <RevokeInvitationForm>
                                    <input type="hidden" name="member" value=revoke_member />
                                    <Submit label="Revoke invitation" class=INLINE_DANGER_CLASS busy="Revoking…" />
                                </RevokeInvitationForm>
                            </div>
                            <p class=HINT_CLASS>"Resending sends a new link; the old one stops working. Revoking removes the unused account."</p>
                        })}
                    </section>
                }
            })}
            {member.shows_security.then(|| view! {
                <section aria-labelledby="security-settings" class="mb-8 rounded-lg border border-slate-200 p-5 dark:border-slate-700">
                    <h2 id="security-settings" class="mb-3 text-lg font-semibold">"Security settings"</h2>
                    <p class="mb-4 text-sm">"MFA: " <strong id="member-mfa">{member.mfa_label.clone()}</strong></p>
                    {member.reset.map(|reset| {
                        let page = format!("/settings/team/{}/reset-mfa", reset.id);
                        view! {
                            <ModalDialog>
                                <a href=page data-open-dialog class=INLINE_DANGER_CLASS>"Reset MFA"</a>
                                <dialog
                                    aria-labelledby="reset-title"
                                    aria-describedby="reset-effects"
                                    class=DIALOG_CLASS
                                >
                                    <ResetMfaConfirmation reset in_dialog=true />
                                </dialog>
                            </ModalDialog>
                        }
                    })}
                    {member.confirm_reset.then(|| view! {
                        <ConfirmFirst text="Resetting someone's MFA needs a fresh confirmation first." here=reset_here.clone() />
                    })}
                    {member.reset_refused.map(|why| view! {
                        <p id="reset-refused" class="text-sm text-slate-600 dark:text-slate-300">{why_no_reset(why)}</p>
                    })}
                    {member.hold.map(|hold| view! { <AccessHold hold member=hold_member.clone() /> })}
                </section>
            })}
            {member.can_manage.then(|| view! {
                <section aria-labelledby="membership" class="rounded-lg border border-slate-200 p-5 dark:border-slate-700">
                    <h2 id="membership" class="mb-3 text-lg font-semibold">"Membership"</h2>
                    <div class="mb-6 max-w-md">
                        <ChangeRoleForm>
                            <PageAlert message=role_problems.alert(false) />
                            <input type="hidden" name="member" value=role_member />
                            <div class="mb-5">
                                <label for="role" class=LABEL_CLASS>"Role"</label>
                                <select id="role" name="role" aria-describedby="role-error" class=INPUT_CLASS>
                                    {member.roles.into_iter().map(|(rid, name, sel)| view! { <option value=rid selected=sel>{name}</option> }).collect_view()}
                                </select>
                                <FieldProblem name="role" error=role_problems.field("role") />
                            </div>
                            {(needs_code || role_problems.field("code").is_some()).then(|| view! {
                                <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">"Giving a role with administrative permissions needs your code."</p>
                                <ConfirmCode error=role_problems.field("code") id="role-code" />
                            })}
                            {confirm_first.then(|| view! {
                                <ConfirmFirst text="Giving a role with administrative permissions needs a fresh confirmation first." here=role_here.clone() />
                            })}
                            <Submit label="Change role" busy="Saving…" />
                        </ChangeRoleForm>
                    </div>
                    <div class="mb-6 max-w-md">
                        <MemberEmailForm>
                            <PageAlert message=email_problems.alert(false) />
                            <input type="hidden" name="member" value=email_member />
                            <Input
                                name="member_email"
                                label="Email address"
                                kind="email"
                                autocomplete="off"
                                value=email_value
                                error=email_problems.field("member_email")
                                hint="Correct it only when the address on record is wrong. They are signed out everywhere, links and codes sent to the old address stop working, and both addresses are told."
                            />
                            {(needs_code || email_problems.field("code").is_some()).then(|| view! {
                                <ConfirmCode error=email_problems.field("code") id="email-code" />
                            })}
                            {confirm_first.then(|| view! {
                                <ConfirmFirst text="Correcting an email address needs a fresh confirmation first." here=email_here.clone() />
                            })}
                            <Submit label="Correct email address" class=INLINE_SECONDARY_CLASS busy="Saving…" />
                        </MemberEmailForm>
                    </div>
                    <div class="max-w-md">
                        <MemberAccountForm>
                            <PageAlert message=account_problems.alert(false) />
                            <input type="hidden" name="member" value=account_member />
                            <input type="hidden" name="disabled" value=if disabled { "false" } else { "true" } />
                            <Submit label=if disabled { "Enable account" } else { "Disable account" } class=INLINE_SECONDARY_CLASS busy="Saving…" />
                        </MemberAccountForm>
                    </div>
                </section>
            })}
            {member.manage_refused.map(|why| view! {
                <section aria-labelledby="membership" class="rounded-lg border border-slate-200 p-5 dark:border-slate-700">
                    <h2 id="membership" class="mb-3 text-lg font-semibold">"Membership"</h2>
                    <p id="manage-refused" class="text-sm text-slate-600 dark:text-slate-300">{why_not_managed(why)}</p>
                </section>
            })}
        </SettingsPage>
    }
}

/// Why there is no "Reset MFA" on a member's page, said for that section.
fn why_no_reset(why: Refusal) -> &'static str {
    match why {
        Refusal::ProtectedOwner => "Only an owner can reset an owner's MFA.",
        Refusal::Outranked => {
            "Their role has permissions yours does not, so only someone with at least their permissions can reset their MFA."
        }
        Refusal::OwnAccount => "This is you: change your own MFA on your account security page.",
        other => other.message(),
    }
}

/// Why there is no role change or disabling on a member's page, said for that section.
fn why_not_managed(why: Refusal) -> &'static str {
    match why {
        Refusal::ProtectedOwner => "Only an owner can change an owner's role or disable their account.",
        Refusal::Outranked => {
            "Their role has permissions yours does not, so only someone with at least their permissions can change their role or disable their account."
        }
        Refusal::OwnAccount => "This is you: nobody changes their own role or disables their own account.",
        other => other.message(),
    }
}

/// "Reset MFA for NAME?": what will happen, an optional reason, the actor's code when their last
/// one is stale, and "Yes, reset MFA". In the member page's dialog, or as a page of its own.
#[component]
fn ResetMfaConfirmation(reset: ResetView, in_dialog: bool) -> impl IntoView {
    let problems = Problems(reset.error);
    let back = format!("/settings/team/{}", reset.id);
    let title = format!("Reset MFA for {}?", reset.name);
    view! {
        <ConfirmationTitle id="reset-title" title in_dialog />
        <div id="reset-effects" class="mb-6 text-sm text-slate-700 dark:text-slate-200">
            <p class="mb-2">{format!("{} ({}) will lose MFA at once:", reset.name, reset.email)}</p>
            <ul class="list-disc pl-5">
                <li>"their authenticator app and all their recovery codes stop working;"</li>
                <li>"they are signed out everywhere;"</li>
                <li>"they get an email saying you reset it, with your reason and what to do next;"</li>
                <li id="reset-next">{reset.after}</li>
            </ul>
        </div>
        <ResetMfaForm>
            <PageAlert message=problems.alert(false) />
            <input type="hidden" name="member" value=reset.id.to_string() />
            <fieldset class="mb-5" aria-describedby="verified_by-hint verified_by-error">
                <legend class=LABEL_CLASS>"How did you verify who is asking?"</legend>
                <p id="verified_by-hint" class=format!("{HINT_CLASS} mb-2")>
                    "Someone who took over their account can ask for a reset too. Verify them by a channel the account does not control."
                    {reset.email_only_allowed.then_some(" Your organisation allows email-only requests: such a reset is flagged in the activity log.")}
                </p>
                {reset.checks.into_iter().enumerate().map(|(i, (id, label))| {
                    let input_id = if i == 0 { "verified_by".to_string() } else { format!("verified_by-{id}") };
                    let checked = reset.verified_by == id;
                    view! {
                        <div class="mb-1 flex items-start gap-2">
                            <input type="radio" id=input_id.clone() name="verified_by" value=id checked=checked required=true class="mt-1" />
                            <label for=input_id class="text-sm">{label}</label>
                        </div>
                    }
                }).collect_view()}
                <FieldProblem name="verified_by" error=problems.field("verified_by") />
            </fieldset>
            <div class="mb-5">
                <label for="reason" class=LABEL_CLASS>"Reason or ticket number (optional)"</label>
                <input id="reason" name="reason" type="text" maxlength="200" value=reset.reason aria-describedby="reason-hint reason-error" class=INPUT_CLASS />
                <p id="reason-hint" class=HINT_CLASS>"Shown in the activity log and in the email to them. Never put codes here."</p>
                <FieldProblem name="reason" error=None />
            </div>
            {(reset.needs_code || problems.field("code").is_some()).then(|| view! {
                <ConfirmCode error=problems.field("code") required=true id="reset-code" />
            })}
            <div class="flex flex-wrap items-center gap-4">
                <Submit label="Yes, reset MFA" class=INLINE_DANGER_CLASS busy="Resetting…" />
                {if in_dialog {
                    view! { <button type="button" data-close-dialog class=INLINE_SECONDARY_CLASS>"Cancel"</button> }.into_any()
                } else {
                    view! { <a href=back class=INLINE_SECONDARY_CLASS>"Cancel"</a> }.into_any()
                }}
            </div>
        </ResetMfaForm>
    }
}

/// Where a reset's hold stands, and "Issue a new access code" for someone who may.
#[component]
fn AccessHold(hold: HoldView, member: String) -> impl IntoView {
    let problems = Problems(hold.error);
    view! {
        <div class="mt-4 border-t border-slate-200 pt-4 dark:border-slate-700">
            <h3 class="mb-2 font-semibold">"Temporary access code"</h3>
            <p id="access-hold" class="mb-3 text-sm">{hold.status}</p>
            {hold.can_issue.then(|| view! {
                <IssueAccessCodeForm>
                    <PageAlert message=problems.alert(false) />
                    <input type="hidden" name="member" value=member />
                    {(hold.needs_code || problems.field("code").is_some()).then(|| view! {
                        <ConfirmCode error=problems.field("code") required=true id="access-code-confirm" />
                    })}
                    <Submit label="Issue a new access code" class=INLINE_SECONDARY_CLASS busy="Issuing…" />
                    <p class=HINT_CLASS>"The code they have now stops working. Verify who is asking again before you hand over the new one."</p>
                </IssueAccessCodeForm>
            })}
        </div>
    }
}

/// A temporary access code, shown once: what to do with it, and for how long it works.
#[component]
pub fn AccessCodePage(view: AccessCodeView) -> impl IntoView {
    let back = format!("/settings/team/{}", view.id);
    let title = format!("Temporary access code for {}", view.name);
    view! {
        <SettingsPage title parent=("/settings/team", "Team")>
            {view.after_reset.then(|| view! {
                <Notice message="MFA was reset. They were signed out everywhere and told by email.".to_string() />
            })}
            {match view.code {
                Some(code) => view! {
                    <p class="mb-4 max-w-prose text-sm">
                        {format!("{} ({}) cannot sign in without this code. Give it to them yourself: in person, by phone or on a video call with the person you verified. Never send it by email or chat.", view.name, view.email)}
                    </p>
                    <p class="mb-2 text-sm font-medium" id="access-code-label">"Their temporary access code"</p>
                    <p aria-labelledby="access-code-label" id="access-code" class="mb-4 inline-block select-all rounded-lg border border-slate-300 bg-slate-50 px-4 py-3 font-mono text-2xl tracking-widest dark:border-slate-600 dark:bg-slate-800">{code}</p>
                    <p class="mb-6 max-w-prose text-sm text-slate-700 dark:text-slate-200">
                        {format!("It works once, for {} minutes. After their password they enter it, then set up their authenticator app again. This page shows it only now: if it is lost or runs out, issue a new one from their page.", view.minutes)}
                    </p>
                }.into_any(),
                None => view! {
                    <p class="mb-6 max-w-prose text-sm">
                        "This code was shown already, and is never shown twice. If it was lost, issue a new one from their page: the old one then stops working."
                    </p>
                }.into_any(),
            }}
            <p><a href=back class=LINK_CLASS>{format!("Back to {}", view.name)}</a></p>
        </SettingsPage>
    }
}

/// The Reset MFA confirmation as a page: what the member page's "Reset MFA" opens without
/// JavaScript, and where a failed reset without JavaScript comes back to, the reason kept.
#[component]
pub fn ResetMfaPage(reset: ResetView) -> impl IntoView {
    view! {
        <ConfirmationPage labelled_by="reset-title" described_by="reset-effects">
            <ResetMfaConfirmation reset in_dialog=false />
        </ConfirmationPage>
    }
}

/// The role an invitation gives, from those the viewer may give, and the confirmation an
/// administrative one needs (`here` is where an emailed code brings the viewer back to).
#[component]
fn RoleChoice(offer: RoleOffer, problems: Problems, confirm_text: &'static str, here: &'static str) -> impl IntoView {
    let (roles, selected, error) = (offer.roles, offer.role, problems.field("role"));
    view! {
        <div class="mb-5">
            <label for="role" class=LABEL_CLASS>"Role"</label>
            <select id="role" name="role" class=INPUT_CLASS aria-invalid=error.as_ref().map(|_| "true") aria-describedby="role-hint role-error">
                {roles.into_iter().map(|(id, name, admin)| {
                    let sel = id == selected;
                    let label = if admin { format!("{name} (administrative)") } else { name };
                    view! { <option value=id selected=sel>{label}</option> }
                }).collect_view()}
            </select>
            <p id="role-hint" class=HINT_CLASS>"Giving an administrative role needs a fresh confirmation that it is you."</p>
            <FieldProblem name="role" error />
        </div>
        {(offer.needs_code || problems.field("code").is_some()).then(|| view! { <ConfirmCode error=problems.field("code") /> })}
        {offer.confirm_first.then(|| view! { <ConfirmFirst text=confirm_text here=here.to_string() /> })}
    }
}

#[component]
pub fn InviteListPage(invite: InviteListView) -> impl IntoView {
    let problems = Problems(invite.error);
    view! {
        <SettingsPage title="Invite several people".into() parent=("/settings/team", "Team")>
            <p class="mb-6 max-w-xl text-sm text-slate-600 dark:text-slate-300">
                "Everyone on the list gets an email with a link to choose their password, which works once, for 24 hours, and the role you choose. The list is checked first: if a line cannot be used, nobody is invited and the line is named."
            </p>
            <div class="max-w-xl">
                <InviteListForm>
                    <PageAlert message=problems.alert(true) />
                    <TextArea
                        name="addresses"
                        label="Email addresses"
                        rows=10
                        value=invite.addresses
                        error=problems.field("addresses")
                        hint="One person per line: an address, or a name and address such as Ann Smith <ann@example.com>. Rows copied from a spreadsheet work too. Up to 100 people; someone already invited gets a new link."
                    />
                    <ListFromFile />
                    <RoleChoice
                        offer=invite.offer
                        problems=problems.clone()
                        confirm_text="Inviting people with an administrative role needs a fresh confirmation first."
                        here="/settings/team/invite/list"
                    />
                    <Submit label="Send invitations" busy="Sending…" />
                </InviteListForm>
            </div>
        </SettingsPage>
    }
}

#[component]
pub fn InvitePage(invite: InviteView) -> impl IntoView {
    let problems = Problems(invite.error);
    view! {
        <SettingsPage title="Invite a member".into() parent=("/settings/team", "Team")>
            <p class="mb-6 max-w-md text-sm text-slate-600 dark:text-slate-300">
                "They get an email with a link to choose their password. The link works once, for 24 hours. Then your organisation's MFA policy applies to them like to anyone else."
            </p>
            <div class="max-w-md">
                <InviteMemberForm>
                    <PageAlert message=problems.alert(true) />
                    <Input name="email" label="Email" kind="email" autocomplete="off" value=invite.email error=problems.field("email") autofocus=true />
                    <Input name="name" label="Name (optional)" autocomplete="off" value=invite.name error=problems.field("name") optional=true />
                    <RoleChoice
                        offer=invite.offer
                        problems=problems.clone()
                        confirm_text="Inviting someone with an administrative role needs a fresh confirmation first."
                        here="/settings/team/invite"
                    />
                    <Submit label="Send invitation" busy="Sending…" />
                </InviteMemberForm>
                <p class="mt-6 text-sm text-slate-600 dark:text-slate-300">
                    "Inviting several people? " <a href="/settings/team/invite/list" class=LINK_CLASS>"Paste a list"</a> "."
                </p>
            </div>
        </SettingsPage>
    }
}
