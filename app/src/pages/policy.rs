//! Settings -> Security policy (owners): the organisation's MFA policy and its business hours.

use leptos::prelude::*;

use crate::api::policy::{SetBusinessHours, SetEmailCodes, SetEmailOnlyResets, SetMfaPolicy, SetPasswordExpiry};
use crate::classes::{HINT_CLASS, INLINE_PRIMARY_CLASS, INPUT_CLASS, LABEL_CLASS, LINK_CLASS};
use crate::error::AppError;
use crate::forms::{form_islands, FieldProblem, Input, PageAlert, Problems, Submit};
use crate::layout::{Card, ConfirmationPage, ConfirmationTitle, Notice};

form_islands! {
    /// The MFA policy.
    MfaPolicyForm => SetMfaPolicy;
    /// Whether emailed codes count as a second factor.
    EmailCodesForm => SetEmailCodes;
    /// Whether an MFA reset may go ahead on a request verified by email only.
    EmailOnlyResetsForm => SetEmailOnlyResets;
    /// After how many days passwords expire.
    PasswordExpiryForm => SetPasswordExpiry;
    /// The business hours the activity log measures resets against.
    BusinessHoursForm => SetBusinessHours;
}

/// The organisation's business hours as the policy page shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursView {
    /// `HH:MM`.
    pub start: String,
    pub end: String,
    /// The chosen IANA time zone, and every zone offered.
    pub zone: String,
    pub zones: Vec<String>,
}

/// What the policy page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyView {
    pub policy: String,
    pub healthcare: bool,
    /// What was typed as the grace period, when saving failed.
    pub grace_days: String,
    pub grace_until: Option<String>,
    /// "Allow email codes as a second factor", as stored (never in force in healthcare).
    pub email_codes: bool,
    /// The organisation's roles, each with whether its people may use email codes.
    pub email_code_roles: Vec<EmailCodeRole>,
    /// "Allow MFA resets verified by email only", as stored.
    pub email_only_resets: bool,
    /// "Passwords expire after N days", as stored or as typed when saving failed; empty: never.
    pub password_days: String,
    pub notice: Option<String>,
    pub hours: HoursView,
    /// Which form failed (without JavaScript), and why.
    pub failed: Option<(Which, AppError)>,
}

/// One role as the email-codes form offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailCodeRole {
    pub id: i64,
    pub name: String,
    /// Ticked: its people may use email codes (as stored, or as chosen when saving failed).
    pub allowed: bool,
    /// It holds permissions over other people's accounts or the organisation's settings.
    pub admin: bool,
}

/// The forms of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Policy,
    EmailCodes,
    EmailOnlyResets,
    PasswordExpiry,
    Hours,
}

