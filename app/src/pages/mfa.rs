//! The MFA pages: the sign-in challenge, account security, the enrolment wizard, recovery codes
//! and step-up. All plain forms; nothing secret is rendered except where the user must see it
//! (the setup key while enrolling, the recovery codes once).

use leptos::prelude::*;

use crate::components::{CopyButton, PrintButton, TextField};
use crate::layout::{
    Alert, Card, Notice, SettingsLinks, Viewer, BUTTON_CLASS, DANGER_BUTTON_CLASS, INPUT_CLASS, LINK_CLASS,
    SECONDARY_BUTTON_CLASS,
};
use crate::pages::auth::SignOut;

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
    pub setup_key_grouped: String,
    pub resetting: bool,
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

/// One input for a six-digit code or a recovery code.
#[component]
fn CodeField(recovery: bool, error: Option<String>) -> impl IntoView {
    let (label, kind_hint) = if recovery {
        ("Recovery code", "Each recovery code works once. Dashes and spaces are fine.")
    } else {
        ("Authentication code", "The 6-digit code from your authenticator app.")
    };
    let invalid = error.as_ref().map(|_| "true");
    let described = if error.is_some() { "code-hint code-error" } else { "code-hint" };
    view! {
        <div class="mb-5">
            <label for="code" class="mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-200">{label}</label>
            <input
                id="code"
                name="code"
                type="text"
                inputmode=if recovery { "text" } else { "numeric" }
                autocomplete="one-time-code"
                autocapitalize="characters"
                spellcheck="false"
                required
                autofocus
                aria-invalid=invalid
                aria-describedby=described
                class=format!("{INPUT_CLASS} font-mono tracking-widest")
            />
            <p id="code-hint" class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">{kind_hint}</p>
            {error.map(|e| view! { <p id="code-error" class="mt-1.5 text-sm text-red-700 dark:text-red-300">{e}</p> })}
        </div>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
pub fn SecurityPage(
    viewer: Viewer,
    mfa: Option<MfaView>,
    notice: Option<String>,
    fresh: bool,
    policy_note: Option<String>,
    can_enable: bool,
    can_disable: bool,
) -> impl IntoView {
    let settings = viewer.settings.clone();
    view! {
        <Card title="Account security">
            {notice.map(|n| view! { <Notice message=n /> })}
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                {format!("Signed in as {} ({})", viewer.display_name, viewer.email)}
            </p>
            <h2 class="mb-3 text-lg font-semibold text-slate-900 dark:text-white">"Two-step verification"</h2>
            {policy_note.map(|n| view! { <p id="policy-note" class="mb-4 text-sm text-slate-700 dark:text-slate-200">{n}</p> })}
            {match mfa {
                None if !can_enable => ().into_any(),
                None => view! {
                    <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                        "Status: " <strong>"Off"</strong> ". Protect your account with a code from an authenticator app (Google Authenticator, Microsoft Authenticator, Authy and others)."
                    </p>
                    <form method="post" action="/account/security/mfa/start">
                        <button type="submit" class=BUTTON_CLASS>"Enable MFA"</button>
                    </form>
                }
                .into_any(),
                Some(m) => {
                    let low = m.recovery_codes_left <= 3;
                    view! {
                        <dl class="mb-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                            <dt class="text-slate-500 dark:text-slate-400">"Status"</dt>
                            <dd class="text-slate-900 dark:text-white"><strong>"On"</strong>{format!(" since {}", m.enabled_since)}</dd>
                            <dt class="text-slate-500 dark:text-slate-400">"Recovery codes left"</dt>
                            <dd class="text-slate-900 dark:text-white">{m.recovery_codes_left}</dd>
                        </dl>
                        {low.then(|| view! {
                            <Alert message=format!("Only {} recovery codes left. Generate a new set and keep it somewhere safe.", m.recovery_codes_left) />
                        })}
                        {(!fresh).then(|| view! {
                            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
                                "Changes below ask for a code first. "
                                <a href="/account/security/verify" class=LINK_CLASS>"Verify now"</a>
                            </p>
                        })}
                        <div class="grid gap-3">
                            <form method="post" action="/account/security/recovery-codes">
                                <button type="submit" class=SECONDARY_BUTTON_CLASS>"Generate new recovery codes"</button>
                            </form>
                            <form method="post" action="/account/security/mfa/reset">
                                <button type="submit" class=SECONDARY_BUTTON_CLASS>"Reset authenticator app"</button>
                            </form>
                            {can_disable.then(|| view! {
                                <form method="post" action="/account/security/mfa/disable">
                                    <button type="submit" class=DANGER_BUTTON_CLASS>"Disable MFA"</button>
                                </form>
                            })}
                        </div>
                    }
                    .into_any()
                }
            }}
            <div class="mt-8"><SettingsLinks links=settings /></div>
            <p class="mt-4"><a href="/" class=LINK_CLASS>"Back to home"</a></p>
        </Card>
    }
}

#[component]
pub fn EnrolRequiredPage() -> impl IntoView {
    view! {
        <Card title="Set up two-step verification">
            <p class="mb-4 text-slate-700 dark:text-slate-200">
                "Your organisation requires two-step verification. Before you can continue, set up an authenticator app (Google Authenticator, Microsoft Authenticator, Authy and others): it takes a minute."
            </p>
            <form method="post" action="/account/security/mfa/start" class="mb-4">
                <button type="submit" class=BUTTON_CLASS>"Set up now"</button>
            </form>
            <SignOut label="Sign out" />
        </Card>
    }
}

#[component]
pub fn PolicyPage(
    policy: String,
    healthcare: bool,
    grace_until: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    hours: HoursView,
) -> impl IntoView {
    let HoursView { start, end, offset, offsets } = hours;
    let offsets = offsets.into_iter().map(move |(minutes, label)| {
        let selected = minutes == offset;
        view! { <option value=minutes selected=selected>{label}</option> }
    });
    let options = [
        ("hidden", "Hidden", "Two-step verification is not offered. People who already use it keep using it."),
        ("visible", "Visible", "Each person chooses whether to use two-step verification."),
        ("required", "Required (recommended)", "Everyone must use two-step verification at every sign-in."),
    ];
    view! {
        <Card title="Security policy">
            {notice.map(|n| view! { <Notice message=n /> })}
            {error.map(|e| view! { <Alert message=e /> })}
            <form method="post" action="/settings/security">
                <fieldset class="mb-5">
                    <legend class="mb-2 text-sm font-medium text-slate-700 dark:text-slate-200">"Two-step verification"</legend>
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
                        <p class="text-sm text-slate-700 dark:text-slate-200">"Healthcare organisations must require two-step verification."</p>
                    })}
                </fieldset>
                <TextField name="grace_days" label="Grace period in days (optional, for Required)" kind="number" optional=true error=None />
                {grace_until.map(|g| view! {
                    <p class="-mt-3 mb-5 text-sm text-slate-500 dark:text-slate-400">{format!("Current grace period ends {g}.")}</p>
                })}
                <button type="submit" class=BUTTON_CLASS>"Save policy"</button>
            </form>
            <h2 class="mb-2 mt-10 text-lg font-semibold text-slate-900 dark:text-white">"Business hours"</h2>
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
                "Monday to Friday. The activity log shows times at your organisation and flags MFA resets outside these hours."
            </p>
            <form method="post" action="/settings/security/hours">
                <div class="grid grid-cols-2 gap-x-4">
                    <TextField name="start" label="Opens" kind="time" value=start error=None />
                    <TextField name="end" label="Closes" kind="time" value=end error=None />
                </div>
                <div class="mb-5">
                    <label for="offset" class="mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-200">"Time zone (offset from UTC)"</label>
                    <select id="offset" name="offset" class=INPUT_CLASS>{offsets.collect_view()}</select>
                </div>
                <button type="submit" class=BUTTON_CLASS>"Save business hours"</button>
            </form>
            <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Back to account security"</a></p>
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

#[component]
pub fn EnrolPage(enrol: EnrolView, error: Option<String>) -> impl IntoView {
    let key_label = format!("Setup key: {}", spelled(&enrol.setup_key_grouped));
    view! {
        <Card title="Set up your authenticator app">
            {error.clone().map(|e| view! { <Alert message=e /> })}
            {enrol.resetting.then(|| view! {
                <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                    "Your current authenticator keeps working until the new one is confirmed below."
                </p>
            })}
            <h2 class="mb-2 font-semibold text-slate-900 dark:text-white">"Step 1: scan the QR code"</h2>
            <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
                "In Google Authenticator, Microsoft Authenticator or Authy, choose “Add account” (or “+”) and scan this code."
            </p>
            <div class="mx-auto mb-4 w-52 rounded-lg bg-white p-2" role="img" aria-label="QR code for your authenticator app" inner_html=enrol.qr_svg></div>
            <p class="mb-1 text-sm text-slate-600 dark:text-slate-300">"Can't scan? Enter this setup key instead (time-based):"</p>
            <div class="mb-6 flex items-center gap-2">
                <code id="setup-key" aria-label=key_label class="block flex-1 rounded-lg bg-slate-100 px-3 py-2 text-center font-mono text-base tracking-wider text-slate-900 select-all dark:bg-slate-900 dark:text-white">
                    {enrol.setup_key_grouped.clone()}
                </code>
                <CopyButton />
            </div>
            <h2 class="mb-2 font-semibold text-slate-900 dark:text-white">"Step 2: enter the code it shows"</h2>
            <form method="post" action="/account/security/mfa/confirm">
                <CodeField recovery=false error=None />
                <button type="submit" class=BUTTON_CLASS>"Verify and turn on"</button>
            </form>
            <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Cancel"</a></p>
        </Card>
    }
}

#[component]
pub fn RecoveryCodesPage(codes: Vec<String>, regenerated: bool) -> impl IntoView {
    let text =
        format!("Tessera recovery codes\nEach code works once. Keep them somewhere safe.\n\n{}\n", codes.join("\n"));
    let href = format!("data:text/plain;charset=utf-8,{}", percent_encode(&text));
    view! {
        <Card title="Save your recovery codes">
            <Notice message=if regenerated {
                "New recovery codes are ready. The old ones no longer work.".to_string()
            } else {
                "Two-step verification is on.".to_string()
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
                <a href=href download="tessera-recovery-codes.txt" class=LINK_CLASS>"Download as a text file"</a>
            </div>
            <form method="post" action="/account/security/mfa/finish">
                <input type="hidden" name="then" value=if regenerated { "regenerated" } else { "enabled" } />
                <div class="mb-5 flex items-start gap-3">
                    <input id="saved" name="saved" type="checkbox" value="yes" required class="mt-1 h-4 w-4" />
                    <label for="saved" class="text-sm text-slate-700 dark:text-slate-200">"I have saved these codes"</label>
                </div>
                <button type="submit" class=BUTTON_CLASS>"Done"</button>
            </form>
        </Card>
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

#[component]
pub fn StepUpPage(error: Option<String>, next: String) -> impl IntoView {
    view! {
        <Card title="Confirm it is you">
            {error.clone().map(|e| view! { <Alert message=e /> })}
            <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                "Enter a code from your authenticator app, or one of your recovery codes, to change your sign-in security."
            </p>
            <form method="post" action="/account/security/verify">
                <input type="hidden" name="next" value=next />
                <TextField name="code" label="Code" autocomplete="one-time-code" autofocus=true error=None />
                <button type="submit" class=BUTTON_CLASS>"Verify"</button>
            </form>
            <p class="mt-6"><a href="/account/security" class=LINK_CLASS>"Cancel"</a></p>
        </Card>
    }
}
