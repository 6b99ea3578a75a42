//! Settings -> Security policy -> Sign-in methods: which sign-in providers the organisation's
//! people may use, and from which domains or tenants their accounts may come. Owners change it;
//! whoever manages the security policy sees it.

use leptos::prelude::*;

use crate::api::policy::{SetProviderSignInRequired, SetSignInMethod};
use crate::classes::{HINT_CLASS, LINK_CLASS};
use crate::error::{step_up_page, AppError};
use crate::forms::{form_islands, PageAlert, Problems, Submit, TextArea};
use crate::layout::{Notice, SettingsPage};

form_islands! {
    /// One provider: allowed or not, and from where.
    SignInMethodForm => SetSignInMethod;
    /// Whether everyone but the owners must sign in with a provider.
    RequiredForm => SetProviderSignInRequired;
}

pub const HERE: &str = "/settings/security/sign-in";

/// One provider as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodRow {
    pub provider_id: i64,
    pub name: String,
    /// What "accounts from" means for this provider, said under the field.
    pub from_hint: &'static str,
    /// Microsoft: the tenants this Tessera accepts, to choose from.
    pub tenants: Vec<String>,
    pub allowed: bool,
    /// One per line, as stored or as typed when saving failed.
    pub accounts_from: String,
    /// What the provider's own MFA counts for: `always`, `when-proven` or `never`.
    pub mfa: String,
    /// Domains whose verified addresses link themselves, one per line.
    pub trust_email_from: String,
    /// Domains whose verified addresses make new members, one per line.
    pub create_from: String,
    /// How it stands, in a sentence.
    pub status: String,
    /// Saving this one failed (without JavaScript): why.
    pub error: Option<AppError>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInMethodsView {
    pub methods: Vec<MethodRow>,
    /// Owners change sign-in methods; others see them.
    pub may_change: bool,
    pub fresh: bool,
    pub notice: Option<String>,
    /// Everyone but the owners must sign in with a provider.
    pub required: bool,
    /// Changing that failed (without JavaScript): why.
    pub required_error: Option<AppError>,
}

#[component]
pub fn SignInMethodsPage(view: SignInMethodsView) -> impl IntoView {
    let SignInMethodsView { methods, may_change, fresh, notice, required, required_error } = view;
    let required_problems = Problems(required_error);
    let any = !methods.is_empty();
    view! {
        <SettingsPage title="Sign-in methods".into() parent=("/settings/security", "Security policy")>
            {notice.map(|n| view! { <Notice message=n /> })}
            <p class="mb-4 max-w-2xl text-sm text-slate-600 dark:text-slate-300">
                "Besides their email and password, your people can sign in with an account at a provider this Tessera is set up for. Each person links it to their account once (in Account security, or by signing in with their password at their first sign-in with it), and your MFA policy still applies after it."
            </p>
            {(!may_change).then(|| view! {
                <p id="owners-only" class="mb-6 max-w-2xl text-sm text-slate-700 dark:text-slate-200">
                    "Only owners can change sign-in methods: a provider's accounts open your people's accounts."
                </p>
            })}
            {(may_change && !fresh).then(|| view! {
                <p class="mb-6 text-sm text-slate-700 dark:text-slate-200">
                    "Changes here need a fresh confirmation that it is you. "
                    <a href=step_up_page(Some(HERE)) class=LINK_CLASS>"Confirm it is you"</a>
                </p>
            })}
            {methods.is_empty().then(|| view! {
                <p id="no-providers" class="mb-6 max-w-2xl text-sm text-slate-700 dark:text-slate-200">
                    "This Tessera is not set up for any sign-in provider yet. Its operator adds Google, Microsoft or another provider with "
                    <code>"tessera sso add"</code>
                    "; they then appear here."
                </p>
            })}
            {methods.into_iter().map(|m| view! { <Method m=m may_change=may_change /> }).collect_view()}
            {any.then(|| view! {
                <section aria-labelledby="required-title" class="mb-8 max-w-xl rounded-lg border border-slate-200 p-4 sm:p-6 dark:border-slate-700">
                    <h2 id="required-title" class="mb-1 text-lg font-semibold">"Require a provider"</h2>
                    <p class="mb-4 text-sm text-slate-700 dark:text-slate-200" data-status="required">
                        {if required {
                            "Required: everyone but the owners signs in with a provider; their passwords alone no longer sign them in."
                        } else {
                            "Not required: people may sign in with their email and password too."
                        }}
                    </p>
                    {may_change.then(|| view! {
                        <RequiredForm>
                            <PageAlert message=required_problems.alert(false) />
                            <div class="mb-5 flex items-start gap-3">
                                <input type="checkbox" id="required" name="required" value="true" checked=required aria-describedby="required-help" class="mt-1 h-4 w-4" />
                                <div>
                                    <label for="required" class="text-sm font-medium">"Require sign-in with a provider for everyone but the owners"</label>
                                    <p id="required-help" class=HINT_CLASS>"Their provider's own controls then decide who gets in (an account closed there can no longer sign in here). Someone who has not linked a provider yet can sign in only if their verified address links itself (above). Owners keep their passwords, so that a provider that fails does not lock everyone out. Links can no longer be removed."</p>
                                </div>
                            </div>
                            <Submit label="Save requirement" busy="Saving…" />
                        </RequiredForm>
                    })}
                </section>
            })}
        </SettingsPage>
    }
}

