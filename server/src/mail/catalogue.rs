//! Every mail Tessera sends: its stable id, what it is for, the variables its template may use
//! (and must use), the line a security mail always ends with, and its default template, written
//! for the same engine an organisation's own templates go through.

use super::template::{Parts, Vars};

/// Whether a person can turn a mail off. Security mail always goes out and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Security,
    /// Optional mail about this topic: it carries a one-click unsubscribe link.
    Optional(Topic),
}

/// What optional mail is about; a person may turn each off (Account -> Email preferences).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    GraceReminders,
    Digest,
}

impl Topic {
    pub const ALL: [Topic; 2] = [Topic::GraceReminders, Topic::Digest];

    pub fn id(self) -> &'static str {
        match self {
            Topic::GraceReminders => "grace-reminders",
            Topic::Digest => "weekly-digest",
        }
    }

    pub fn from_id(id: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.id() == id)
    }

    pub fn label(self) -> &'static str {
        match self {
            Topic::GraceReminders => "Reminders to set up MFA",
            Topic::Digest => "Weekly security digest",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Topic::GraceReminders => {
                "While your organisation gives you time to set up MFA: 7 days, 1 day and a few hours before the deadline."
            }
            Topic::Digest => {
                "For people who read the activity log, once a week: MFA adoption, MFA resets, bursts of failed sign-ins and changes to the policy and roles."
            }
        }
    }

    /// The activity log's words for turning it off or on.
    pub fn change(self, off: bool) -> &'static str {
        match (self, off) {
            (Topic::GraceReminders, true) => "reminders to set up MFA turned off",
            (Topic::GraceReminders, false) => "reminders to set up MFA turned on",
            (Topic::Digest, true) => "weekly security digest turned off",
            (Topic::Digest, false) => "weekly security digest turned on",
        }
    }
}

/// A mail Tessera sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    Invitation,
    PasswordResetLink,
    EmailCode,
    MfaEnabled,
    MfaDisabled,
    MfaResetByAdmin,
    AuthenticatorReset,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    FailedCodes,
    SignInPaused,
    PasswordReset,
    PasswordChanged,
    ProviderLinked,
    ProviderUnlinked,
    EmailChangeLink,
    EmailChangeRequested,
    EmailChanged,
    EmailInUse,
    EmailCorrected,
    RulesChanged,
    ApplicationsChanged,
    SignInMethodsChanged,
    GraceReminder,
    Digest,
}

/// A variable a template may use: its name, what it holds, and the value previews use.
pub struct Variable {
    pub name: &'static str,
    pub about: &'static str,
    /// For a list, its items separated by `;`.
    pub sample: &'static str,
    /// A list of lines, for `{% for %}`.
    pub list: bool,
}

const fn var(name: &'static str, about: &'static str, sample: &'static str) -> Variable {
    Variable { name, about, sample, list: false }
}

const fn list_var(name: &'static str, about: &'static str, sample: &'static str) -> Variable {
    Variable { name, about, sample, list: true }
}

