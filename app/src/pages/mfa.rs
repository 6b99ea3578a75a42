//! A person's own MFA: account security, the enrolment wizard (scan, verify, recovery codes) and
//! step-up. Nothing secret is an island prop: the setup key and the recovery codes are
//! server-rendered HTML, shown where the person must see them and nowhere else.

use leptos::prelude::*;

use crate::api::account::{
    AnswerPasswordPrompt, ChangePassword, ForgetPendingProvider, LinkPendingProvider, ReplaceExpiredPassword,
    UnlinkProvider,
};
use crate::api::mfa::{ConfirmEnrolment, DisableMfa, RegenerateRecoveryCodes, SendEmailCode, StartEnrolment, StepUp};
use crate::classes::{
    BUTTON_CLASS, DANGER_BUTTON_CLASS, DIALOG_CLASS, INLINE_DANGER_CLASS, INLINE_SECONDARY_CLASS, LINK_CLASS,
    SECONDARY_BUTTON_CLASS,
};
use crate::components::{CopyButton, ModalDialog, PrintButton};
use crate::error::{step_up_page, AppError};
use crate::forms::{form_islands, CodeInput, PageAlert, PasswordInput, Problems, Submit};
use crate::layout::{Alert, Card, ConfirmationPage, ConfirmationTitle, Notice, Viewer};
use crate::pages::auth::NewPasswordFields;
use crate::sign_out::SignOut;

form_islands! {
    /// Turning MFA on, or replacing the authenticator app: the wizard's first step.
    StartEnrolmentForm => StartEnrolment;
    /// The wizard's second step: the first code from the new authenticator app turns MFA on.
    EnrolVerifyForm => ConfirmEnrolment;
    /// A fresh second factor before a sensitive change.
    StepUpForm => StepUp;
    /// A code by mail, for step-up by someone without an authenticator app.
    SendEmailCodeForm => SendEmailCode;
    /// A new password, signed in.
    ChangePasswordForm => ChangePassword;
    /// A new password once the old one expired.
    ExpiredPasswordForm => ReplaceExpiredPassword;
    /// What to do about MFA after a new password.
    PasswordPromptForm => AnswerPasswordPrompt;
    /// A new set of recovery codes.
    RegenerateCodesForm => RegenerateRecoveryCodes;
    /// Turning MFA off.
    DisableMfaForm => DisableMfa;
    /// Unlinks a sign-in provider from the account.
    UnlinkProviderForm => UnlinkProvider;
    /// Links the provider account this browser just signed in with.
    LinkPendingForm => LinkPendingProvider;
    /// Forgets it.
    ForgetPendingForm => ForgetPendingProvider;
}

/// MFA as the security page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaView {
    pub enabled_since: String,
    pub recovery_codes_left: i64,
}

/// A pending enrolment: the QR code (server-rendered SVG) and the key to type by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolView {
    pub qr_svg: String,
    /// `otpauth://…`: on a phone, the app opens with the account filled in.
    pub otpauth_uri: String,
    pub setup_key_grouped: String,
    /// How the entry is named in the app: "issuer (account)".
    pub issuer: String,
    pub account: String,
    pub resetting: bool,
}

/// What the security page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityView {
    pub viewer: Viewer,
    pub mfa: Option<MfaView>,
    pub notice: Option<String>,
    /// Where the person was going before a recovery code sent them here: (href, name).
    pub continue_to: Option<(String, &'static str)>,
    /// Their MFA, named as every page names it.
    pub state: String,
    /// A change failed without JavaScript: why.
    pub error: Option<String>,
    pub fresh: bool,
    /// What the organisation's policy means here, in words.
    pub policy_note: Option<String>,
    pub can_enable: bool,
    pub can_disable: bool,
    /// The sign-in providers the organisation allows, and those linked.
    pub providers: Vec<ProviderRow>,
    /// The organisation requires provider sign-in: links stay (no "Unlink").
    pub links_locked: bool,
    /// A provider account this browser signed in with that nobody is linked to: (provider,
    /// the address it gave), offered to link.
    pub pending: Option<(String, Option<String>)>,
}

/// A sign-in provider on the security page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    pub id: i64,
    pub name: String,
    /// Linked: the address the provider gave, if any.
    pub linked: Option<Option<String>>,
}