/// What the provider's own MFA counts for: Tessera's is asked always (the default), skipped
/// when the provider proves its own, or never asked (warned against).
#[component]
fn MfaChoice(provider_id: i64, name: String, chosen: String) -> impl IntoView {
    let options = [
        ("always", format!("Always ask for your MFA after {name} (recommended)"), "Whatever the provider checked, your people then give their own second factor, as after a password.".to_string()),
        ("when-proven", format!("Skip it when {name} says it checked a second factor"), format!("Only when {name}'s sign-in reports it (the ID token's amr or acr); Microsoft Entra does when its MFA or Conditional Access asked for one, Google does not.")),
        ("never", format!("Never ask after {name} (not recommended)"), format!("Whoever controls a linked {name} account then signs in with nothing else. Changing a password and other sensitive actions still ask for your MFA.")),
    ];
    view! {
        <fieldset class="mb-5">
            <legend class="mb-2 text-sm font-medium">{format!("Your MFA after {name}")}</legend>
            {options.into_iter().map(|(value, label, help)| {
                let id = format!("mfa-{provider_id}-{value}");
                let help_id = format!("{id}-help");
                view! {
                    <div class="mb-3 flex items-start gap-3">
                        <input type="radio" id=id.clone() name="mfa" value=value checked=chosen == value aria-describedby=help_id.clone() class="mt-1 h-4 w-4" />
                        <div>
                            <label for=id class="text-sm font-medium">{label}</label>
                            <p id=help_id class=HINT_CLASS>{help}</p>
                        </div>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn Method(m: MethodRow, may_change: bool) -> impl IntoView {
    let MethodRow {
        provider_id,
        name,
        from_hint,
        tenants,
        allowed,
        accounts_from,
        mfa,
        trust_email_from,
        create_from,
        status,
        error,
    } = m;
    let problems = Problems(error);
    let (labelled_by, heading) = (format!("method-{provider_id}"), format!("method-{provider_id}"));
    let allowed_id = format!("allowed-{provider_id}");
    let tenants = (!tenants.is_empty()).then(|| {
        view! {
            <p class=format!("{HINT_CLASS} -mt-3 mb-5")>
                "Tenants this Tessera accepts: " <span class="wrap-anywhere">{tenants.join(", ")}</span>
            </p>
        }
    });
    view! {
        <section aria-labelledby=labelled_by class="mb-8 max-w-xl rounded-lg border border-slate-200 p-4 sm:p-6 dark:border-slate-700">
            <h2 id=heading class="mb-1 text-lg font-semibold">{name.clone()}</h2>
            <p class="mb-4 text-sm text-slate-700 dark:text-slate-200" data-status=provider_id.to_string()>{status}</p>
            {may_change.then(|| view! {
                <SignInMethodForm>
                    <PageAlert message=problems.alert(true) />
                    <input type="hidden" name="provider" value=provider_id.to_string() />
                    <div class="mb-5 flex items-start gap-3">
                        <input type="checkbox" id=allowed_id.clone() name="allowed" value="true" checked=allowed class="mt-1 h-4 w-4" />
                        <label for=allowed_id class="text-sm font-medium">{format!("Let people sign in with {name}")}</label>
                    </div>
                    <TextArea
                        name="accounts_from"
                        label="Only accounts from (optional)"
                        rows=2
                        value=accounts_from
                        error=problems.field("accounts_from")
                        hint=from_hint
                        optional=true
                        id=format!("accounts_from-{provider_id}")
                    />
                    {tenants}
                    <TextArea
                        name="trust_email_from"
                        label="Link accounts by their verified address at (optional)"
                        rows=2
                        value=trust_email_from
                        error=problems.field("trust_email_from")
                        hint="Domains, one per line. At its first sign-in, an account whose address the provider has verified at one of them is linked to the Tessera account with that address, without asking (an unverified address never is). Only for domains your organisation controls at the provider: anyone who can get such an address there could sign in as its owner here."
                        optional=true
                        id=format!("trust_email_from-{provider_id}")
                    />
                    <TextArea
                        name="create_from"
                        label="Create accounts for new people from (optional)"
                        rows=2
                        value=create_from
                        error=problems.field("create_from")
                        hint="Domains, one per line. Someone without an account whose address the provider has verified at one of them becomes a member (role Member) at their first sign-in with it. Off by default; only for domains your organisation controls at the provider."
                        optional=true
                        id=format!("create_from-{provider_id}")
                    />
                    <MfaChoice provider_id name=name.clone() chosen=mfa />
                    <Submit label="Save" busy="Saving…" />
                </SignInMethodForm>
            })}
        </section>
    }
}