/// Every variable any mail has; each mail lists the names it gives.
pub const VARIABLES: &[Variable] = &[
    var("name", "The display name of the person the mail goes to.", "Ada Lovelace"),
    var("org_name", "The organisation's name.", "Example Practice"),
    var("when", "When it happened, in UTC.", "2026-11-26 09:30:00 UTC"),
    var("ip", "The IP address it came from.", "192.0.2.10"),
    var("browser", "The browser it came from, such as \"Firefox on Windows 10\".", "Firefox on Windows 10"),
    var("link", "The link the mail is about.", "https://id.example.org/account/security"),
    var("code", "The six-digit code.", "123456"),
    var("inviter", "Who added the person to the organisation.", "Grace Hopper"),
    var("actor_name", "The administrator who did it.", "Grace Hopper"),
    var("actor_email", "The administrator's email address.", "grace@example.org"),
    var("reason", "The reason the administrator gave, or \"none given\".", "Lost phone, ticket 4711"),
    var("must_reenrol", "Whether the organisation requires MFA (true or false).", "true"),
    var(
        "next_step",
        "What their next sign-in asks of them, in a few sentences (a temporary access code from the administrator, a code by email, or the password alone).",
        "Your organisation requires MFA, so to sign in again you need a temporary access code from Grace Hopper or another administrator of Example Practice.",
    ),
    var("left", "How many recovery codes are left.", "4"),
    var("failures", "How many sign-ins in a row failed.", "10"),
    var("provider", "The sign-in provider, such as Google or Microsoft.", "Google"),
    var("provider_account", "The account at the provider, as it named it.", "ada@example.org"),
    var("new_email", "The new email address.", "ada@new.example.org"),
    var("old_email", "The email address before the change.", "ada@old.example.org"),
    var("change", "What changed, in a sentence.", "The MFA policy is now: Required."),
    var("by", "Who changed it.", "Grace Hopper (grace@example.org)"),
    var("deadline", "When the grace period to set up MFA ends, in UTC.", "2026-12-03 09:30:00 UTC"),
    var("days_left", "How long is left, such as \"7 days\" or \"6 hours\".", "7 days"),
    var(
        "week",
        "The seven days the digest covers, in the organisation's time zone.",
        "2026-11-19 09:00 (Europe/London) to 2026-11-26 09:00 (Europe/London)",
    ),
    var("members", "How many members' accounts are in use.", "12"),
    var("with_mfa", "How many of them sign in with an authenticator app.", "9"),
    var("with_email_codes", "How many of them sign in with email codes (no app).", "1"),
    list_var(
        "required_not_enrolled",
        "A list: who must set up MFA and has not, with where they stand (use it with {% for p in required_not_enrolled %}).",
        "Ben Brown (ben@example.org): Required, not set up by 2026-12-03;Cy Chan (cy@example.org): Required, locked until set up",
    ),
    list_var(
        "resets",
        "A list: administrators' MFA resets, with their flags.",
        "2026-11-24 22:10 (Europe/London): Grace Hopper (grace@example.org) reset the MFA of Ben Brown (ben@example.org) (flagged: Outside business hours)",
    ),
    list_var("failed_sign_ins", "A list: accounts with a burst of failed sign-ins.", "Cy Chan (cy@example.org): 12 failed sign-ins"),
    list_var(
        "rule_changes",
        "A list: changes to the MFA policy and the roles.",
        "2026-11-23 10:02 UTC: MFA policy changed by Ada Lovelace (ada@example.org): policy set to required",
    ),
];

const FACTS: &[&str] = &["when", "ip", "browser"];

/// What a mail is, for the settings and for sending.
pub struct Spec {
    pub id: &'static str,
    pub label: &'static str,
    /// When Tessera sends it.
    pub about: &'static str,
    pub category: Category,
    /// Variables besides `name`, `when`, `ip`, `browser` (which every mail has).
    extra: &'static [&'static str],
    /// Variables both bodies must use.
    pub required: &'static [&'static str],
    /// What to do if it was not expected (security mail) or why the person gets it (optional
    /// mail): Tessera adds it below every template, rendered with the same variables, so it may
    /// name who to contact.
    pub if_not_you: &'static str,
    subject: &'static str,
    text: &'static str,
    html: &'static str,
}

const CHANGE_ADVICE: &str =
    "If this was not you, change your password and review your MFA settings now, and tell your administrator.";

impl MailKind {
    pub const ALL: [MailKind; 25] = [
        MailKind::Invitation,
        MailKind::PasswordResetLink,
        MailKind::EmailCode,
        MailKind::MfaEnabled,
        MailKind::MfaDisabled,
        MailKind::MfaResetByAdmin,
        MailKind::AuthenticatorReset,
        MailKind::RecoveryCodeUsed,
        MailKind::RecoveryCodesRegenerated,
        MailKind::FailedCodes,
        MailKind::SignInPaused,
        MailKind::PasswordReset,
        MailKind::PasswordChanged,
        MailKind::ProviderLinked,
        MailKind::ProviderUnlinked,
        MailKind::EmailChangeLink,
        MailKind::EmailChangeRequested,
        MailKind::EmailChanged,
        MailKind::EmailInUse,
        MailKind::EmailCorrected,
        MailKind::RulesChanged,
        MailKind::ApplicationsChanged,
        MailKind::SignInMethodsChanged,
        MailKind::GraceReminder,
        MailKind::Digest,
    ];