#[component]
pub fn SecurityPage(security: SecurityView) -> impl IntoView {
    let SecurityView {
        viewer,
        mfa,
        notice,
        continue_to,
        state,
        error,
        fresh,
        policy_note,
        can_enable,
        can_disable,
        providers,
        links_locked,
        pending,
    } = security;
    view! {
        <Card title="Account security">
            {notice.map(|n| view! { <Notice message=n /> })}
            {continue_to.map(|(href, name)| view! {
                <p class="-mt-2 mb-5 text-sm"><a id="continue-to" href=href class=LINK_CLASS>{format!("Continue to {name}")}</a></p>
            })}
            {error.map(|e| view! { <Alert message=e /> })}
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                {format!("Signed in as {} ({})", viewer.display_name, viewer.email)}
            </p>
            {pending.map(|(provider, address)| view! { <PendingLink provider address fresh /> })}
            <h2 class="mb-3 text-lg font-semibold text-slate-900 dark:text-white">"Sign-in details"</h2>
            <p class="mb-8 flex flex-wrap gap-x-6 gap-y-2 text-sm">
                <a href="/account/security/password" class=LINK_CLASS>"Change password"</a>
                <a href="/account/security/email" class=LINK_CLASS>"Change email address"</a>
                <a href="/account/email-preferences" class=LINK_CLASS>"Email preferences"</a>
            </p>
            <h2 class="mb-3 text-lg font-semibold text-slate-900 dark:text-white">"MFA"</h2>
            {policy_note.map(|n| view! { <p id="policy-note" class="mb-4 text-sm text-slate-700 dark:text-slate-200">{n}</p> })}
            {match mfa {
                None if !can_enable => ().into_any(),
                None => view! {
                    <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                        "Status: " <strong id="mfa-state">{state.clone()}</strong> ". Protect your account with a code from an authenticator app (Google Authenticator, Microsoft Authenticator, Authy and others)."
                    </p>
                    <StartEnrolmentForm><Submit label="Enable MFA" /></StartEnrolmentForm>
                }
                .into_any(),
                Some(m) => {
                    let low = m.recovery_codes_left <= 3;
                    view! {
                        <dl class="mb-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                            <dt class="text-slate-500 dark:text-slate-400">"Status"</dt>
                            <dd class="text-slate-900 dark:text-white"><strong id="mfa-state">{state.clone()}</strong>{format!(", since {}", m.enabled_since)}</dd>
                            <dt class="text-slate-500 dark:text-slate-400">"Recovery codes left"</dt>
                            <dd class="text-slate-900 dark:text-white">{m.recovery_codes_left}</dd>
                        </dl>
                        {low.then(|| view! {
                            <Alert message=format!("Only {} recovery codes left. Generate a new set and keep it somewhere safe.", m.recovery_codes_left) />
                        })}
                        {(!fresh).then(|| view! {
                            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
                                "Changes below ask for a code first. "
                                <a href=step_up_page(None) class=LINK_CLASS>"Verify now"</a>
                            </p>
                        })}
                        <div class="grid gap-3">
                            <RegenerateCodesForm><Submit label="Generate new recovery codes" class=SECONDARY_BUTTON_CLASS /></RegenerateCodesForm>
                            <StartEnrolmentForm><Submit label="Reset authenticator app" class=SECONDARY_BUTTON_CLASS /></StartEnrolmentForm>
                            {can_disable.then(|| {
                                let codes_left = m.recovery_codes_left;
                                view! {
                                    <ModalDialog>
                                        <a href="/account/security/disable" data-open-dialog class=format!("block text-center {DANGER_BUTTON_CLASS}")>"Disable MFA"</a>
                                        <dialog aria-labelledby="disable-title" aria-describedby="disable-effects" class=DIALOG_CLASS>
                                            <DisableMfaConfirmation codes_left fresh in_dialog=true />
                                        </dialog>
                                    </ModalDialog>
                                }
                            })}
                        </div>
                    }
                    .into_any()
                }
            }}
            {(!providers.is_empty()).then(|| view! { <ProviderList providers fresh locked=links_locked /> })}
        </Card>
    }
}

