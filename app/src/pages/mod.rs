//! One value per page: the HTTP layer decides which page to show and with what, the components
//! here lay it out. Nothing secret is ever part of a page value that becomes an island prop.

pub mod account;
pub mod activity;
pub mod application_settings;
pub mod applications;
pub mod auth;
pub mod email;
pub mod home;
pub mod mfa;
pub mod policy;
pub mod preferences;
pub mod roles;
pub mod sign_in_methods;
pub mod team;

use leptos::prelude::*;

use crate::classes::LINK_CLASS;
use crate::error::AppError;
use crate::layout::Card;
use auth::SetupValues;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Login {
        email: String,
        /// The page to return to after signing in (already checked to be one of ours).
        next: Option<String>,
        /// The application the person is signing in to, if any.
        app_name: Option<String>,
        error: Option<AppError>,
        notice: Option<String>,
        /// "Sign in with NAME": (href, name) of each provider.
        providers: Vec<(String, String)>,
        /// Why the last try at a provider went wrong.
        provider_error: Option<String>,
    },
    LoginPassword {
        email: String,
        /// The application the person is signing in to, if any.
        app_name: Option<String>,
        /// The first step again, with where the person was going.
        different_email: String,
        error: Option<AppError>,
    },
    /// The right password for a disabled account.
    AccountDisabled {
        email: String,
        org_name: String,
        /// The application the person was signing in to, and the way back to it.
        application: Option<(String, String)>,
    },
    Home {
        home: home::HomeView,
    },
    Setup {
        token: String,
        values: SetupValues,
        error: Option<AppError>,
    },
    SetPassword {
        token: String,
        /// Whose account, in which organisation, and the password's minimum length.
        email: String,
        org_name: String,
        min_chars: usize,
        error: Option<AppError>,
    },
    /// "Forgot your password?": the address to send a reset link to.
    ForgotPassword {
        email: String,
        error: Option<AppError>,
    },
    /// The same answer for every address asked for.
    ForgotPasswordSent,
    /// The reset link's form: the address it went to, the new password twice.
    ResetPassword {
        token: String,
        email: String,
        min_chars: usize,
        error: Option<AppError>,
    },
    /// A reset link that is unknown, used, replaced or expired.
    ResetLinkInvalid,
    /// An invitation link that ran out of time: whom to ask (name, email) for a new one.
    InvitationExpired {
        org_name: String,
        ask: Option<(String, String)>,
    },
    /// The second step of sign-in, for accounts with MFA and where email codes stand in for it.
    MfaChallenge {
        challenge: auth::ChallengeView,
    },
    /// Account security: MFA status and what can be done with it.
    Security {
        security: mfa::SecurityView,
    },
    /// After a new password: keep the authenticator, set up a new one, or (where allowed) nothing.
    PasswordPrompt {
        prompt: mfa::PromptView,
    },
    /// Account security -> Change password.
    /// The password expired: a new one before anything else.
    ExpiredPassword {
        min_chars: usize,
        days: u32,
        error: Option<AppError>,
    },
    /// Account security -> Change email address.
    ChangeEmail {
        view: account::ChangeEmailView,
    },
    /// What a link to confirm a new email address opens.
    ConfirmEmail {
        token: String,
        new_email: String,
        error: Option<AppError>,
    },
    /// A link to confirm a new email address that no longer works.
    EmailLinkInvalid,
    ChangePassword {
        fresh: bool,
        min_chars: usize,
        error: Option<AppError>,
    },
    /// "Disable MFA?" without JavaScript.
    DisableMfa {
        codes_left: i64,
        fresh: bool,
    },
    /// The organisation requires MFA and this user has none: the only page they can reach.
    EnrolRequired {
        /// The application that requires MFA, where it is one rather than the organisation.
        app_name: Option<String>,
    },
    /// Settings -> Activity log.
    ActivityLog {
        log: activity::LogView,
    },
    /// Settings -> Security: the organisation's MFA policy (owners).
    Policy {
        view: policy::PolicyView,
    },
    /// "Require MFA for everyone?" with whom it affects.
    RequirePolicy {
        view: policy::RequireView,
    },
    /// "Change who may use email codes?" with whom it moves.
    EmailCodesChange {
        view: policy::EmailCodesChangeView,
    },
    /// Enrolment steps 1 and 2: scan (or type) the key, then prove it with a code.
    Enrol {
        enrol: mfa::EnrolView,
        error: Option<AppError>,
    },
    /// Enrolment step 3 (and regeneration): the recovery codes, shown once.
    RecoveryCodes {
        codes: Vec<String>,
        regenerated: bool,
        /// Whose codes, and in which organisation: named in the download.
        account: String,
        org_name: String,
        /// An application's request that enrolment was for, resumed by "Done".
        continue_to: Option<applications::ContinueTo>,
    },
    /// A fresh second factor before a sensitive change; `next` is where to go after.
    StepUp {
        error: Option<AppError>,
        next: String,
        /// For someone without an authenticator app: the code comes by email.
        by_email: Option<mfa::EmailStepUp>,
    },
    /// Settings -> Team.
    Team {
        team: team::TeamView,
    },
    /// A member's page in Settings -> Team.
    Member {
        // Boxed: the largest page value by far.
        member: Box<team::MemberView>,
    },
    /// "Reset MFA for NAME?"
    ResetMfa {
        reset: team::ResetView,
    },
    /// A temporary access code, shown once to the administrator who issued it.
    AccessCode {
        view: team::AccessCodeView,
    },
    Invite {
        invite: team::InviteView,
    },
    InviteList {
        invite: team::InviteListView,
    },
    /// Settings -> Roles & permissions.
    Roles {
        roles: roles::RolesView,
    },
    /// Account -> Email preferences.
    EmailPreferences {
        view: preferences::PreferencesView,
    },
    /// What an unsubscribe link opens.
    Unsubscribe {
        view: preferences::UnsubscribeView,
    },
    /// Settings -> Email templates.
    EmailTemplates {
        view: email::TemplatesView,
    },
    /// One mail's template.
    EmailTemplate {
        view: email::EditorView,
    },
    /// The versions saved of one mail's template.
    EmailTemplateVersions {
        view: email::VersionsView,
    },
    /// A setup or set-password link that is unknown, used or expired.
    LinkInvalid,
    /// A form's address opened as a page (a reload after a form failed without JavaScript):
    /// nothing to show, and the way back to the form.
    FormAddress {
        back: String,
    },
    /// Anything that is not a page, or a request Tessera cannot serve right now.
    Message {
        title: &'static str,
        message: String,
    },
    /// Signing in to one of the organisation's applications.
    Application {
        view: applications::AppView,
    },
    /// Settings -> Applications.
    Applications {
        view: application_settings::ApplicationsView,
    },
    /// One of the organisation's applications, in Settings.
    RegisteredApplication {
        view: Box<application_settings::ApplicationView>,
    },
    /// Settings -> Security policy -> Sign-in methods.
    SignInMethods {
        view: sign_in_methods::SignInMethodsView,
    },
}