    pub fn id(self) -> &'static str {
        self.spec().id
    }

    pub fn from_id(id: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.id() == id)
    }

    pub fn label(self) -> &'static str {
        self.spec().label
    }

    /// The variables its template may use, in the order the settings list them.
    pub fn variables(self) -> Vec<&'static Variable> {
        let spec = self.spec();
        VARIABLES
            .iter()
            .filter(|v| v.name == "name" || FACTS.contains(&v.name) || spec.extra.contains(&v.name))
            .collect()
    }

    pub fn variable_names(self) -> Vec<&'static str> {
        self.variables().into_iter().map(|v| v.name).collect()
    }

    /// Sample values of its variables, for previews and for checking a template before saving.
    pub fn sample(self) -> Vars {
        self.variables()
            .into_iter()
            .map(|v| {
                let value = match v.sample {
                    _ if v.list => minijinja::Value::from(v.sample.split(';').collect::<Vec<_>>()),
                    "true" => minijinja::Value::from(true),
                    s => s.parse::<i64>().map(minijinja::Value::from).unwrap_or_else(|_| minijinja::Value::from(s)),
                };
                (v.name.to_string(), value)
            })
            .collect()
    }

    /// Tessera's own template.
    pub fn default_parts(self) -> Parts {
        let spec = self.spec();
        Parts { subject: spec.subject.into(), text: spec.text.into(), html: spec.html.into() }
    }

    pub fn spec(self) -> &'static Spec {
        use MailKind::*;
        match self {
            Invitation => &INVITATION,
            PasswordResetLink => &PASSWORD_RESET_LINK,
            EmailCode => &EMAIL_CODE,
            MfaEnabled => &MFA_ENABLED,
            MfaDisabled => &MFA_DISABLED,
            MfaResetByAdmin => &MFA_RESET_BY_ADMIN,
            AuthenticatorReset => &AUTHENTICATOR_RESET,
            RecoveryCodeUsed => &RECOVERY_CODE_USED,
            RecoveryCodesRegenerated => &RECOVERY_CODES_REGENERATED,
            FailedCodes => &FAILED_CODES,
            SignInPaused => &SIGN_IN_PAUSED,
            PasswordReset => &PASSWORD_RESET,
            PasswordChanged => &PASSWORD_CHANGED,
            ProviderLinked => &PROVIDER_LINKED,
            ProviderUnlinked => &PROVIDER_UNLINKED,
            EmailChangeLink => &EMAIL_CHANGE_LINK,
            EmailChangeRequested => &EMAIL_CHANGE_REQUESTED,
            EmailChanged => &EMAIL_CHANGED,
            EmailInUse => &EMAIL_IN_USE,
            EmailCorrected => &EMAIL_CORRECTED,
            RulesChanged => &RULES_CHANGED,
            ApplicationsChanged => &APPLICATIONS_CHANGED,
            SignInMethodsChanged => &SIGN_IN_METHODS_CHANGED,
            GraceReminder => &GRACE_REMINDER,
            Digest => &DIGEST,
        }
    }
}

// The facts every mail gives, as text and as HTML.
macro_rules! facts_text {
    () => {
        "When: {{ when }}\nFrom IP address: {{ ip }}\nBrowser: {{ browser }}\n"
    };
}
macro_rules! facts_html {
    () => {
        "<ul>\n<li>When: {{ when }}</li>\n<li>From IP address: {{ ip }}</li>\n<li>Browser: {{ browser }}</li>\n</ul>\n"
    };
}

/// A notice about a change to the person's own account: what happened, the facts, where to look.
macro_rules! notice {
    ($id:literal, $label:literal, $about:literal, $subject:literal, $event:literal, $extra:expr) => {
        Spec {
            id: $id,
            label: $label,
            about: $about,
            category: Category::Security,
            extra: $extra,
            required: &[],
            if_not_you: CHANGE_ADVICE,
            subject: $subject,
            text: concat!(
                "Hello {{ name }},\n\n",
                $event,
                "\n\n",
                facts_text!(),
                "\nReview your account security: {{ link }}\n"
            ),
            html: concat!(
                "<p>Hello {{ name }},</p>\n<p>",
                $event,
                "</p>\n",
                facts_html!(),
                "<p><a href=\"{{ link }}\">Review your account security</a></p>\n"
            ),
        }
    };
}