/// "Link your NAME account?": the provider account this browser signed in with, which nobody is
/// linked to, offered to the person who then proved their Tessera account.
#[component]
fn PendingLink(provider: String, address: Option<String>, fresh: bool) -> impl IntoView {
    let account = address.map(|a| format!(" ({a})")).unwrap_or_default();
    view! {
        <section aria-labelledby="pending-title" class="mb-8 rounded-lg border border-slate-300 p-4 dark:border-slate-600">
            <h2 id="pending-title" class="mb-2 text-lg font-semibold text-slate-900 dark:text-white">{format!("Link your {provider} account?")}</h2>
            <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                {format!("You signed in with {provider}{account}, and no Tessera account is linked to it. Link it to this account to sign in with it from now on; your MFA still applies after it. If that was not you, don't link it.")}
                {(!fresh).then_some(" Linking asks for a code first.")}
            </p>
            <div class="flex flex-wrap gap-3">
                <LinkPendingForm>
                    <button type="submit" class=BUTTON_CLASS data-busy-label="Linking…">{format!("Link {provider}")}</button>
                </LinkPendingForm>
                <ForgetPendingForm>
                    <button type="submit" class=INLINE_SECONDARY_CLASS data-busy-label="Forgetting…">"Don't link"</button>
                </ForgetPendingForm>
            </div>
        </section>
    }
}