#[component]
pub fn PolicyPage(view: PolicyView) -> impl IntoView {
    let PolicyView {
        policy,
        healthcare,
        grace_days,
        grace_until,
        email_codes,
        email_code_roles,
        email_only_resets,
        password_days,
        notice,
        hours,
        failed,
    } = view;
    let problems = |which| Problems(failed.as_ref().filter(|(w, _)| *w == which).map(|(_, e)| e.clone()));
    let (policy_problems, hours_problems) = (problems(Which::Policy), problems(Which::Hours));
    let email_problems = problems(Which::EmailCodes);
    let resets_problems = problems(Which::EmailOnlyResets);
    let expiry_problems = problems(Which::PasswordExpiry);
    let HoursView { start, end, zone, zones } = hours;
    let zones = zones.into_iter().map(move |name| {
        let selected = name == zone;
        view! { <option selected=selected>{name}</option> }
    });
    let options = [
        ("hidden", "Hidden", "MFA is not offered. People who already use it keep using it."),
        ("visible", "Visible", "Each person chooses whether to use MFA."),
        ("required", "Required (recommended)", "Everyone must use MFA at every sign-in."),
    ];
    view! {
        <Card title="Security policy">
            {notice.map(|n| view! { <Notice message=n /> })}
            <MfaPolicyForm>
                <PageAlert message=policy_problems.alert(false) />
                <fieldset class="mb-5" aria-describedby="policy-error">
                    <legend class="mb-2 text-sm font-medium text-slate-700 dark:text-slate-200">"MFA"</legend>
                    {options
                        .into_iter()
                        .map(|(value, label, help)| {
                            let locked = healthcare && value != "required";
                            let id = format!("policy-{value}");
                            let help_id = format!("{id}-help");
                            view! {
                                <div class="mb-3 flex items-start gap-3">
                                    <input type="radio" id=id.clone() name="policy" value=value checked=policy == value disabled=locked aria-describedby=help_id.clone() class="mt-1 h-4 w-4" />
                                    <div>
                                        <label for=id class="text-sm font-medium text-slate-900 dark:text-white">{label}</label>
                                        <p id=help_id class="text-sm text-slate-500 dark:text-slate-400">{help}</p>
                                    </div>
                                </div>
                            }
                        })
                        .collect_view()}
                    {healthcare.then(|| view! {
                        <p class="text-sm text-slate-700 dark:text-slate-200">"Healthcare organisations must require MFA."</p>
                    })}
                    <FieldProblem name="policy" error=policy_problems.field("policy") />
                </fieldset>
                <Input name="grace_days" label="Grace period in days (optional, for Required)" kind="number" value=grace_days optional=true error=policy_problems.field("grace_days") />
                {grace_until.map(|g| view! {
                    <p class="-mt-3 mb-5 text-sm text-slate-500 dark:text-slate-400">{format!("Current grace period ends {g}.")}</p>
                })}
                <Submit label="Save policy" busy="Saving…" />
            </MfaPolicyForm>
            <h2 class="mb-2 mt-10 text-lg font-semibold text-slate-900 dark:text-white">"Email codes"</h2>
            <EmailCodesForm>
                <PageAlert message=email_problems.alert(false) />
                <div class="mb-5 flex items-start gap-3">
                    <input type="checkbox" id="email_codes" name="allowed" value="yes" checked=email_codes && !healthcare disabled=healthcare aria-describedby="email_codes-help email_codes-weaker" class="mt-1 h-4 w-4" />
                    <div>
                        <label for="email_codes" class="text-sm font-medium text-slate-900 dark:text-white">"Allow email codes as a second factor"</label>
                        <p id="email_codes-help" class="text-sm text-slate-500 dark:text-slate-400">
                            "Where MFA is required, people without an authenticator app sign in with a code we email them instead of having to set up an app, and people with an app may choose an emailed code."
                        </p>
                        <p id="email_codes-weaker" class="mt-1 text-sm font-medium text-slate-700 dark:text-slate-200">
                            "Email is weaker than an authenticator app: anyone who can read a person's mailbox passes. People with an app still use it to confirm sensitive changes."
                        </p>
                        {healthcare.then(|| view! {
                            <p class="mt-1 text-sm text-slate-700 dark:text-slate-200">"Healthcare organisations must use an authenticator app."</p>
                        })}
                    </div>
                </div>
                {(!healthcare).then(|| view! {
                    <fieldset class="mb-5 ml-7" aria-describedby="roles-help roles-error">
                        <legend class="mb-1 text-sm font-medium text-slate-900 dark:text-white">"Roles that may use them"</legend>
                        <p id="roles-help" class="mb-3 text-sm text-slate-500 dark:text-slate-400">
                            "Only people in the ticked roles may sign in with an emailed code; everyone else who must use MFA needs an authenticator app. Roles that can change other people's accounts or your settings are safer with an app: whoever reads their mailbox could act as them."
                        </p>
                        {email_code_roles
                            .into_iter()
                            .enumerate()
                            .map(|(i, role)| {
                                let id = format!("email_codes-role-{}", role.id);
                                let hint_id = role.admin.then(|| format!("{id}-hint"));
                                view! {
                                    <div class="mb-2 flex flex-wrap items-center gap-x-3">
                                        // Indexed names, so the ones ticked arrive as a list.
                                        <input type="checkbox" id=id.clone() name=format!("roles[{i}]") value=role.id.to_string() checked=role.allowed aria-describedby=hint_id.clone() class="h-4 w-4" />
                                        <label for=id class="text-sm text-slate-900 dark:text-white">{role.name}</label>
                                        {hint_id.map(|hint_id| view! {
                                            <span id=hint_id class="text-xs text-slate-500 dark:text-slate-400">"Can change others' accounts or settings"</span>
                                        })}
                                    </div>
                                }
                            })
                            .collect_view()}
                        <FieldProblem name="roles" error=email_problems.field("roles") />
                    </fieldset>
                    <Submit label="Save email codes" busy="Saving…" />
                })}
            </EmailCodesForm>
            <h2 class="mb-2 mt-10 text-lg font-semibold text-slate-900 dark:text-white">"MFA resets"</h2>
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
                "Before resetting someone's MFA, an administrator says how they verified who is asking: in person with photo ID, a video call, a call back to a number on record, or an authenticated ticket. A request by email alone proves nothing, since a taken-over or look-alike mailbox sends them too."
            </p>
            <EmailOnlyResetsForm>
                <PageAlert message=resets_problems.alert(false) />
                <div class="mb-5 flex items-start gap-3">
                    <input type="checkbox" id="email_only_resets" name="allowed" value="yes" checked=email_only_resets aria-describedby="email_only_resets-help" class="mt-1 h-4 w-4" />
                    <div>
                        <label for="email_only_resets" class="text-sm font-medium text-slate-900 dark:text-white">"Allow resets verified by email only"</label>
                        <p id="email_only_resets-help" class="text-sm text-slate-500 dark:text-slate-400">
                            "Off (recommended): such a reset is refused. On: it goes ahead and is flagged in the activity log."
                        </p>
                    </div>
                </div>
                <Submit label="Save MFA resets" busy="Saving…" />
            </EmailOnlyResetsForm>
            <h2 class="mb-2 mt-10 text-lg font-semibold text-slate-900 dark:text-white">"Password expiry"</h2>
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
                "NIST (SP 800-63B) advises against making people change passwords on a schedule: it leads to weaker, predictable passwords. Choose it only if a rule you must follow asks for it. A person whose password expired chooses a new one right after signing in with it, before anything else (signing in with Google, Microsoft or another provider does not use the password, so expiry does not apply there)."
            </p>
            <PasswordExpiryForm>
                <PageAlert message=expiry_problems.alert(false) />
                <Input name="days" label="Passwords expire after (days)" kind="number" value=password_days optional=true hint="From 30 to 365. Leave empty so that passwords never expire (recommended)." error=expiry_problems.field("days") />
                <Submit label="Save password expiry" busy="Saving…" />
            </PasswordExpiryForm>
            <h2 class="mb-2 mt-10 text-lg font-semibold text-slate-900 dark:text-white">"Sign-in methods"</h2>
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
                "Whether your people may also sign in with Google, Microsoft or another provider, and with accounts from which domains."
            </p>
            <p class="mb-4"><a href="/settings/security/sign-in" class=LINK_CLASS>"Choose sign-in methods"</a></p>
            <h2 class="mb-2 mt-10 text-lg font-semibold text-slate-900 dark:text-white">"Business hours"</h2>
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
                "Monday to Friday. The activity log shows times at your organisation and flags MFA resets outside these hours."
            </p>
            <BusinessHoursForm>
                <PageAlert message=hours_problems.alert(false) />
                <div class="grid grid-cols-2 gap-x-4">
                    <Input name="start" label="Opens" kind="time" value=start error=hours_problems.field("start") />
                    <Input name="end" label="Closes" kind="time" value=end />
                </div>
                <div class="mb-5">
                    <label for="time_zone" class=LABEL_CLASS>"Time zone"</label>
                    <select id="time_zone" name="time_zone" aria-describedby="time_zone-hint time_zone-error" class=INPUT_CLASS>
                        {zones.collect_view()}
                    </select>
                    <p id="time_zone-hint" class=HINT_CLASS>"Where your organisation works, such as Europe/London. Daylight saving is followed."</p>
                    <FieldProblem name="time_zone" error=hours_problems.field("time_zone") />
                </div>
                <Submit label="Save business hours" busy="Saving…" />
            </BusinessHoursForm>
        </Card>
    }
}