static INVITATION: Spec = Spec {
    id: "invitation",
    label: "Invitation",
    about: "When an administrator adds someone to the organisation.",
    category: Category::Security,
    extra: &["org_name", "inviter", "link"],
    required: &["link"],
    if_not_you: "If you did not expect this, ignore this mail: nothing happens without the link.",
    subject: "Tessera: You were invited to {{ org_name }}",
    text: "Hello {{ name }},\n\n{{ inviter }} added you to {{ org_name }} on Tessera.\n\nChoose your password here (the link works once, for 24 hours):\n{{ link }}\n",
    html: "<p>Hello {{ name }},</p>\n<p>{{ inviter }} added you to {{ org_name }} on Tessera.</p>\n<p><a href=\"{{ link }}\">Choose your password</a> (the link works once, for 24 hours).</p>\n",
};

static PASSWORD_RESET_LINK: Spec = Spec {
    id: "password-reset",
    label: "Password reset link",
    about: "When someone asks to reset their password with \"Forgot your password?\".",
    category: Category::Security,
    extra: &["org_name", "link"],
    required: &["link"],
    if_not_you: "If this was not you, ignore this mail: your password has not changed and nobody can use the link \
                 without access to your mailbox.",
    subject: "Tessera: Reset your password",
    text: concat!(
        "Hello {{ name }},\n\nSomeone asked to reset the password of your account in {{ org_name }}. The link below lets \
         you choose a new one; it works once, within 60 minutes. Your MFA stays as it is: signing in will still need \
         your authenticator app or a recovery code.\n\n",
        facts_text!(),
        "\nChoose a new password: {{ link }}\n"
    ),
    html: concat!(
        "<p>Hello {{ name }},</p>\n<p>Someone asked to reset the password of your account in {{ org_name }}. The link \
         below lets you choose a new one; it works once, within 60 minutes. Your MFA stays as it is: signing in will \
         still need your authenticator app or a recovery code.</p>\n",
        facts_html!(),
        "<p><a href=\"{{ link }}\">Choose a new password</a></p>\n"
    ),
};

static EMAIL_CODE: Spec = Spec {
    id: "email-code",
    label: "Email code",
    about: "When someone signs in or confirms a change with a code sent by email.",
    category: Category::Security,
    extra: &["code"],
    required: &["code"],
    if_not_you: "If you did not ask for a code, someone who knows your password is using it: change your password \
                 now and tell your administrator. Never give this code to anyone; Tessera will never ask you for it.",
    // Never the code: phones show subjects on the lock screen.
    subject: "Tessera: Your one-time code",
    text: "Hello {{ name }},\n\nYour Tessera code is: {{ code }}\n\nIt works once, for 10 minutes, and only in the \
           browser where you asked for it.\n\nAsked for at {{ when }} from IP address {{ ip }} ({{ browser }}).\n",
    html: "<p>Hello {{ name }},</p>\n<p>Your Tessera code is:</p>\n<p style=\"font-size:1.5em;font-family:monospace\"><strong>{{ code }}</strong></p>\n<p>It works once, for 10 minutes, and only in the browser where you asked for it.</p>\n<p>Asked for at {{ when }} from IP address {{ ip }} ({{ browser }}).</p>\n",
};

static MFA_ENABLED: Spec = notice!(
    "mfa-enabled",
    "MFA turned on",
    "When someone turns on MFA for their account.",
    "Tessera: MFA is on",
    "Multi-factor authentication (MFA) was turned on for your account.",
    &["link"]
);

static MFA_DISABLED: Spec = notice!(
    "mfa-disabled",
    "MFA turned off",
    "When someone turns off MFA for their account.",
    "Tessera: MFA is off",
    "Multi-factor authentication (MFA) was turned off for your account.",
    &["link"]
);

static AUTHENTICATOR_RESET: Spec = notice!(
    "authenticator-reset",
    "Authenticator app changed",
    "When someone sets up a new authenticator app in place of their old one.",
    "Tessera: Your authenticator app was changed",
    "A new authenticator app was set up for your account. The previous one no longer works.",
    &["link"]
);

static RECOVERY_CODES_REGENERATED: Spec = notice!(
    "recovery-codes-regenerated",
    "New recovery codes",
    "When someone creates a new set of recovery codes.",
    "Tessera: New recovery codes were created",
    "A new set of recovery codes was created for your account. The previous codes no longer work.",
    &["link"]
);

