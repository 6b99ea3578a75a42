//! One value per page: the HTTP layer decides which page to show and with what, the components
//! here only lay it out. Nothing secret is ever part of a page value.

use leptos::prelude::*;

use crate::components::{Alert, Card, Notice, PasswordField, TextField, BUTTON_CLASS};

/// Who is signed in, as far as a page needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub display_name: String,
    pub email: String,
    pub org_name: String,
    pub role_label: String,
    /// (href, label) of the settings pages this person's role opens.
    pub settings: Vec<(String, String)>,
}

/// Links to the settings pages a viewer may use.
#[component]
pub fn SettingsLinks(links: Vec<(String, String)>) -> impl IntoView {
    (!links.is_empty()).then(|| {
        view! {
            <nav aria-label="Organisation settings" class="mb-6">
                <h2 class="mb-2 text-sm font-semibold text-slate-700 dark:text-slate-200">"Organisation settings"</h2>
                <ul class="space-y-1">
                    {links
                        .into_iter()
                        .map(|(href, label)| view! {
                            <li><a href=href class="font-medium text-indigo-700 underline dark:text-indigo-300">{label}</a></li>
                        })
                        .collect_view()}
                </ul>
            </nav>
        }
    })
}

/// What was typed into the setup form (never the password) and what was wrong with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupValues {
    pub org_name: String,
    pub org_kind: String,
    pub display_name: String,
    pub email: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Errors(pub Vec<(String, String)>);

impl Errors {
    pub fn get(&self, field: &str) -> Option<String> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Login {
        email: String,
        error: Option<String>,
        notice: Option<String>,
    },
    LoginPassword {
        email: String,
        error: Option<String>,
    },
    Home {
        viewer: Viewer,
        /// The grace-period reminder, when the organisation requires MFA and this user has none.
        banner: Option<String>,
    },
    Setup {
        token: String,
        values: SetupValues,
        errors: Errors,
        alert: Option<String>,
    },
    SetPassword {
        token: String,
        error: Option<String>,
    },
    /// The second step of sign-in for accounts with MFA.
    MfaChallenge {
        recovery: bool,
        error: Option<String>,
    },
    /// Account security: MFA status and what can be done with it.
    Security {
        viewer: Viewer,
        mfa: Option<crate::security::MfaView>,
        notice: Option<String>,
        fresh: bool,
        /// What the organisation's policy means here, in words.
        policy_note: Option<String>,
        can_enable: bool,
        can_disable: bool,
    },
    /// The organisation requires MFA and this user has none: the only page they can reach.
    EnrolRequired,
    /// Settings -> Activity log.
    ActivityLog {
        log: crate::activity::LogView,
    },
    /// Settings -> Security: the organisation's MFA policy (owners).
    Policy {
        policy: String,
        healthcare: bool,
        grace_until: Option<String>,
        error: Option<String>,
        notice: Option<String>,
        hours: crate::security::HoursView,
    },
    /// Enrolment steps 1 and 2: scan (or type) the key, then prove it with a code.
    Enrol {
        enrol: crate::security::EnrolView,
        error: Option<String>,
    },
    /// Enrolment step 3 (and regeneration): the recovery codes, shown once.
    RecoveryCodes {
        codes: Vec<String>,
        regenerated: bool,
    },
    /// A fresh second factor before a sensitive change; `next` is where to go after.
    StepUp {
        error: Option<String>,
        next: String,
    },
    /// Settings -> Team.
    Team {
        team: crate::team::TeamView,
    },
    /// A member's page in Settings -> Team.
    Member {
        member: crate::team::MemberView,
    },
    /// "Reset MFA for NAME?"
    ResetMfa {
        reset: crate::team::ResetView,
    },
    Invite {
        invite: crate::team::InviteView,
    },
    /// Settings -> Roles & permissions.
    Roles {
        roles: crate::roles::RolesView,
    },
    /// A setup or set-password link that is unknown, used or expired.
    LinkInvalid,
    /// Anything that is not a page, or a request Tessera cannot serve right now.
    Message {
        title: &'static str,
        message: String,
    },
}

