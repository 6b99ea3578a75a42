//! Settings -> Security policy (owners): the organisation's MFA policy and its business hours.

use leptos::prelude::*;

use crate::api::policy::{SetBusinessHours, SetEmailCodes, SetEmailOnlyResets, SetMfaPolicy, SetPasswordExpiry};
use crate::error::AppError;
use crate::forms::{form_islands, FieldProblem, Input, PageAlert, Problems, Submit};
use crate::layout::{
    Card, ConfirmationPage, ConfirmationTitle, Notice, HINT_CLASS, INLINE_PRIMARY_CLASS, INPUT_CLASS, LABEL_CLASS,
    LINK_CLASS,
};

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
    /// "Allow MFA resets verified by email only", as stored.
    pub email_only_resets: bool,
    /// "Passwords expire after N days", as stored or as typed when saving failed; empty: never.
    pub password_days: String,
    pub notice: Option<String>,
    pub hours: HoursView,
    /// Which form failed (without JavaScript), and why.
    pub failed: Option<(Which, AppError)>,
}

/// The two forms of the page.
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
                {(!healthcare).then(|| view! { <Submit label="Save email codes" busy="Saving…" /> })}
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
                "NIST (SP 800-63B) advises against making people change passwords on a schedule: it leads to weaker, predictable passwords. Choose it only if a rule you must follow asks for it. A person whose password expired chooses a new one right after signing in, before anything else."
            </p>
            <PasswordExpiryForm>
                <PageAlert message=expiry_problems.alert(false) />
                <Input name="days" label="Passwords expire after (days)" kind="number" value=password_days optional=true hint="From 30 to 365. Leave empty so that passwords never expire (recommended)." error=expiry_problems.field("days") />
                <Submit label="Save password expiry" busy="Saving…" />
            </PasswordExpiryForm>
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
    /// People without MFA whose accounts are not disabled.
    pub affected: i64,
    pub grace_days: Option<u32>,
    /// When a grace period would end.
    pub until: Option<String>,
    /// Email codes are allowed as a second factor: people without an app use them.
    pub by_email: bool,
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
    let who = match (affected, by_email) {
        (0, _) => format!("Everyone in {org_name} already has MFA, so nobody has to set it up."),
        (1, true) => "1 person without an authenticator app will sign in with a code we email them.".to_string(),
        (n, true) => format!("{n} people without an authenticator app will sign in with a code we email them."),
        (1, false) => "1 person will have to set up MFA".to_string(),
        (n, false) => format!("{n} people will have to set up MFA"),
    };
    let when = match (affected, until) {
        (0, _) => String::new(),
        (_, _) if by_email => String::new(),
        (_, Some(until)) => format!(
            " within the grace period of {} days (until {until}). After that they cannot continue until they have.",
            grace_days.unwrap_or_default()
        ),
        (_, None) => " at their next sign-in, before they can do anything else.".to_string(),
    };
    view! {
        <ConfirmationPage labelled_by="require-title" described_by="require-effects">
            <ConfirmationTitle id="require-title" title="Require MFA for everyone?".into() in_dialog=false />
            <div id="require-effects" class="mb-6 space-y-3 text-slate-700 dark:text-slate-200">
                <p id="require-impact" class="font-medium">{format!("{who}{when}")}</p>
                <p>{if by_email {
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