static RECOVERY_CODE_USED: Spec = notice!(
    "recovery-code-used",
    "Recovery code used",
    "When someone signs in with a recovery code.",
    "Tessera: A recovery code was used",
    "A recovery code was used to sign in to your account. {{ left }} recovery codes are left.",
    &["link", "left"]
);

static FAILED_CODES: Spec = notice!(
    "failed-codes",
    "Repeated failed codes",
    "When someone types the right password, then several wrong MFA codes.",
    "Tessera: Repeated failed sign-in codes",
    "Someone entered your password correctly, then failed the MFA code from your authenticator app several times.",
    &["link"]
);

static SIGN_IN_PAUSED: Spec = notice!(
    "sign-in-paused",
    "Failed sign-ins",
    "When an account's free sign-in tries are spent with wrong passwords.",
    "Tessera: Failed sign-ins to your account",
    "Someone tried to sign in to your account {{ failures }} times in a row with a wrong password. After 5 wrong \
     tries in a row, each further try waits longer: 1 second, then 2, 4, 8 and so on, up to 15 minutes. Your account \
     is never locked for good: once the wait is over, your password signs you in as usual.",
    &["link", "failures"]
);

static PASSWORD_RESET: Spec = notice!(
    "password-reset-done",
    "Password changed with a reset link",
    "When someone chooses a new password through a reset link.",
    "Tessera: Your password was changed",
    "The password of your account was changed with a password reset link, and every session of your account was \
     signed out. Your MFA is unchanged: signing in still needs your authenticator app or a recovery code.",
    &["link"]
);

static PASSWORD_CHANGED: Spec = notice!(
    "password-changed",
    "Password changed",
    "When someone changes their password from account security.",
    "Tessera: Your password was changed",
    "The password of your account was changed from account security, and every other session of your account was \
     signed out.",
    &["link"]
);

static PROVIDER_LINKED: Spec = notice!(
    "provider-linked",
    "Sign-in provider linked",
    "When someone links a sign-in provider (Google, Microsoft, another) to their account.",
    "Tessera: {{ provider }} can now sign you in",
    "Your {{ provider }} account ({{ provider_account }}) was linked to your Tessera account: it can now sign you \
     in instead of your password. Your MFA still applies after it.",
    &["link", "provider", "provider_account"]
);

static PROVIDER_UNLINKED: Spec = notice!(
    "provider-unlinked",
    "Sign-in provider unlinked",
    "When someone unlinks a sign-in provider from their account.",
    "Tessera: {{ provider }} no longer signs you in",
    "Your {{ provider }} account was unlinked from your Tessera account: it no longer signs you in.",
    &["link", "provider"]
);

static MFA_RESET_BY_ADMIN: Spec = Spec {
    id: "mfa-reset-by-admin",
    label: "MFA reset by an administrator",
    about: "When an administrator resets a teammate's MFA.",
    category: Category::Security,
    extra: &["org_name", "actor_name", "actor_email", "reason", "must_reenrol", "next_step", "link"],
    required: &[],
    if_not_you: "If you did not ask for this, contact {{ actor_name }} or another administrator of {{ org_name }} \
                 right away: someone may be trying to take over your account.",
    subject: "Tessera: Your MFA was reset",
    text:
        "Hello {{ name }},\n\nYour multi-factor authentication (MFA) in {{ org_name }} was reset by {{ actor_name }} \
           ({{ actor_email }}) at {{ when }}. Your authenticator app and recovery codes no longer work, and you were \
           signed out everywhere.\n\nReason: {{ reason }}\n\n{{ next_step }}\n\nSign in: {{ link }}\n",
    html: "<p>Hello {{ name }},</p>\n<p>Your multi-factor authentication (MFA) in {{ org_name }} was reset by \
           {{ actor_name }} ({{ actor_email }}) at {{ when }}. Your authenticator app and recovery codes no longer \
           work, and you were signed out everywhere.</p>\n<p>Reason: {{ reason }}</p>\n<p>{{ next_step }}</p>\n<p><a \
           href=\"{{ link }}\">Sign in</a></p>\n",
};