impl Page {
    pub fn title(&self) -> &'static str {
        match self {
            Page::Login { .. } => "Sign in",
            Page::LoginPassword { .. } => "Enter your password",
            Page::AccountDisabled { .. } => "Your account is disabled",
            Page::Home { .. } => "Home",
            Page::Setup { .. } => "Set up Tessera",
            Page::SetPassword { .. } => "Choose your password",
            Page::ForgotPassword { .. } => "Reset your password",
            Page::ForgotPasswordSent => "Check your email",
            Page::ResetPassword { .. } => "Choose a new password",
            Page::ResetLinkInvalid => "Reset link no longer valid",
            Page::MfaChallenge { .. } => "MFA: enter your code",
            Page::Security { .. } => "Account security",
            Page::DisableMfa { .. } => "Disable MFA",
            Page::ChangePassword { .. } => "Change password",
            Page::ChangeEmail { .. } => "Change email address",
            Page::ExpiredPassword { .. } => "Your password has expired",
            Page::ConfirmEmail { .. } => "Confirm your new email address",
            Page::EmailLinkInvalid => "Confirmation link no longer valid",
            Page::PasswordPrompt { .. } => "Your MFA after a new password",
            Page::EnrolRequired { .. } => "Set up MFA",
            Page::ActivityLog { .. } => "Activity log",
            Page::Policy { .. } => "Security policy",
            Page::RequirePolicy { .. } => "Require MFA",
            Page::EmailCodesChange { .. } => "Change who may use email codes",
            Page::Enrol { .. } => "Set up your authenticator app",
            Page::RecoveryCodes { .. } => "Save your recovery codes",
            Page::StepUp { .. } => "Confirm it is you",
            Page::Team { .. } => "Team",
            Page::Member { .. } => "Team member",
            Page::ResetMfa { .. } => "Reset MFA",
            Page::AccessCode { .. } => "Temporary access code",
            Page::Invite { .. } => "Invite a member",
            Page::InviteList { .. } => "Invite several people",
            Page::Roles { .. } => "Roles & permissions",
            Page::EmailTemplates { .. } => "Email templates",
            Page::EmailPreferences { .. } => "Email preferences",
            Page::Unsubscribe { .. } => "Unsubscribe",
            Page::EmailTemplate { .. } => "Email template",
            Page::EmailTemplateVersions { .. } => "Email template versions",
            Page::LinkInvalid => "Link no longer valid",
            Page::FormAddress { .. } => "Nothing to show here",
            Page::InvitationExpired { .. } => "Invitation expired",
            Page::Message { title, .. } => title,
            Page::Application { view } => view.title(),
            Page::Applications { .. } => "Applications",
            Page::RegisteredApplication { .. } => "Application",
            Page::SignInMethods { .. } => "Sign-in methods",
        }
    }
}

