//! Signing in and out, the first-run setup and choosing a password: the pages and their form
//! islands.

use leptos::prelude::*;

use crate::api::auth::{
    AnswerChallenge, CompleteSetup, ForgotPassword, LoginEmail, LoginPassword, ResetPassword, SendSignInCode,
    SetPassword,
};
use crate::classes::{INPUT_CLASS, LABEL_CLASS, LINK_CLASS, SECONDARY_BUTTON_CLASS};
use crate::error::AppError;
use crate::forms::{form_islands, CodeInput, FieldProblem, Input, PageAlert, PasswordInput, Problems, Submit};
use crate::layout::{Alert, Card, Notice};
use crate::sign_out::SignOut;

form_islands! {
    /// Sign-in, step one: the email address.
    LoginEmailForm => LoginEmail;
    /// Sign-in, step two: the password.
    PasswordForm => LoginPassword;
    /// Sign-in, step three for accounts with MFA: a code from the authenticator app (sent as soon
    /// as its six digits are in) or a recovery code.
    ChallengeForm => AnswerChallenge;
    /// "Email me a code" during sign-in, where the organisation allows email codes.
    SignInCodeForm => SendSignInCode;
    /// The first run: the organisation and its owner.
    SetupForm => CompleteSetup;
    /// A password chosen through a one-time link.
    SetPasswordForm => SetPassword;
    /// "Forgot your password?": where to send the reset link.
    ForgotPasswordForm => ForgotPassword;
    /// A new password through the reset link.
    ResetPasswordForm => ResetPassword;
}