static EMAIL_CHANGE_LINK: Spec = Spec {
    id: "email-change-link",
    label: "Confirm a new email address",
    about: "To the new address, when someone asks to change their email address.",
    category: Category::Security,
    extra: &["org_name", "link"],
    required: &["link"],
    if_not_you: "If this was not you, ignore this mail: nothing changes without the link.",
    subject: "Tessera: Confirm your new email address",
    text: concat!(
        "Hello {{ name }},\n\nYou asked to use this address for your account in {{ org_name }} from now on. Confirm it \
         with the link below; it works once, within 60 minutes. Until then your account keeps its old address.\n\n",
        facts_text!(),
        "\nConfirm this address: {{ link }}\n"
    ),
    html: concat!(
        "<p>Hello {{ name }},</p>\n<p>You asked to use this address for your account in {{ org_name }} from now on. \
         Confirm it with the link below; it works once, within 60 minutes. Until then your account keeps its old \
         address.</p>\n",
        facts_html!(),
        "<p><a href=\"{{ link }}\">Confirm this address</a></p>\n"
    ),
};

static EMAIL_CHANGE_REQUESTED: Spec = notice!(
    "email-change-requested",
    "Email address change asked for",
    "To the old address, when someone asks to change their email address.",
    "Tessera: A change of your email address was asked for",
    "Someone signed in to your account asked to change its email address to {{ new_email }}. It changes only once \
     the link sent to that address is opened.",
    &["link", "new_email"]
);

static EMAIL_CHANGED: Spec = notice!(
    "email-changed",
    "Email address changed",
    "To the old address, once a new email address is confirmed.",
    "Tessera: Your email address was changed",
    "The email address of your account was changed to {{ new_email }}. Sign in with that address from now on; mail \
     about your account goes there.",
    &["link", "new_email"]
);

static EMAIL_CORRECTED: Spec = Spec {
    id: "email-corrected",
    label: "Email address corrected by an administrator",
    about: "To the old and the new address, when an administrator corrects someone's email address.",
    category: Category::Security,
    extra: &["org_name", "actor_name", "actor_email", "old_email", "new_email", "link"],
    required: &[],
    if_not_you: "If you did not ask for this, contact {{ actor_name }} or another administrator of {{ org_name }} \
                 right away: someone may be trying to take over your account.",
    subject: "Tessera: Your email address was changed by an administrator",
    text: concat!(
        "Hello {{ name }},\n\n{{ actor_name }} ({{ actor_email }}), an administrator of {{ org_name }}, changed the \
         email address of your account from {{ old_email }} to {{ new_email }}. Sign in with {{ new_email }} from now \
         on. You were signed out everywhere, and links and codes sent to the old address no longer work.\n\n",
        facts_text!(),
        "\nSign in: {{ link }}\n"
    ),
    html: concat!(
        "<p>Hello {{ name }},</p>\n<p>{{ actor_name }} ({{ actor_email }}), an administrator of {{ org_name }}, \
         changed the email address of your account from {{ old_email }} to {{ new_email }}. Sign in with \
         {{ new_email }} from now on. You were signed out everywhere, and links and codes sent to the old address no \
         longer work.</p>\n",
        facts_html!(),
        "<p><a href=\"{{ link }}\">Sign in</a></p>\n"
    ),
};

static EMAIL_IN_USE: Spec = Spec {
    id: "email-in-use",
    label: "Email address already in use",
    about: "To this address, when someone asks to move another account to it: it belongs to this account, so nothing changes.",
    category: Category::Security,
    extra: &["link"],
    required: &[],
    if_not_you: "If you expected this, use a different address for the other account. Otherwise nothing needs doing.",
    subject: "Tessera: Someone tried to use your email address",
    text: concat!(
        "Hello {{ name }},\n\nSomeone asked to use this address for another Tessera account. It already belongs to \
         your account, so nothing changed.\n\n",
        facts_text!(),
        "\nReview your account security: {{ link }}\n"
    ),
    html: concat!(
        "<p>Hello {{ name }},</p>\n<p>Someone asked to use this address for another Tessera account. It already \
         belongs to your account, so nothing changed.</p>\n",
        facts_html!(),
        "<p><a href=\"{{ link }}\">Review your account security</a></p>\n"
    ),
};