impl Page {
    /// The href of the frame's navigation entry this page belongs to, marked as current there.
    pub fn section(&self) -> Option<&'static str> {
        match self {
            Page::Home { .. } => Some("/"),
            Page::Team { .. }
            | Page::Member { .. }
            | Page::ResetMfa { .. }
            | Page::AccessCode { .. }
            | Page::Invite { .. }
            | Page::InviteList { .. } => Some("/settings/team"),
            Page::Roles { .. } => Some("/settings/roles"),
            Page::EmailTemplates { .. } | Page::EmailTemplate { .. } | Page::EmailTemplateVersions { .. } => {
                Some("/settings/email")
            }
            Page::Policy { .. }
            | Page::RequirePolicy { .. }
            | Page::EmailCodesChange { .. }
            | Page::SignInMethods { .. } => Some("/settings/security"),
            Page::ActivityLog { .. } => Some("/settings/activity"),
            Page::Applications { .. } | Page::RegisteredApplication { .. } => Some("/settings/applications"),
            Page::Security { .. }
            | Page::EmailPreferences { .. }
            | Page::ChangePassword { .. }
            | Page::ChangeEmail { .. }
            | Page::PasswordPrompt { .. }
            | Page::DisableMfa { .. }
            | Page::Enrol { .. }
            | Page::RecoveryCodes { .. }
            | Page::StepUp { .. }
            | Page::EnrolRequired { .. } => Some("/account/security"),
            _ => None,
        }
    }

    /// Pages of signing in and of one-time links never sit in the signed-in frame, whoever
    /// opens them.
    pub fn framed(&self) -> bool {
        !matches!(
            self,
            Page::Login { .. }
                | Page::LoginPassword { .. }
                | Page::AccountDisabled { .. }
                | Page::Setup { .. }
                | Page::SetPassword { .. }
                | Page::ForgotPassword { .. }
                | Page::ForgotPasswordSent
                | Page::ResetPassword { .. }
                | Page::ResetLinkInvalid
                | Page::ConfirmEmail { .. }
                | Page::EmailLinkInvalid
                | Page::Unsubscribe { .. }
                | Page::MfaChallenge { .. }
                | Page::LinkInvalid
                | Page::InvitationExpired { .. }
                | Page::Application { .. }
        )
    }
}