/// Whom turning Required on affects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireView {
    pub org_name: String,
    /// People without an authenticator app whose accounts are not disabled: those who will have
    /// to set one up, and those whose role may use email codes instead.
    pub affected: i64,
    pub by_email: i64,
    pub grace_days: Option<u32>,
    /// When a grace period would end.
    pub until: Option<String>,
    /// MFA is required already: this only changes the grace period.
    pub already: bool,
    /// The grace period's end now in force, if one is running.
    pub current_until: Option<String>,
}

/// "Require MFA for everyone?": the impact, then "Require MFA" or go back. Without JavaScript
/// the policy form leads here; with it, the same.
#[component]
pub fn RequirePolicyPage(view: RequireView) -> impl IntoView {
    let RequireView { org_name, affected, grace_days, until, by_email, already, current_until } = view;
    if already {
        return grace_change(affected, grace_days, until, current_until).into_any();
    }
    let set_up = match (affected, by_email) {
        (0, 0) => Some(format!("Everyone in {org_name} already has MFA, so nobody has to set it up.")),
        (0, _) => None,
        (n, _) => {
            let people = if n == 1 { "1 person".to_string() } else { format!("{n} people") };
            Some(match until {
                Some(until) => format!(
                    "{people} will have to set up MFA within the grace period of {} days (until {until}). After that they cannot continue until they have.",
                    grace_days.unwrap_or_default()
                ),
                None => format!("{people} will have to set up MFA at their next sign-in, before they can do anything else."),
            })
        }
    };
    let emailed = match by_email {
        0 => None,
        1 => Some("1 person without an authenticator app will sign in with a code we email them (their role may use email codes).".to_string()),
        n => Some(format!("{n} people without an authenticator app will sign in with a code we email them (their role may use email codes).")),
    };
    let who = [set_up, emailed].into_iter().flatten().collect::<Vec<_>>().join(" ");
    view! {
        <ConfirmationPage labelled_by="require-title" described_by="require-effects">
            <ConfirmationTitle id="require-title" title="Require MFA for everyone?".into() in_dialog=false />
            <div id="require-effects" class="mb-6 space-y-3 text-slate-700 dark:text-slate-200">
                <p id="require-impact" class="font-medium">{who}</p>
                <p>{if by_email > 0 {
                    "Every sign-in will then need a second factor: a code from an authenticator app, a recovery code or an emailed code. Nobody can turn MFA off."
                } else {
                    "Every sign-in will then need a code from an authenticator app or a recovery code, and nobody can turn MFA off."
                }}</p>
                <p>"The owners are told by email."</p>
            </div>
            <ConfirmRequired grace_days label="Require MFA" />
        </ConfirmationPage>
    }
    .into_any()
}