static RULES_CHANGED: Spec = Spec {
    id: "rules-changed",
    label: "MFA rules changed",
    about: "To every owner, when the security policy or a role's MFA rule changes.",
    category: Category::Security,
    extra: &["org_name", "change", "by", "link"],
    required: &[],
    if_not_you: "If you did not expect this, review the security policy and the roles now, and check the activity \
                 log for who else changed what.",
    subject: "Tessera: MFA rules changed in {{ org_name }}",
    text:
        "Hello {{ name }},\n\nThe MFA rules of {{ org_name }} changed. {{ change }}\n\nBy: {{ by }}\nWhen: {{ when }}\n\
           From IP address: {{ ip }}\n\nReview the security policy: {{ link }}\n",
    html: "<p>Hello {{ name }},</p>\n<p>The MFA rules of {{ org_name }} changed. {{ change }}</p>\n<ul>\n<li>By: \
           {{ by }}</li>\n<li>When: {{ when }}</li>\n<li>From IP address: {{ ip }}</li>\n</ul>\n<p><a \
           href=\"{{ link }}\">Review the security policy</a></p>\n",
};

static APPLICATIONS_CHANGED: Spec = Spec {
    id: "applications-changed",
    label: "Applications changed",
    about: "To every owner, when an application that signs people in with Tessera is registered, given a new \
            secret or removed.",
    category: Category::Security,
    extra: &["org_name", "change", "by", "link"],
    required: &[],
    if_not_you: "If you did not expect this, check the activity log for who changed what, and remove any \
                 application you do not know.",
    subject: "Tessera: applications changed in {{ org_name }}",
    text: "Hello {{ name }},\n\nThe applications of {{ org_name }} that sign people in with Tessera changed. \
           {{ change }}\n\nBy: {{ by }}\nWhen: {{ when }}\nFrom IP address: {{ ip }}\n\nCheck the activity log: \
           {{ link }}\n",
    html: "<p>Hello {{ name }},</p>\n<p>The applications of {{ org_name }} that sign people in with Tessera \
           changed. {{ change }}</p>\n<ul>\n<li>By: {{ by }}</li>\n<li>When: {{ when }}</li>\n<li>From IP address: \
           {{ ip }}</li>\n</ul>\n<p><a href=\"{{ link }}\">Check the activity log</a></p>\n",
};

static SIGN_IN_METHODS_CHANGED: Spec = Spec {
    id: "sign-in-methods-changed",
    label: "Sign-in methods changed",
    about: "To every owner, when a sign-in provider (Google, Microsoft or another) is allowed, limited to some \
            domains, or stopped for the organisation.",
    category: Category::Security,
    extra: &["org_name", "change", "by", "link"],
    required: &[],
    if_not_you: "If you did not expect this, review the sign-in methods now: a provider you did not choose lets \
                 whoever controls its accounts sign in to yours.",
    subject: "Tessera: sign-in methods changed in {{ org_name }}",
    text: "Hello {{ name }},\n\nThe ways people of {{ org_name }} sign in changed. {{ change }}\n\nBy: {{ by }}\n\
           When: {{ when }}\nFrom IP address: {{ ip }}\n\nReview the sign-in methods: {{ link }}\n",
    html: "<p>Hello {{ name }},</p>\n<p>The ways people of {{ org_name }} sign in changed. {{ change }}</p>\n<ul>\n\
           <li>By: {{ by }}</li>\n<li>When: {{ when }}</li>\n<li>From IP address: {{ ip }}</li>\n</ul>\n<p><a \
           href=\"{{ link }}\">Review the sign-in methods</a></p>\n",
};

static GRACE_REMINDER: Spec = Spec {
    id: "grace-reminder",
    label: "Reminder to set up MFA",
    about: "During a grace period, to people who still must set up MFA: 7 days, 1 day and a few hours before it ends.",
    category: Category::Optional(Topic::GraceReminders),
    extra: &["org_name", "deadline", "days_left", "link"],
    required: &["link"],
    if_not_you: "You get this reminder because {{ org_name }} requires MFA and your account does not have it yet.",
    subject: "Tessera: {{ days_left }} left to set up MFA for {{ org_name }}",
    text: "Hello {{ name }},\n\n{{ org_name }} requires multi-factor authentication (MFA). You have {{ days_left }} \
           left to set it up: after {{ deadline }} you can only sign in to set it up.\n\nIt takes two minutes \
           with an authenticator app on your phone. Set it up now: {{ link }}\n",
    html: "<p>Hello {{ name }},</p>\n<p>{{ org_name }} requires multi-factor authentication (MFA). You have \
           {{ days_left }} left to set it up: after {{ deadline }} you can only sign in to set it up.</p>\n<p>It \
           takes two minutes with an authenticator app on your phone.</p>\n<p><a href=\"{{ link }}\">Set up MFA \
           now</a></p>\n",
};