#[component]
pub fn PageView(page: Page) -> impl IntoView {
    match page {
        Page::Login { email, next, app_name, error, notice, providers, provider_error } => {
            view! { <auth::LoginPage email next app_name error notice providers provider_error /> }.into_any()
        }
        Page::AccountDisabled { email, org_name, application } => {
            view! { <auth::AccountDisabledPage email org_name application /> }.into_any()
        }
        Page::LoginPassword { email, app_name, different_email, error } => {
            view! { <auth::LoginPasswordPage email app_name different_email error /> }.into_any()
        }
        Page::Application { view } => view! { <applications::ApplicationPage view /> }.into_any(),
        Page::Applications { view } => view! { <application_settings::ApplicationsPage view /> }.into_any(),
        Page::SignInMethods { view } => view! { <sign_in_methods::SignInMethodsPage view /> }.into_any(),
        Page::RegisteredApplication { view } => {
            view! { <application_settings::ApplicationPage view=*view /> }.into_any()
        }
        Page::Home { home } => view! { <home::HomePage home /> }.into_any(),
        Page::Setup { token, values, error } => view! { <auth::SetupPage token values error /> }.into_any(),
        Page::SetPassword { token, email, org_name, min_chars, error } => {
            view! { <auth::SetPasswordPage token email org_name min_chars error /> }.into_any()
        }
        Page::ForgotPassword { email, error } => view! { <auth::ForgotPasswordPage email error /> }.into_any(),
        Page::ForgotPasswordSent => view! { <auth::ForgotPasswordSentPage /> }.into_any(),
        Page::ResetPassword { token, email, min_chars, error } => {
            view! { <auth::ResetPasswordPage token email min_chars error /> }.into_any()
        }
        Page::ChangeEmail { view } => view! { <account::ChangeEmailPage view /> }.into_any(),
        Page::ExpiredPassword { min_chars, days, error } => {
            view! { <mfa::ExpiredPasswordPage min_chars days error /> }.into_any()
        }
        Page::ConfirmEmail { token, new_email, error } => {
            view! { <account::ConfirmEmailPage token new_email error /> }.into_any()
        }
        Page::EmailLinkInvalid => view! {
            <Card title="Confirmation link no longer valid">
                <div role="alert" class="text-slate-700 dark:text-slate-200">
                    <p class="mb-4">"This link has expired, was already used, or was replaced by a newer one. Links work once, within 60 minutes."</p>
                    <p class="mb-6">"If you confirmed with it already, your new address is in use. Otherwise your email address has not changed: ask for a new link on your account security page."</p>
                </div>
                <p class="flex flex-wrap gap-x-6 gap-y-2">
                    <a href="/account/security/email" class=LINK_CLASS>"Change email address"</a>
                    <a href="/login" class=LINK_CLASS>"Go to sign-in"</a>
                </p>
            </Card>
        }
        .into_any(),
        Page::ResetLinkInvalid => view! {
            <Card title="Reset link no longer valid">
                <div role="alert" class="text-slate-700 dark:text-slate-200">
                    <p class="mb-4">"This reset link has expired, was already used, or was replaced by a newer one. Links work once, within 60 minutes."</p>
                    <p class="mb-6">"Ask for a new link. If you have signed in since you asked, the link stopped working: you know your password."</p>
                </div>
                <p class="flex flex-wrap gap-x-6 gap-y-2">
                    <a href="/forgot-password" class=LINK_CLASS>"Ask for a new link"</a>
                    <a href="/login" class=LINK_CLASS>"Go to sign-in"</a>
                </p>
            </Card>
        }
        .into_any(),
        Page::InvitationExpired { org_name, ask } => {
            let whom = match ask {
                Some((name, email)) => format!("Ask {name} ({email}) to send you a new invitation."),
                None => format!("Ask an administrator of {org_name} to send you a new invitation."),
            };
            view! {
                <Card title="Invitation expired">
                    <div role="alert" class="text-slate-700 dark:text-slate-200">
                        <p class="mb-4">{format!("Your invitation to {org_name} on Tessera has expired. Invitation links work for 24 hours.")}</p>
                        <p class="mb-6">{whom}</p>
                    </div>
                    <a href="/login" class=LINK_CLASS>"Go to sign-in"</a>
                </Card>
            }
            .into_any()
        }
        Page::MfaChallenge { challenge } => view! { <auth::ChallengePage challenge /> }.into_any(),
        Page::Security { security } => view! { <mfa::SecurityPage security /> }.into_any(),
        Page::PasswordPrompt { prompt } => view! { <mfa::PasswordPromptPage prompt /> }.into_any(),
        Page::ChangePassword { fresh, min_chars, error } => {
            view! { <mfa::ChangePasswordPage fresh min_chars error /> }.into_any()
        }
        Page::DisableMfa { codes_left, fresh } => view! { <mfa::DisableMfaPage codes_left fresh /> }.into_any(),
        Page::EnrolRequired { app_name } => view! { <mfa::EnrolRequiredPage app_name /> }.into_any(),
        Page::ActivityLog { log } => view! { <activity::ActivityLogPage log /> }.into_any(),
        Page::Policy { view } => view! { <policy::PolicyPage view /> }.into_any(),
        Page::RequirePolicy { view } => view! { <policy::RequirePolicyPage view /> }.into_any(),
        Page::EmailCodesChange { view } => view! { <policy::EmailCodesChangePage view /> }.into_any(),
        Page::Enrol { enrol, error } => view! { <mfa::EnrolPage enrol error /> }.into_any(),
        Page::RecoveryCodes { codes, regenerated, account, org_name, continue_to } => {
            view! { <mfa::RecoveryCodesPage codes regenerated account org_name continue_to /> }.into_any()
        }
        Page::StepUp { error, next, by_email } => view! { <mfa::StepUpPage error next by_email /> }.into_any(),
        Page::Team { team } => view! { <team::TeamPage team /> }.into_any(),
        Page::Member { member } => view! { <team::MemberPage member=*member /> }.into_any(),
        Page::ResetMfa { reset } => view! { <team::ResetMfaPage reset /> }.into_any(),
        Page::AccessCode { view } => view! { <team::AccessCodePage view /> }.into_any(),
        Page::Invite { invite } => view! { <team::InvitePage invite /> }.into_any(),
        Page::InviteList { invite } => view! { <team::InviteListPage invite /> }.into_any(),
        Page::Roles { roles } => view! { <roles::RolesPage roles /> }.into_any(),
        Page::EmailPreferences { view } => view! { <preferences::PreferencesPage view /> }.into_any(),
        Page::Unsubscribe { view } => view! { <preferences::UnsubscribePage view /> }.into_any(),
        Page::EmailTemplates { view } => view! { <email::TemplatesPage view /> }.into_any(),
        Page::EmailTemplate { view } => view! { <email::EditorPage view /> }.into_any(),
        Page::EmailTemplateVersions { view } => view! { <email::VersionsPage view /> }.into_any(),
        Page::LinkInvalid => view! {
            <Card title="Link no longer valid">
                <div role="alert" class="text-slate-700 dark:text-slate-200">
                    <p class="mb-4">"This link has expired, was already used, or is not complete."</p>
                    <p class="mb-6">"Ask whoever sent it for a new one, or sign in if you already have an account."</p>
                </div>
                <a href="/login" class=LINK_CLASS>"Go to sign-in"</a>
            </Card>
        }
        .into_any(),
        Page::FormAddress { back } => view! {
            <Card title="Nothing to show here">
                <p class="mb-6 text-slate-700 dark:text-slate-200">
                    "This address is where a form sends what you typed, so there is no page to show (this happens when a page is reloaded after sending a form). Nothing was sent again."
                </p>
                <a href=back class=LINK_CLASS>"Back to the form"</a>
            </Card>
        }
        .into_any(),
        Page::Message { title, message } => view! {
            <Card title=title>
                <p class="mb-6 text-slate-700 dark:text-slate-200">{message}</p>
                <a href="/" class=LINK_CLASS>"Go to Tessera"</a>
            </Card>
        }
        .into_any(),
    }
}
