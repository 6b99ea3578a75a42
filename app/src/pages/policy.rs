//! Settings -> Security policy (owners): the organisation's MFA policy and its business hours.

use leptos::prelude::*;

use crate::api::policy::{SetBusinessHours, SetMfaPolicy};
use crate::error::AppError;
use crate::forms::{form_islands, FieldProblem, Input, PageAlert, Problems, Submit};
use crate::layout::{Card, Notice, INPUT_CLASS, LABEL_CLASS, LINK_CLASS};

form_islands! {
    /// The MFA policy.
    MfaPolicyForm => SetMfaPolicy;
    /// The business hours the activity log measures resets against.
    BusinessHoursForm => SetBusinessHours;
}

/// The organisation's business hours as the policy page shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursView {
    /// `HH:MM`.
    pub start: String,
    pub end: String,
    /// The chosen offset in minutes, and every offset offered: (minutes, label).
    pub offset: String,
    pub offsets: Vec<(String, String)>,
}

/// What the policy page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyView {
    pub policy: String,
    pub healthcare: bool,
    /// What was typed as the grace period, when saving failed.
    pub grace_days: String,
    pub grace_until: Option<String>,
    pub notice: Option<String>,
    pub hours: HoursView,
    /// Which form failed (without JavaScript), and why.
    pub failed: Option<(Which, AppError)>,
}

/// The two forms of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Policy,
    Hours,
}

#[component]
pub fn PolicyPage(view: PolicyView) -> impl IntoView {
    let PolicyView { policy, healthcare, grace_days, grace_until, notice, hours, failed } = view;
    let problems = |which| Problems(failed.as_ref().filter(|(w, _)| *w == which).map(|(_, e)| e.clone()));
    let (policy_problems, hours_problems) = (problems(Which::Policy), problems(Which::Hours));
    let HoursView { start, end, offset, offsets } = hours;
    let offsets = offsets.into_iter().map(move |(minutes, label)| {
        let selected = minutes == offset;
        view! { <option value=minutes selected=selected>{label}</option> }
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
                    <label for="offset" class=LABEL_CLASS>"Time zone (offset from UTC)"</label>
                    <select id="offset" name="offset" class=INPUT_CLASS>{offsets.collect_view()}</select>
                </div>
                <Submit label="Save business hours" busy="Saving…" />
            </BusinessHoursForm>
            <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Back to account security"</a></p>
        </Card>
    }
}