static DIGEST: Spec = Spec {
    id: "weekly-digest",
    label: "Weekly security digest",
    about: "Once a week, to the people who may read the activity log: MFA adoption, resets, failed sign-ins, changes to the rules.",
    category: Category::Optional(Topic::Digest),
    extra: &[
        "org_name",
        "week",
        "members",
        "with_mfa",
        "with_email_codes",
        "required_not_enrolled",
        "resets",
        "failed_sign_ins",
        "rule_changes",
        "link",
    ],
    required: &["link"],
    if_not_you: "You get this digest because you may read the activity log of {{ org_name }}.",
    subject: "Tessera: the week in {{ org_name }}",
    text: "Hello {{ name }},\n\nThe week in {{ org_name }} ({{ week }}).\n\nMFA: {{ with_mfa }} of {{ members \
           }} with an authenticator app, {{ with_email_codes }} with email codes.\n{% if \
           required_not_enrolled %}Still to set up MFA:\n{% for p in required_not_enrolled %}- {{ p }}\n{% endfor \
           %}{% endif %}\nMFA resets by administrators:{% if resets %}\n{% for r in resets %}- {{ r \
           }}\n{% endfor %}{% else %} none.\n{% endif %}\nBursts of failed sign-ins:{% if failed_sign_ins %}\n{% for f \
           in failed_sign_ins %}- {{ f }}\n{% endfor %}{% else %} none.\n{% endif %}\nChanges to the MFA policy and \
           roles:{% if rule_changes %}\n{% for c in rule_changes %}- {{ c }}\n{% endfor %}{% else %} none.\n{% endif \
           %}\nThe activity log: {{ link }}\n",
    html: "<p>Hello {{ name }},</p>\n<p>The week in {{ org_name }} ({{ week }}).</p>\n<h2>MFA</h2>\n<p>{{ with_mfa }} of {{ \
           members }} with an authenticator app, {{ with_email_codes }} with email codes.</p>\n{% if required_not_enrolled %}<p>Still to set up MFA:</p>\n<ul>{% for p in \
           required_not_enrolled %}<li>{{ p }}</li>{% endfor %}</ul>\n{% endif %}<h2>MFA resets by \
           administrators</h2>\n{% if resets %}<ul>{% for r in resets %}<li>{{ r }}</li>{% endfor %}</ul>{% else \
           %}<p>None.</p>{% endif %}\n<h2>Bursts of failed sign-ins</h2>\n{% if failed_sign_ins %}<ul>{% for f in \
           failed_sign_ins %}<li>{{ f }}</li>{% endfor %}</ul>{% else %}<p>None.</p>{% endif %}\n<h2>Changes to the MFA \
           policy and roles</h2>\n{% if rule_changes %}<ul>{% for c in rule_changes %}<li>{{ c }}</li>{% endfor \
           %}</ul>{% else %}<p>None.</p>{% endif %}\n<p><a href=\"{{ link }}\">Open the activity log</a></p>\n",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::template::check;

    #[test]
    fn every_default_passes_the_rules_it_sets_for_others() {
        for kind in MailKind::ALL {
            let spec = kind.spec();
            let known = kind.variable_names();
            check(&kind.default_parts(), &known, spec.required, &kind.sample())
                .unwrap_or_else(|p| panic!("{}: {p}", kind.id()));
            let ending = Parts { subject: "x".into(), text: spec.if_not_you.into(), html: spec.if_not_you.into() };
            check(&ending, &known, &[], &kind.sample()).unwrap_or_else(|p| panic!("{} ending: {p}", kind.id()));
            assert_eq!(MailKind::from_id(kind.id()), Some(kind));
            for r in spec.required {
                assert!(known.contains(r), "{}: {r} is required but not given", kind.id());
            }
        }
        let mut ids: Vec<_> = MailKind::ALL.iter().map(|k| k.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), MailKind::ALL.len(), "ids are unique");
    }
}