/// The confirmation's form: Required with these days of grace, confirmed; or back.
#[component]
fn ConfirmRequired(grace_days: Option<u32>, label: &'static str) -> impl IntoView {
    let days = grace_days.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <MfaPolicyForm>
            <input type="hidden" name="policy" value="required" />
            <input type="hidden" name="grace_days" value=days />
            <input type="hidden" name="confirm" value="yes" />
            <div class="flex flex-wrap items-center gap-4">
                <Submit label busy="Saving…" class=INLINE_PRIMARY_CLASS />
                <a href="/settings/security" class=LINK_CLASS>"Cancel"</a>
            </div>
        </MfaPolicyForm>
    }
}

/// "Change the grace period?": under Required, whose deadline moves, from when to when.
fn grace_change(
    affected: i64,
    grace_days: Option<u32>,
    until: Option<String>,
    current: Option<String>,
) -> impl IntoView {
    let people = match affected {
        1 => "1 person without MFA".to_string(),
        n => format!("{n} people without MFA"),
    };
    let was = current.map(|c| format!(" (instead of {c})")).unwrap_or_default();
    let impact = match (affected, until) {
        (0, _) => "Everyone already has MFA, so this changes nobody's deadline.".to_string(),
        (_, Some(until)) => format!("{people} will have until {until}{was} to set it up. After that they cannot continue until they have."),
        (_, None) => format!("The grace period ends now{was}: {people} must set it up at their next request, before they can do anything else."),
    };
    view! {
        <ConfirmationPage labelled_by="require-title" described_by="require-effects">
            <ConfirmationTitle id="require-title" title="Change the grace period?".into() in_dialog=false />
            <div id="require-effects" class="mb-6 space-y-3 text-slate-700 dark:text-slate-200">
                <p id="require-impact" class="font-medium">{impact}</p>
                <p>"A grace period counts from the moment it is saved. The owners are told by email."</p>
            </div>
            <ConfirmRequired grace_days label="Save grace period" />
        </ConfirmationPage>
    }
}