#[component]
pub fn LoginPage(
    email: String,
    next: Option<String>,
    app_name: Option<String>,
    error: Option<AppError>,
    notice: Option<String>,
    /// "Sign in with NAME": (href, name) of each provider.
    providers: Vec<(String, String)>,
    provider_error: Option<String>,
) -> impl IntoView {
    let problems = Problems(error);
    let going_to = match app_name {
        Some(app) => Some(format!("Sign in to continue to {app}.")),
        None => next.as_deref().map(|n| format!("Sign in to continue to {}.", crate::api::page_name(n))),
    };
    view! {
        <Card title="Sign in">
            {notice.map(|n| view! { <Notice message=n /> })}
            {going_to.map(|text| view! { <p id="continue-to" class="-mt-3 mb-5 text-sm text-slate-600 dark:text-slate-300">{text}</p> })}
            <LoginEmailForm>
                <PageAlert message=problems.alert(false) />
                <Input name="email" label="Email" kind="email" autocomplete="username" value=email error=problems.field("email") autofocus=true />
                // Where to go once signed in; checked again on the server at every step.
                {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <Submit label="Continue" />
            </LoginEmailForm>
            {(!providers.is_empty()).then(|| view! {
                <div id="providers" class="mt-6 border-t border-slate-200 pt-6 dark:border-slate-700">
                    {provider_error.map(|e| view! { <Alert message=e /> })}
                    <ul class="grid gap-3">
                        {providers.into_iter().map(|(href, name)| view! {
                            <li><a href=href class=format!("block text-center {SECONDARY_BUTTON_CLASS}")>{format!("Sign in with {name}")}</a></li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
            <p class="mt-6 text-sm"><a href="/forgot-password" class=LINK_CLASS>"Forgot your password?"</a></p>
        </Card>
    }
}

#[component]
pub fn LoginPasswordPage(
    email: String,
    app_name: Option<String>,
    /// "Use a different email": back to the first step, still going where the person was going.
    different_email: String,
    error: Option<AppError>,
) -> impl IntoView {
    let problems = Problems(error);
    view! {
        <Card title="Enter your password">
            {app_name.map(|app| view! { <p id="continue-to" class="-mt-3 mb-5 text-sm text-slate-600 dark:text-slate-300">{format!("Sign in to continue to {app}.")}</p> })}
            <p class="mb-5 flex flex-wrap items-baseline justify-between gap-2 text-sm text-slate-600 dark:text-slate-300">
                <span class="wrap-anywhere">"Signing in as " <strong class="font-medium text-slate-900 dark:text-white">{email.clone()}</strong></span>
                <a href=different_email class=LINK_CLASS>"Use a different email"</a>
            </p>
            <PasswordForm>
                <PageAlert message=problems.alert(false) />
                // For password managers: the account this password belongs to.
                <input type="email" name="username" value=email autocomplete="username" hidden readonly tabindex="-1" aria-hidden="true" />
                <PasswordInput name="password" label="Password" autocomplete="current-password" error=problems.field("password") autofocus=true />
                <Submit label="Sign in" busy="Signing in…" />
            </PasswordForm>
            <p class="mt-6 text-sm"><a href="/forgot-password" class=LINK_CLASS>"Forgot your password?"</a></p>
        </Card>
    }
}

/// The right password for a disabled account: who can enable it again, and the way back to the
/// application the person was signing in to (which hears that they were refused).
#[component]
pub fn AccountDisabledPage(email: String, org_name: String, application: Option<(String, String)>) -> impl IntoView {
    let cannot = match &application {
        Some((app, _)) => {
            format!("The account {email} at {org_name} is disabled, so you cannot sign in to {app} or to Tessera.")
        }
        None => format!("The account {email} at {org_name} is disabled, so you cannot sign in."),
    };
    view! {
        <Card title="Your account is disabled">
            <div role="alert" class="text-slate-700 dark:text-slate-200">
                <p class="mb-4 wrap-anywhere">{cannot}</p>
                <p class="mb-6">{format!("Only someone who manages the members of {org_name}, such as an owner or administrator, can enable it again. If you still need it, ask one of them.")}</p>
            </div>
            <p class="flex flex-wrap gap-x-6 gap-y-2 text-sm">
                {application.map(|(app, back)| view! { <a href=back class=LINK_CLASS>{format!("Back to {app}")}</a> })}
                <a href="/login" class=LINK_CLASS>"Sign in with another account"</a>
            </p>
        </Card>
    }
}

/// Which second factor the challenge asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeMode {
    App,
    Recovery,
    Email,
    /// An administrator's MFA reset holds the account: the temporary access code they gave.
    AccessCode,
}

/// What the MFA challenge shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeView {
    pub mode: ChallengeMode,
    pub has_app: bool,
    /// The organisation allows email codes as a second factor.
    pub email_allowed: bool,
    /// Where emailed codes go.
    pub email: String,
    /// A code was mailed for this sign-in and can still be typed.
    pub code_sent: bool,
    pub error: Option<AppError>,
    /// What went wrong asking for an emailed code.
    pub send_error: Option<AppError>,
}

#[component]
pub fn ChallengePage(challenge: ChallengeView) -> impl IntoView {
    let ChallengeView { mode, has_app, email_allowed, email, code_sent, error, send_error } = challenge;
    let account = email.clone();
    let failed = error.is_some();
    let problems = Problems(error);
    let send_problems = Problems(send_error);
    let kind = match mode {
        ChallengeMode::App => "totp",
        ChallengeMode::Recovery => "recovery",
        ChallengeMode::Email => "email",
        ChallengeMode::AccessCode => "access-code",
    };
    let code_form = move || {
        view! {
            <ChallengeForm>
                {(mode == ChallengeMode::Email).then(|| view! {
                    <Notice message=format!("We sent a code to {email}. It works once, for 10 minutes, in this browser only.") />
                })}
                <PageAlert message=problems.alert(false) />
                <input type="hidden" name="kind" value=kind />
                {if mode == ChallengeMode::Email {
                    view! {
                        <CodeInput
                            label="Code from the email"
                            hint="The 6-digit code in the email \"Your one-time code\"."
                            error=problems.field("code")
                            autofocus=true
                        />
                    }
                    .into_any()
                } else if mode == ChallengeMode::AccessCode {
                    view! {
                        <CodeInput
                            recovery=true
                            label="Temporary access code"
                            hint="12 letters and digits, like ABCD-EFGH-JKMN. Dashes, spaces and small letters are fine."
                            error=problems.field("code")
                            autofocus=true
                        />
                    }
                    .into_any()
                } else {
                    view! { <CodeInput recovery=mode == ChallengeMode::Recovery error=problems.field("code") autofocus=true /> }
                        .into_any()
                }}
                <Submit label="Verify" busy="Checking…" />
                // Help for a failed code: shown after one, by the page or by the island.
                {(mode == ChallengeMode::App).then(|| view! {
                    <p data-after-failure hidden=!failed class="mt-4 text-sm text-slate-600 dark:text-slate-300">
                        "Codes depend on your phone's clock. If codes keep failing, turn on automatic date and time on your phone."
                    </p>
                })}
            </ChallengeForm>
        }
    };
    let show_code_form = mode != ChallengeMode::Email || code_sent;
    // "Email me a code": the way forward by email, or where allowed an alternative to the app.
    let send_at = match mode {
        ChallengeMode::Email if code_sent => Some("mt-3"),
        ChallengeMode::Email => Some(""),
        _ if email_allowed => Some("mt-4"),
        _ => None,
    };
    let send_label = match mode {
        ChallengeMode::Email if code_sent => "Send a new code",
        ChallengeMode::Email => "Email me a code",
        _ => "Email me a code instead",
    };
    let send_form = move || {
        view! {
            <SignInCodeForm>
                <PageAlert message=send_problems.alert(false) />
                {if mode == ChallengeMode::Email && !code_sent {
                    view! {
                        <p class="mb-4 text-sm text-slate-700 dark:text-slate-200">
                            "A code works only in the browser that asked for it, for 10 minutes. We send one a minute at most."
                        </p>
                        <Submit label=send_label busy="Sending…" />
                    }
                    .into_any()
                } else {
                    view! { <Submit label=send_label class=SECONDARY_BUTTON_CLASS busy="Sending…" /> }.into_any()
                }}
            </SignInCodeForm>
        }
    };
    let title = if mode == ChallengeMode::AccessCode { "Your MFA was reset" } else { "MFA: enter your code" };
    view! {
        <Card title=title>
            <p id="signing-in-as" class="-mt-3 mb-5 text-sm text-slate-600 dark:text-slate-300">
                "Signing in as " <strong class="wrap-anywhere text-slate-900 dark:text-white">{account}</strong>
            </p>
            {(mode == ChallengeMode::AccessCode).then(|| view! {
                <p class="mb-3 text-sm text-slate-700 dark:text-slate-200">
                    "An administrator of your organisation reset your MFA. To sign in, enter the temporary access code they gave you in person, by phone or on a video call. Then you set up your authenticator app again."
                </p>
                <p class="mb-5 text-sm text-slate-600 dark:text-slate-300">
                    "No code, or it has expired? Ask the person who reset your MFA, or another administrator, for a new one. A code never comes by email."
                </p>
            })}
            {(mode == ChallengeMode::Email).then(|| view! {
                <p class="mb-5 text-sm text-slate-600 dark:text-slate-300">
                    "Your organisation accepts a code sent by email as your second step. Email is weaker than an authenticator app: anyone who can read your mailbox could pass."
                </p>
            })}
            {show_code_form.then(code_form)}
            {send_at.map(|class| view! { <div class=class>{send_form()}</div> })}
            <p class="mt-6 flex flex-wrap justify-between gap-2 text-sm">
                {(has_app && mode != ChallengeMode::App).then(|| view! {
                    <a href="/login/mfa" class=LINK_CLASS>"Use your authenticator app"</a>
                })}
                {(has_app && mode != ChallengeMode::Recovery).then(|| view! {
                    <a href="/login/mfa?recovery" class=LINK_CLASS>"Use a recovery code"</a>
                })}
            </p>
            <div class="mt-4"><SignOut label="Cancel and sign out" /></div>
        </Card>
    }
}

/// What was typed into the setup form (never the password).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupValues {
    pub org_name: String,
    pub org_kind: String,
    pub display_name: String,
    pub email: String,
}

#[component]
pub fn SetupPage(token: String, values: SetupValues, error: Option<AppError>) -> impl IntoView {
    let problems = Problems(error);
    // After a failed submit, focus goes to the first field with a problem.
    let first = problems.first_field().unwrap_or("org_name");
    let healthcare = values.org_kind == "healthcare";
    let kind_error = problems.field("org_kind");
    view! {
        <Card title="Set up Tessera">
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                "Create your organisation and its owner account. This link works once."
            </p>
            <SetupForm>
                <PageAlert message=problems.alert(true) />
                <input type="hidden" name="token" value=token />
                <Input name="org_name" label="Organisation name" autocomplete="organization" value=values.org_name error=problems.field("org_name") autofocus=first == "org_name" />
                <div class="mb-5">
                    <label for="org_kind" class=LABEL_CLASS>"Organisation type"</label>
                    <select
                        id="org_kind"
                        name="org_kind"
                        aria-invalid=kind_error.as_ref().map(|_| "true")
                        aria-describedby="org_kind-hint org_kind-error"
                        class=INPUT_CLASS
                    >
                        <option value="standard" selected=!healthcare>"Standard"</option>
                        <option value="healthcare" selected=healthcare>"Healthcare"</option>
                    </select>
                    <p id="org_kind-hint" class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">
                        "Healthcare organisations always require MFA."
                    </p>
                    <FieldProblem name="org_kind" error=kind_error />
                </div>
                <Input name="display_name" label="Your name" autocomplete="name" value=values.display_name error=problems.field("display_name") autofocus=first == "display_name" />
                <Input name="email" label="Email" kind="email" autocomplete="email" value=values.email error=problems.field("email") autofocus=first == "email" />
                <PasswordInput
                    name="password"
                    label="Password"
                    autocomplete="new-password"
                    error=problems.field("password")
                    autofocus=first == "password"
                    hint="At least 15 characters (8 for healthcare organisations, which require MFA). A few unrelated words work well."
                />
                <Submit label="Create organisation" busy="Creating…" />
            </SetupForm>
        </Card>
    }
}

#[component]
pub fn SetPasswordPage(
    token: String,
    email: String,
    org_name: String,
    min_chars: usize,
    error: Option<AppError>,
) -> impl IntoView {
    let problems = Problems(error);
    let hint = format!("At least {min_chars} characters. A few unrelated words make a strong, memorable password.");
    view! {
        <Card title="Choose your password">
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                "For " <strong class="wrap-anywhere text-slate-900 dark:text-white">{email}</strong>
                " in " <strong class="text-slate-900 dark:text-white">{org_name}</strong> "."
            </p>
            <SetPasswordForm>
                <PageAlert message=problems.alert(false) />
                <input type="hidden" name="token" value=token />
                <PasswordInput
                    name="password"
                    label="New password"
                    autocomplete="new-password"
                    error=problems.field("password")
                    hint=hint
                    autofocus=true
                />
                <Submit label="Set password" busy="Saving…" />
            </SetPasswordForm>
        </Card>
    }
}

#[component]
pub fn ForgotPasswordPage(email: String, error: Option<AppError>) -> impl IntoView {
    let problems = Problems(error);
    view! {
        <Card title="Reset your password">
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                "Enter the email address of your account. We will send it a link to choose a new password."
            </p>
            <ForgotPasswordForm>
                <PageAlert message=problems.alert(false) />
                <Input name="email" label="Email" kind="email" autocomplete="username" value=email error=problems.field("email") autofocus=true />
                <Submit label="Send reset link" busy="Sending…" />
            </ForgotPasswordForm>
            <p class="mt-6 text-sm"><a href="/login" class=LINK_CLASS>"Remembered it? Sign in"</a></p>
        </Card>
    }
}

#[component]
pub fn ForgotPasswordSentPage() -> impl IntoView {
    view! {
        <Card title="Check your email">
            <div role="status" class="text-slate-700 dark:text-slate-200">
                <p class="mb-4">
                    "If an account exists for that address, we have sent it a link to reset the password. "
                    "The link works once, within 60 minutes."
                </p>
                <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                    "Resetting your password does not turn off MFA: you will still sign in with your authenticator app or a recovery code. "
                    "No mail after a few minutes? Check your spam folder, or ask for a new link."
                </p>
            </div>
            <p class="flex flex-wrap gap-x-6 gap-y-2 text-sm">
                <a href="/forgot-password" class=LINK_CLASS>"Ask for a new link"</a>
                <a href="/login" class=LINK_CLASS>"Go to sign-in"</a>
            </p>
        </Card>
    }
}

#[component]
pub fn ResetPasswordPage(token: String, email: String, min_chars: usize, error: Option<AppError>) -> impl IntoView {
    let problems = Problems(error);
    let first = problems.first_field().unwrap_or("email");
    view! {
        <Card title="Choose a new password">
            <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
                "Your MFA stays as it is: after this, sign in with the new password and your authenticator app or a recovery code. Every session of your account will be signed out."
            </p>
            <ResetPasswordForm>
                <PageAlert message=problems.alert(true) />
                <input type="hidden" name="token" value=token />
                <Input
                    name="email"
                    label="Email address the link was sent to"
                    kind="email"
                    autocomplete="username"
                    value=email
                    error=problems.field("email")
                    autofocus=first == "email"
                />
                <NewPasswordFields min_chars problems=problems.clone() first />
                <Submit label="Reset password" busy="Saving…" />
            </ResetPasswordForm>
        </Card>
    }
}

/// A new password typed twice, with the person's minimum length; `first` is the field to focus.
#[component]
pub fn NewPasswordFields(min_chars: usize, problems: Problems, first: &'static str) -> impl IntoView {
    let hint = format!("At least {min_chars} characters. A few unrelated words make a strong, memorable password.");
    view! {
        <PasswordInput
            name="password"
            label="New password"
            autocomplete="new-password"
            error=problems.field("password")
            hint=hint
            autofocus=first == "password"
        />
        <PasswordInput
            name="password_again"
            label="New password again"
            autocomplete="new-password"
            error=problems.field("password_again")
            autofocus=first == "password_again"
        />
    }
}