impl Page {
    pub fn title(&self) -> &'static str {
        match self {
            Page::Login { .. } => "Sign in",
            Page::LoginPassword { .. } => "Enter your password",
            Page::Home { .. } => "Home",
            Page::Setup { .. } => "Set up Tessera",
            Page::SetPassword { .. } => "Choose your password",
            Page::MfaChallenge { .. } => "Two-step verification",
            Page::Security { .. } => "Account security",
            Page::EnrolRequired => "Set up two-step verification",
            Page::ActivityLog { .. } => "Activity log",
            Page::Policy { .. } => "Security policy",
            Page::Enrol { .. } => "Set up your authenticator app",
            Page::RecoveryCodes { .. } => "Save your recovery codes",
            Page::StepUp { .. } => "Confirm it is you",
            Page::Team { .. } => "Team",
            Page::Member { .. } => "Team member",
            Page::ResetMfa { .. } => "Reset MFA",
            Page::Invite { .. } => "Invite a member",
            Page::Roles { .. } => "Roles & permissions",
            Page::LinkInvalid => "Link no longer valid",
            Page::Message { title, .. } => title,
        }
    }
}

#[component]
pub fn PageView(page: Page) -> impl IntoView {
    match page {
        Page::Login { email, error, notice } => view! { <LoginPage email error notice /> }.into_any(),
        Page::LoginPassword { email, error } => view! { <LoginPasswordPage email error /> }.into_any(),
        Page::Home { viewer, banner } => view! { <HomePage viewer banner /> }.into_any(),
        Page::Setup { token, values, errors, alert } => view! { <SetupPage token values errors alert /> }.into_any(),
        Page::SetPassword { token, error } => view! { <SetPasswordPage token error /> }.into_any(),
        Page::MfaChallenge { recovery, error } => {
            view! { <crate::security::ChallengePage recovery error /> }.into_any()
        }
        Page::Security { viewer, mfa, notice, fresh, policy_note, can_enable, can_disable } => view! {
            <crate::security::SecurityPage viewer mfa notice fresh policy_note can_enable can_disable />
        }
        .into_any(),
        Page::EnrolRequired => view! { <crate::security::EnrolRequiredPage /> }.into_any(),
        Page::ActivityLog { log } => view! { <crate::activity::ActivityLogPage log /> }.into_any(),
        Page::Policy { policy, healthcare, grace_until, error, notice, hours } => {
            view! { <crate::security::PolicyPage policy healthcare grace_until error notice hours /> }.into_any()
        }
        Page::Enrol { enrol, error } => view! { <crate::security::EnrolPage enrol error /> }.into_any(),
        Page::RecoveryCodes { codes, regenerated } => {
            view! { <crate::security::RecoveryCodesPage codes regenerated /> }.into_any()
        }
        Page::StepUp { error, next } => view! { <crate::security::StepUpPage error next /> }.into_any(),
        Page::Team { team } => view! { <crate::team::TeamPage team /> }.into_any(),
        Page::Member { member } => view! { <crate::team::MemberPage member /> }.into_any(),
        Page::ResetMfa { reset } => view! { <crate::team::ResetMfaPage reset /> }.into_any(),
        Page::Invite { invite } => view! { <crate::team::InvitePage invite /> }.into_any(),
        Page::Roles { roles } => view! { <crate::roles::RolesPage roles /> }.into_any(),
        Page::LinkInvalid => view! {
            <Card title="Link no longer valid">
                <div role="alert" class="text-slate-700 dark:text-slate-200">
                    <p class="mb-4">"This link has expired, was already used, or is not complete."</p>
                    <p class="mb-6">"Ask whoever sent it for a new one, or sign in if you already have an account."</p>
                </div>
                <a href="/login" class="font-medium text-indigo-700 underline dark:text-indigo-300">"Go to sign-in"</a>
            </Card>
        }
        .into_any(),
        Page::Message { title, message } => view! {
            <Card title=title>
                <p class="mb-6 text-slate-700 dark:text-slate-200">{message}</p>
                <a href="/" class="font-medium text-indigo-700 underline dark:text-indigo-300">"Go to Tessera"</a>
            </Card>
        }
        .into_any(),
    }
}

#[component]
fn LoginPage(email: String, error: Option<String>, notice: Option<String>) -> impl IntoView {
    view! {
        <Card title="Sign in">
            {notice.map(|n| view! { <Notice message=n /> })}
            <form method="post" action="/login" novalidate>
                <TextField name="email" label="Email" kind="email" autocomplete="username" value=email error=error autofocus=true />
                <button type="submit" class=BUTTON_CLASS>"Continue"</button>
            </form>
        </Card>
    }
}

#[component]
fn LoginPasswordPage(email: String, error: Option<String>) -> impl IntoView {
    view! {
        <Card title="Enter your password">
            {error.clone().map(|e| view! { <Alert message=e /> })}
            <p class="mb-5 flex flex-wrap items-baseline justify-between gap-2 text-sm text-slate-600 dark:text-slate-300">
                <span>"Signing in as " <strong class="font-medium text-slate-900 dark:text-white">{email.clone()}</strong></span>
                <a href="/login" class="font-medium text-indigo-700 underline dark:text-indigo-300">"Use a different email"</a>
            </p>
            <form method="post" action="/login/password">
                // For password managers: the account this password belongs to.
                <input type="email" name="username" value=email autocomplete="username" hidden readonly tabindex="-1" aria-hidden="true" />
                <PasswordField name="password" label="Password" autocomplete="current-password" autofocus=true />
                <button type="submit" class=BUTTON_CLASS>"Sign in"</button>
            </form>
        </Card>
    }
}