/// Whom a change of who may use email codes moves, before it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailCodesChangeView {
    /// The change asked for: allowed or not, and for which roles (ids).
    pub allowed: bool,
    pub roles: Vec<i64>,
    /// "Name (address)" of those who will need an authenticator app instead of emailed codes,
    /// and of those who will sign in with emailed codes instead of setting up an app.
    pub to_app: Vec<String>,
    pub to_email: Vec<String>,
    /// When the grace period running now ends: until then, those who need an app have time.
    pub grace_until: Option<String>,
}

/// "Change who may use email codes?": the people whose sign-in changes, by name, then "Save
/// email codes" or go back.
#[component]
pub fn EmailCodesChangePage(view: EmailCodesChangeView) -> impl IntoView {
    let EmailCodesChangeView { allowed, roles, to_app, to_email, grace_until } = view;
    let people = |n: usize| if n == 1 { "1 person".to_string() } else { format!("{n} people") };
    let when = match grace_until {
        Some(until) => {
            format!("by the end of the grace period ({until}); after that they cannot continue until they have")
        }
        None => "at their next sign-in, or their next request if they are signed in, before they can do anything else"
            .to_string(),
    };
    let to_app_text = (!to_app.is_empty()).then(|| {
        let signs = if to_app.len() == 1 { "signs" } else { "sign" };
        format!(
            "{} {signs} in with emailed codes now and will have to set up an authenticator app {when}:",
            people(to_app.len())
        )
    });
    let to_email_text = (!to_email.is_empty()).then(|| {
        format!(
            "{} without an authenticator app will sign in with a code we email them instead of setting up an app:",
            people(to_email.len())
        )
    });
    let list = |names: Vec<String>| {
        view! {
            <ul class="ml-5 list-disc text-sm">
                {names.into_iter().map(|n| view! { <li class="wrap-anywhere">{n}</li> }).collect_view()}
            </ul>
        }
    };
    view! {
        <ConfirmationPage labelled_by="email-codes-title" described_by="email-codes-effects">
            <ConfirmationTitle id="email-codes-title" title="Change who may use email codes?".into() in_dialog=false />
            <div id="email-codes-effects" class="mb-6 space-y-3 text-slate-700 dark:text-slate-200">
                {to_app_text.map(|t| view! { <p id="email-codes-to-app" class="font-medium">{t}</p> })}
                {(!to_app.is_empty()).then(|| list(to_app))}
                {to_email_text.map(|t| view! { <p id="email-codes-to-email" class="font-medium">{t}</p> })}
                {(!to_email.is_empty()).then(|| list(to_email))}
                <p>"People who already use an authenticator app sign in as before. The owners are told by email."</p>
            </div>
            <EmailCodesForm>
                {allowed.then(|| view! { <input type="hidden" name="allowed" value="yes" /> })}
                {roles
                    .into_iter()
                    .enumerate()
                    .map(|(i, id)| view! { <input type="hidden" name=format!("roles[{i}]") value=id.to_string() /> })
                    .collect_view()}
                <input type="hidden" name="confirm" value="yes" />
                <div class="flex flex-wrap items-center gap-4">
                    <Submit label="Save email codes" busy="Saving…" class=INLINE_PRIMARY_CLASS />
                    <a href="/settings/security" class=LINK_CLASS>"Cancel"</a>
                </div>
            </EmailCodesForm>
        </ConfirmationPage>
    }
}