/// "Sign-in providers": link one (after a fresh second factor), or unlink it.
#[component]
fn ProviderList(providers: Vec<ProviderRow>, fresh: bool, locked: bool) -> impl IntoView {
    view! {
        <section aria-labelledby="providers-title" class="mt-8">
            <h2 id="providers-title" class="mb-3 text-lg font-semibold text-slate-900 dark:text-white">"Sign-in providers"</h2>
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
                "A linked account signs you in instead of your password. Your MFA still applies after it."
                {(!fresh).then_some(" Linking or unlinking asks for a code first.")}
                {locked.then_some(" Your organisation requires signing in with a provider, so links stay.")}
            </p>
            <ul class="grid gap-3 text-sm">
                {providers.into_iter().map(|p| {
                    let ProviderRow { id, name, linked } = p;
                    match linked {
                        Some(address) => view! {
                            <li class="flex flex-wrap items-center justify-between gap-2">
                                <span class="wrap-anywhere">
                                    <strong class="font-medium text-slate-900 dark:text-white">{name.clone()}</strong>
                                    {format!(": linked{}", address.map(|a| format!(" ({a})")).unwrap_or_default())}
                                </span>
                                {(!locked).then(|| view! {
                                    <UnlinkProviderForm>
                                        <input type="hidden" name="provider" value=id.to_string() />
                                        <button type="submit" class=INLINE_SECONDARY_CLASS data-busy-label="Unlinking…">{format!("Unlink {name}")}</button>
                                    </UnlinkProviderForm>
                                })}
                            </li>
                        }.into_any(),
                        None => view! {
                            <li class="flex flex-wrap items-center justify-between gap-2">
                                <span><strong class="font-medium text-slate-900 dark:text-white">{name.clone()}</strong>": not linked"</span>
                                <a href=format!("/account/security/link/{id}") class=LINK_CLASS>{format!("Link your {name} account")}</a>
                            </li>
                        }.into_any(),
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// "Disable MFA?": what turning it off changes, then "Yes, disable MFA". In the security page's
/// dialog, or as a page of its own without JavaScript.
#[component]
fn DisableMfaConfirmation(codes_left: i64, fresh: bool, in_dialog: bool) -> impl IntoView {
    let title = "Disable MFA?".to_string();
    let codes = match codes_left {
        0 => "you have no recovery codes left, so none are lost;".to_string(),
        1 => "your last recovery code stops working;".to_string(),
        n => format!("your {n} recovery codes stop working;"),
    };
    view! {
        <ConfirmationTitle id="disable-title" title in_dialog />
        <div id="disable-effects" class="mb-6 text-sm text-slate-700 dark:text-slate-200">
            <p class="mb-2">"Your account will be protected by your password alone:"</p>
            <ul class="list-disc pl-5">
                <li>"signing in no longer asks for a code from your authenticator app, and the app's entry for Tessera stops working;"</li>
                <li>{codes}</li>
                <li>"you are signed out on every other device;"</li>
                <li>"we email you that MFA was turned off."</li>
            </ul>
            <p class="mt-2">"You can turn MFA on again at any time, with a new set of recovery codes."</p>
            {(!fresh).then(|| view! { <p class="mt-2">"You will be asked for a code from your authenticator app first."</p> })}
        </div>
        <DisableMfaForm>
            <input type="hidden" name="confirm" value="yes" />
            <div class="flex flex-wrap items-center gap-4">
                <Submit label="Yes, disable MFA" class=INLINE_DANGER_CLASS busy="Disabling…" />
                {if in_dialog {
                    view! { <button type="button" data-close-dialog class=INLINE_SECONDARY_CLASS>"Cancel"</button> }.into_any()
                } else {
                    view! { <a href="/account/security" class=INLINE_SECONDARY_CLASS>"Cancel"</a> }.into_any()
                }}
            </div>
        </DisableMfaForm>
    }
}

/// The Disable MFA confirmation as a page: what "Disable MFA" opens without JavaScript.
#[component]
pub fn DisableMfaPage(codes_left: i64, fresh: bool) -> impl IntoView {
    view! {
        <ConfirmationPage labelled_by="disable-title" described_by="disable-effects">
            <DisableMfaConfirmation codes_left fresh in_dialog=false />
        </ConfirmationPage>
    }
}

#[component]
pub fn EnrolRequiredPage(app_name: Option<String>) -> impl IntoView {
    let why = match app_name {
        Some(app) => format!("{app} requires MFA. Before you continue to {app}, set up an authenticator app (Google Authenticator, Microsoft Authenticator, Authy and others): it takes a minute."),
        None => "Your organisation requires MFA. Before you can continue, set up an authenticator app (Google Authenticator, Microsoft Authenticator, Authy and others): it takes a minute.".to_string(),
    };
    view! {
        <Card title="Set up MFA">
            <p class="mb-4 text-slate-700 dark:text-slate-200">{why}</p>
            <div class="mb-4"><StartEnrolmentForm><Submit label="Set up now" /></StartEnrolmentForm></div>
            <SignOut label="Sign out" />
        </Card>
    }
}

/// The key read out one character at a time: "A B C D, E F G H, ...".
fn spelled(key: &str) -> String {
    key.split(' ')
        .map(|group| group.chars().map(String::from).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Enrolment steps 1 and 2. The QR code and the key are server-rendered HTML outside the island:
/// the secret is never an island prop.
#[component]
pub fn EnrolPage(enrol: EnrolView, error: Option<AppError>) -> impl IntoView {
    let failed = error.is_some();
    let problems = Problems(error);
    let key_label = format!("Setup key: {}", spelled(&enrol.setup_key_grouped));
    view! {
        <Card title="Set up your authenticator app">
            {enrol.resetting.then(|| view! {
                <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                    "Your current authenticator app keeps working until the new one is confirmed below."
                </p>
            })}
            <h2 class="mb-2 font-semibold text-slate-900 dark:text-white">"Step 1: scan the QR code"</h2>
            <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
                "In Google Authenticator, Microsoft Authenticator or Authy, choose “Add account” (or “+”) and scan this code."
            </p>
            <div class="mx-auto mb-4 w-52 rounded-lg bg-white p-2" role="img" aria-label="QR code for your authenticator app" inner_html=enrol.qr_svg></div>
            // A phone cannot scan its own screen: the same key as a link that opens the app.
            <p class="mb-4 text-center text-sm sm:hidden">
                <a id="open-in-app" href=enrol.otpauth_uri.clone() class=LINK_CLASS>"On this phone? Open your authenticator app"</a>
            </p>
            <p id="app-entry" class="mb-4 text-center text-sm text-slate-600 dark:text-slate-300">
                "Your app will list it as " <strong class="font-medium text-slate-900 dark:text-white">{enrol.issuer.clone()}</strong>
                " (" <span class="wrap-anywhere">{enrol.account.clone()}</span> ")."
            </p>
            <p class="mb-1 text-sm text-slate-600 dark:text-slate-300">"Can't scan? Enter this setup key instead (time-based):"</p>
            <div class="mb-6 flex items-center gap-2">
                <code id="setup-key" aria-label=key_label class="block flex-1 wrap-anywhere rounded-lg bg-slate-100 px-3 py-2 text-center font-mono text-base tracking-wider text-slate-900 select-all dark:bg-slate-900 dark:text-white">
                    // Groups never break in the middle, whatever the width.
                    {enrol.setup_key_grouped.split(' ').map(|g| view! { <span class="whitespace-nowrap">{g.to_string()}</span>" " }).collect_view()}
                </code>
                <CopyButton />
            </div>
            <h2 class="mb-2 font-semibold text-slate-900 dark:text-white">"Step 2: enter the code it shows"</h2>
            <EnrolVerifyForm>
                <PageAlert message=problems.alert(false) />
                <CodeInput error=problems.field("code") autofocus=true />
                // Help for a refused code: shown after one, by the page or by the island.
                <p data-after-failure hidden=!failed class="-mt-3 mb-5 text-sm text-slate-600 dark:text-slate-300">
                    "MFA is still off. Codes depend on your phone's clock: if it is right, wait for the next code and enter that."
                </p>
                <Submit label="Verify and turn on" busy="Checking…" />
            </EnrolVerifyForm>
            <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Cancel"</a></p>
        </Card>
    }
}

/// Enrolment step 3 (and regeneration): the recovery codes, shown once. "Done" is a plain link
/// back: it changes nothing.
#[component]
pub fn RecoveryCodesPage(
    codes: Vec<String>,
    regenerated: bool,
    account: String,
    org_name: String,
    continue_to: Option<crate::pages::applications::ContinueTo>,
) -> impl IntoView {
    let text = format!(
        "Tessera recovery codes for {account} in {org_name}\nEach code works once. Keep them somewhere safe.\n\n{}\n",
        codes.join("\n")
    );
    let href = format!("data:text/plain;charset=utf-8,{}", percent_encode(&text));
    // Several accounts' files side by side stay apart: the organisation and the account in the name.
    let slug: String = format!("{org_name}-{account}")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let file = format!("tessera-recovery-codes-{slug}.txt");
    view! {
        <Card title="Save your recovery codes">
            <Notice message=if regenerated {
                "New recovery codes are ready. The old ones no longer work.".to_string()
            } else {
                "MFA is on.".to_string()
            } />
            <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                "If you lose your phone, each of these codes lets you sign in once. They are shown only now: download, print or write them down."
            </p>
            <ol id="recovery-codes" aria-label="Recovery codes" class="mb-3 grid grid-cols-2 gap-2 rounded-lg bg-slate-100 p-4 font-mono text-sm text-slate-900 dark:bg-slate-900 dark:text-white">
                {codes.into_iter().map(|c| view! { <li class="select-all">{c}</li> }).collect_view()}
            </ol>
            <div class="mb-6 flex flex-wrap items-center gap-3">
                <CopyButton />
                <PrintButton />
                <a href=href download=file class=LINK_CLASS>"Download as a text file"</a>
            </div>
            {match continue_to {
                // Enrolment was for an application: "Done" resumes its sign-in.
                Some(to) => view! {
                    <form method="get" action="/oauth2/authorize">
                        {to.params.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value /> }).collect_view()}
                        <SavedCheckbox />
                        <button type="submit" class=BUTTON_CLASS>{format!("Done: continue to {}", to.app_name)}</button>
                    </form>
                }
                .into_any(),
                None => view! {
                    <form method="get" action="/account/security">
                        <input type="hidden" name=if regenerated { "regenerated" } else { "enabled" } value="" />
                        <SavedCheckbox />
                        <button type="submit" class=BUTTON_CLASS>"Done"</button>
                    </form>
                }
                .into_any(),
            }}
        </Card>
    }
}

/// "I have saved these codes": the form goes on only once it is ticked.
#[component]
fn SavedCheckbox() -> impl IntoView {
    view! {
        <div class="mb-5 flex items-start gap-3">
            <input id="saved" type="checkbox" required class="mt-1 h-4 w-4" />
            <label for="saved" class="text-sm text-slate-700 dark:text-slate-200">"I have saved these codes"</label>
        </div>
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Step-up by email, for someone without an authenticator app: where the code goes and whether
/// one is waiting to be typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailStepUp {
    pub email: String,
    pub code_sent: bool,
    /// What went wrong asking for a code (the verify form has its own error).
    pub send_error: Option<AppError>,
}

/// What a step-up confirms, from the page it returns to.
fn step_up_purpose(next: &str) -> &'static str {
    let path = next.split('?').next().unwrap_or_default();
    match path {
        p if p.starts_with("/settings/email") => "to change your organisation's email templates",
        p if p.starts_with("/settings/security") => "to change your organisation's security policy",
        p if p.starts_with("/settings/roles") => "to change roles and their permissions",
        p if p.starts_with("/settings/applications") => "to change your organisation's applications",
        p if p.starts_with("/settings/team/invite") => "to invite someone with an administrative role",
        p if p.starts_with("/settings/team") => "to change a teammate's account",
        "/account/security/password" => "to change your password",
        "/account/security/email" => "to change your email address",
        _ => "to change your sign-in security",
    }
}

#[component]
pub fn StepUpPage(error: Option<AppError>, next: String, by_email: Option<EmailStepUp>) -> impl IntoView {
    let problems = Problems(error);
    let Some(by_email) = by_email else {
        return view! {
            <Card title="Confirm it is you">
                <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                    {format!("Enter a code from your authenticator app, or one of your recovery codes, {}.", step_up_purpose(&next))}
                </p>
                <StepUpForm>
                    <PageAlert message=problems.alert(false) />
                    <input type="hidden" name="next" value=next />
                    <CodeInput
                        label="Code"
                        hint="The 6-digit code from your authenticator app, or one of your recovery codes."
                        error=problems.field("code")
                        autofocus=true
                    />
                    <Submit label="Verify" busy="Checking…" />
                </StepUpForm>
                <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Cancel"</a></p>
            </Card>
        }
        .into_any();
    };
    let send_problems = Problems(by_email.send_error);
    let email = by_email.email;
    let sent = by_email.code_sent;
    let verify_next = next.clone();
    view! {
        <Card title="Confirm it is you">
            <p class="mb-3 text-sm text-slate-700 dark:text-slate-200">
                "This change needs a second proof that it is you. You do not use an authenticator app, so we send a code to "
                <strong class="wrap-anywhere">{email.clone()}</strong> "."
            </p>
            <p class="mb-5 text-sm text-slate-600 dark:text-slate-300">
                "Email codes are weaker than an app: anyone who can read your mailbox could pass. "
                <a href="/account/security" class=LINK_CLASS>"Set up an authenticator app"</a> " for stronger protection."
            </p>
            {sent.then(|| view! {
                <StepUpForm>
                    <Notice message=format!("We sent a code to {email}. It works once, for 10 minutes, in this browser only.") />
                    <PageAlert message=problems.alert(false) />
                    <input type="hidden" name="next" value=verify_next />
                    <CodeInput
                        label="Code from the email"
                        hint="The 6-digit code in the email \"Your one-time code\"."
                        error=problems.field("code")
                        autofocus=true
                    />
                    <Submit label="Verify" busy="Checking…" />
                </StepUpForm>
            })}
            <div class=if sent { "mt-3" } else { "" }>
            <SendEmailCodeForm>
                <PageAlert message=send_problems.alert(false) />
                <input type="hidden" name="next" value=next />
                {if sent {
                    view! { <Submit label="Send a new code" class=SECONDARY_BUTTON_CLASS busy="Sending…" /> }.into_any()
                } else {
                    view! { <Submit label="Email me a code" busy="Sending…" /> }.into_any()
                }}
            </SendEmailCodeForm>
            </div>
            <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Cancel"</a></p>
        </Card>
    }
    .into_any()
}

/// "Change password": after a fresh confirmation, the current password and the new one twice.
#[component]
pub fn ChangePasswordPage(fresh: bool, min_chars: usize, error: Option<AppError>) -> impl IntoView {
    let problems = Problems(error);
    let first = problems.first_field().unwrap_or("current_password");
    view! {
        <Card title="Change password">
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                "Every other session of your account will be signed out, and we will email you that the password changed."
            </p>
            {if fresh {
                view! {
                    <ChangePasswordForm>
                        <PageAlert message=problems.alert(true) />
                        <PasswordInput
                            name="current_password"
                            label="Current password"
                            autocomplete="current-password"
                            error=problems.field("current_password")
                            autofocus=first == "current_password"
                        />
                        <NewPasswordFields min_chars problems=problems.clone() first />
                        <Submit label="Change password" busy="Saving…" />
                    </ChangePasswordForm>
                }
                .into_any()
            } else {
                view! {
                    <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                        "Changing your password needs a fresh confirmation that it is you."
                    </p>
                    <a href=step_up_page(Some("/account/security/password")) class=BUTTON_CLASS>"Confirm it is you"</a>
                }
                .into_any()
            }}
            <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Cancel"</a></p>
        </Card>
    }
}

/// "Your password has expired": the new one twice, before anything else.
#[component]
pub fn ExpiredPasswordPage(min_chars: usize, days: u32, error: Option<AppError>) -> impl IntoView {
    let problems = Problems(error);
    let first = problems.first_field().unwrap_or("password");
    view! {
        <Card title="Your password has expired">
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                {format!("Your organisation asks for a new password every {days} days. Choose one to continue; every other session of your account will be signed out.")}
            </p>
            <ExpiredPasswordForm>
                <PageAlert message=problems.alert(true) />
                <NewPasswordFields min_chars problems=problems.clone() first />
                <Submit label="Set new password" busy="Saving…" />
            </ExpiredPasswordForm>
            <div class="mt-6"><SignOut label="Sign out" /></div>
        </Card>
    }
}

/// "What about your MFA?", once, after a new password (a reset or a change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptView {
    /// The password was changed just now, from this session.
    pub changed: bool,
    pub has_app: bool,
    pub no_thanks: bool,
    pub keep: bool,
    /// Their sign-ins are proven by emailed codes.
    pub by_email: bool,
    pub error: Option<AppError>,
}

#[component]
pub fn PasswordPromptPage(prompt: PromptView) -> impl IntoView {
    let problems = Problems(prompt.error);
    let (why, new_label) = if prompt.has_app {
        (
            "If you set it because someone else may have known your old password, set up new authenticator codes too: \
             whoever had your password may also have seen your authenticator's setup key or your recovery codes.",
            "Set up new authenticator codes",
        )
    } else if prompt.by_email {
        (
            "Your sign-ins ask for a code sent to your email address. An authenticator app is stronger: anyone who can read your mailbox can pass an email code, but only your phone gives an app's code.",
            "Set up an authenticator app",
        )
    } else {
        (
            "A password alone is one step away from a takeover. An authenticator app adds a code only your phone can give.",
            "Set up an authenticator app",
        )
    };
    let no_thanks_label = if prompt.by_email { "Keep using email codes" } else { "No thanks" };
    view! {
        <Card title="Your MFA after a new password">
            {prompt.changed.then(|| view! {
                <Notice message="Your password is changed. Every other session of your account was signed out.".to_string() />
            })}
            <PageAlert message=problems.alert(false) />
            <p class="mb-6 text-sm text-slate-700 dark:text-slate-200">{why}</p>
            <div class="grid gap-3">
                <PasswordPromptForm>
                    <input type="hidden" name="choice" value="new" />
                    <Submit label=new_label busy="Starting…" />
                </PasswordPromptForm>
                {prompt.keep.then(|| view! {
                    <PasswordPromptForm>
                        <input type="hidden" name="choice" value="keep" />
                        <Submit label="Keep my existing codes" class=SECONDARY_BUTTON_CLASS busy="Saving…" />
                    </PasswordPromptForm>
                })}
                {prompt.no_thanks.then(|| view! {
                    <PasswordPromptForm>
                        <input type="hidden" name="choice" value="no-thanks" />
                        <Submit label=no_thanks_label class=SECONDARY_BUTTON_CLASS busy="Saving…" />
                    </PasswordPromptForm>
                })}
            </div>
        </Card>
    }
}

#[cfg(test)]
mod tests {
    use super::step_up_purpose;

    #[test]
    fn step_up_says_what_it_confirms_from_the_page_it_returns_to() {
        assert_eq!(step_up_purpose("/settings/team/invite/list"), "to invite someone with an administrative role");
        assert_eq!(step_up_purpose("/settings/team/invite"), "to invite someone with an administrative role");
        assert_eq!(step_up_purpose("/settings/team/12/reset-mfa"), "to change a teammate's account");
        assert_eq!(
            step_up_purpose("/settings/email/password-reset?draft"),
            "to change your organisation's email templates"
        );
        assert_eq!(step_up_purpose("/account/security"), "to change your sign-in security");
    }
}