#[component]
fn HomePage(viewer: Viewer, banner: Option<String>) -> impl IntoView {
    view! {
        <Card title="Home">
            {banner.map(|b| view! {
                <div role="status" class="mb-5 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
                    {b} " " <a href="/account/security" class="font-medium underline">"Set it up now"</a>
                </div>
            })}
            <h2 class="mb-4 text-xl font-semibold text-slate-900 dark:text-white">{format!("Welcome, {}", viewer.display_name)}</h2>
            <dl class="mb-6 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                <dt class="text-slate-500 dark:text-slate-400">"Signed in as"</dt>
                <dd class="text-slate-900 dark:text-white">{viewer.email}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Organisation"</dt>
                <dd class="text-slate-900 dark:text-white">{viewer.org_name}</dd>
                <dt class="text-slate-500 dark:text-slate-400">"Role"</dt>
                <dd class="text-slate-900 dark:text-white">{viewer.role_label}</dd>
            </dl>
            <SettingsLinks links=viewer.settings />
            <p class="mb-6">
                <a href="/account/security" class="font-medium text-indigo-700 underline dark:text-indigo-300">
                    "Account security and two-step verification"
                </a>
            </p>
            <form method="post" action="/logout">
                <button type="submit" class=BUTTON_CLASS>"Sign out"</button>
            </form>
        </Card>
    }
}

#[component]
fn SetupPage(token: String, values: SetupValues, errors: Errors, alert: Option<String>) -> impl IntoView {
    let kind = values.org_kind.clone();
    let kind_error = errors.get("org_kind");
    // After a failed submit, focus goes to the first field with a problem.
    let first_error = errors.0.first().map(|(f, _)| f.clone()).unwrap_or_else(|| "org_name".into());
    let focus = move |field: &str| first_error == field;
    view! {
        <Card title="Set up Tessera">
            {alert.map(|a| view! { <Alert message=a /> })}
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                "Create your organisation and its owner account. This link works once."
            </p>
            <form method="post" action="/setup" novalidate>
                <input type="hidden" name="token" value=token />
                <TextField name="org_name" label="Organisation name" autocomplete="organization" value=values.org_name error=errors.get("org_name") autofocus=focus("org_name") />
                <div class="mb-5">
                    <label for="org_kind" class="mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-200">"Organisation type"</label>
                    <select
                        id="org_kind"
                        name="org_kind"
                        aria-invalid=kind_error.as_ref().map(|_| "true")
                        aria-describedby="org_kind-hint"
                        class=crate::components::INPUT_CLASS
                    >
                        <option value="standard" selected=kind != "healthcare">"Standard"</option>
                        <option value="healthcare" selected=kind == "healthcare">"Healthcare"</option>
                    </select>
                    <p id="org_kind-hint" class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">
                        "Healthcare organisations always require multi-factor authentication."
                    </p>
                    <crate::components::FieldError id="org_kind-error".to_string() error=kind_error />
                </div>
                <TextField name="display_name" label="Your name" autocomplete="name" value=values.display_name error=errors.get("display_name") autofocus=focus("display_name") />
                <TextField name="email" label="Email" kind="email" autocomplete="email" value=values.email error=errors.get("email") autofocus=focus("email") />
                <PasswordField
                    name="password"
                    label="Password"
                    autocomplete="new-password"
                    error=errors.get("password")
                    autofocus=focus("password")
                    hint=Some("At least 15 characters (8 for healthcare organisations, which require two-step verification). A few unrelated words work well.")
                />
                <button type="submit" class=BUTTON_CLASS>"Create organisation"</button>
            </form>
        </Card>
    }
}

#[component]
fn SetPasswordPage(token: String, error: Option<String>) -> impl IntoView {
    view! {
        <Card title="Choose your password">
            <form method="post" action="/set-password" novalidate>
                <input type="hidden" name="token" value=token />
                <PasswordField
                    name="password"
                    label="New password"
                    autocomplete="new-password"
                    error=error
                    hint=Some("A few unrelated words make a strong, memorable password.")
                    autofocus=true
                />
                <button type="submit" class=BUTTON_CLASS>"Set password"</button>
            </form>
        </Card>
    }
}
