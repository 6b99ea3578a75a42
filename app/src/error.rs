//! The one error every server function returns. It is a closed set: each variant has a fixed
//! message for people, and what crosses the wire is a short code, never text. Library and
//! framework errors become `BadRequest` or `Internal` (their text is logged on the server only),
//! so nothing a library or an attacker wrote can reach a page, whatever is put in a URL.

use std::fmt;

/// Writes and reads the short, space-free codes of the closed enums below.
macro_rules! codes {
    ($ty:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            pub fn code(self) -> &'static str {
                match self {
                    $($ty::$variant => $code),+
                }
            }

            pub fn from_code(code: &str) -> Option<$ty> {
                match code {
                    $($code => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

/// A form field an error can be about; its `name` is the `name` of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    Password,
    /// The new password typed a second time.
    PasswordAgain,
    /// The password in use now, to change it.
    CurrentPassword,
    /// The address an account is moving to.
    NewEmail,
    Code,
    OrgName,
    OrgKind,
    DisplayName,
    /// The name of a person being invited.
    Name,
    RoleName,
    Role,
    Permissions,
    Policy,
    GraceDays,
    /// Days after which passwords expire.
    MaxAgeDays,
    Hours,
    TimeZone,
    /// The parts of a mail template.
    Subject,
    TextBody,
    HtmlBody,
    /// How an administrator verified who asked for an MFA reset.
    VerifiedBy,
    /// A member's corrected email address, typed by an administrator.
    MemberEmail,
    /// The roles whose people may use email codes.
    EmailCodeRoles,
    /// A list of people to invite.
    Addresses,
    /// An application's redirect URIs, one per line.
    RedirectUris,
    /// An application's URIs for after sign-out, one per line.
    LogoutUris,
    /// Where a sign-in provider's accounts may come from: domains or tenant ids, one per line.
    AccountsFrom,
    /// Domains whose verified addresses link a provider account by themselves.
    TrustEmailFrom,
    /// Domains whose verified addresses make new members.
    CreateFrom,
}

codes!(Field {
    Email => "email",
    Password => "password",
    PasswordAgain => "password_again",
    CurrentPassword => "current_password",
    NewEmail => "new_email",
    Code => "code",
    OrgName => "org_name",
    OrgKind => "org_kind",
    DisplayName => "display_name",
    Name => "name",
    RoleName => "role_name",
    Role => "role",
    Permissions => "permissions",
    Policy => "policy",
    GraceDays => "grace_days",
    MaxAgeDays => "days",
    Hours => "hours",
    TimeZone => "time_zone",
    Subject => "subject",
    TextBody => "text",
    HtmlBody => "html",
    VerifiedBy => "verified_by",
    MemberEmail => "member_email",
    EmailCodeRoles => "roles",
    Addresses => "addresses",
    RedirectUris => "redirect_uris",
    LogoutUris => "logout_uris",
    AccountsFrom => "accounts_from",
    TrustEmailFrom => "trust_email_from",
    CreateFrom => "create_from",
});

impl Field {
    /// The `name` (and `id`) of the form input.
    pub fn name(self) -> &'static str {
        match self {
            // The role form's input is called `name` like any other name field.
            Field::RoleName => "name",
            // The business hours are three inputs; errors sit under the first.
            Field::Hours => "start",
            other => other.code(),
        }
    }

    /// How a message names the field in the middle of a sentence.
    fn noun(self) -> &'static str {
        match self {
            Field::Email => "the email address",
            Field::Password => "the password",
            Field::PasswordAgain => "the password again",
            Field::CurrentPassword => "your current password",
            Field::NewEmail => "the new email address",
            Field::Code => "the code",
            Field::OrgName => "the organisation name",
            Field::OrgKind => "the type of organisation",
            Field::DisplayName => "your name",
            Field::Name => "the name",
            Field::RoleName => "the role name",
            Field::Role => "a role",
            Field::Permissions => "permissions",
            Field::Policy => "a policy",
            Field::GraceDays => "the grace period",
            Field::MaxAgeDays => "the number of days",
            Field::Hours => "the business hours",
            Field::TimeZone => "a time zone",
            Field::Subject => "the subject",
            Field::TextBody => "the plain-text body",
            Field::HtmlBody => "the HTML body",
            Field::VerifiedBy => "how you verified who is asking",
            Field::MemberEmail => "their email address",
            Field::EmailCodeRoles => "the roles that may use email codes",
            Field::Addresses => "the email addresses",
            Field::RedirectUris => "the redirect URIs",
            Field::LogoutUris => "the URIs for after sign-out",
            Field::AccountsFrom => "the domains or tenants",
            Field::TrustEmailFrom => "the trusted domains",
            Field::CreateFrom => "the domains new members come from",
        }
    }
}

/// Why a new password was refused beyond its length, from the password checker's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Common,
    Keyboard,
    Repeats,
    Sequences,
    Dates,
    SingleWord,
    Names,
    /// Nothing but the person's own names, address and organisation.
    OwnWords,
    General,
}

codes!(Hint {
    Common => "common",
    Keyboard => "keyboard",
    Repeats => "repeats",
    Sequences => "sequences",
    Dates => "dates",
    SingleWord => "word",
    Names => "names",
    OwnWords => "own-words",
    General => "general",
});

impl Hint {
    fn message(self) -> &'static str {
        match self {
            Hint::Common => "This password is too easy to guess: it is commonly used.",
            Hint::Keyboard => "This password is too easy to guess: keyboard patterns are tried early.",
            Hint::Repeats => "This password is too easy to guess: repeats like \"aaa\" or \"abcabc\" are tried early.",
            Hint::Sequences => {
                "This password is too easy to guess: sequences like \"abc\" or \"6543\" are tried early."
            }
            Hint::Dates => "This password is too easy to guess: dates and years are tried early.",
            Hint::SingleWord => "This password is too easy to guess: a word by itself is tried early.",
            Hint::Names => "This password is too easy to guess: names are tried early.",
            Hint::OwnWords => {
                "This password is made only of your own name, email address or organisation's name (with digits or punctuation between), which anyone who knows you would try first."
            }
            Hint::General => "This password is too easy to guess.",
        }
    }
}

/// What is wrong with a mail template, as the engine's rules found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateIssue {
    Empty,
    TooLong,
    /// A variable the mail does not have (its name is not sent: the line points at it).
    UnknownVariable,
    MissingLink,
    MissingCode,
    Syntax,
    UnknownFilter,
    UnknownTest,
    /// An operation the engine cannot do with these values.
    Operation,
    OutputTooLarge,
    TooMuchWork,
    /// The subject uses the one-time code.
    CodeInSubject,
}

codes!(TemplateIssue {
    Empty => "empty",
    TooLong => "too-long",
    UnknownVariable => "unknown-variable",
    MissingLink => "missing-link",
    MissingCode => "missing-code",
    Syntax => "syntax",
    UnknownFilter => "unknown-filter",
    UnknownTest => "unknown-test",
    Operation => "operation",
    OutputTooLarge => "output-too-large",
    TooMuchWork => "too-much-work",
    CodeInSubject => "code-in-subject",
});

impl TemplateIssue {
    fn message(self) -> &'static str {
        match self {
            TemplateIssue::Empty => "It is empty. Write it, or go back to the default.",
            TemplateIssue::TooLong => "It is too long: at most 300 characters for the subject, 20,000 for a body.",
            TemplateIssue::UnknownVariable => {
                "It uses a variable this mail does not have. Use only the variables listed on this page."
            }
            TemplateIssue::MissingLink => "It must use {{ link }}: without the link the mail is of no use.",
            TemplateIssue::MissingCode => "It must use {{ code }}: without the code the mail is of no use.",
            TemplateIssue::Syntax => {
                "It is not a valid template: check that every {{ has its }}, and every {% if %} or {% for %} its {% endif %} or {% endfor %}."
            }
            TemplateIssue::UnknownFilter => {
                "It uses a filter that mail templates do not have. Use upper, lower, title, capitalize, trim, default, length, first, last or join."
            }
            TemplateIssue::UnknownTest => "It uses a test that mail templates do not have. Use defined, undefined or none.",
            TemplateIssue::Operation => "It does something the template engine cannot do with these values. Simplify it.",
            TemplateIssue::OutputTooLarge => {
                "With the sample data it comes out too long (over 100 KB for a body, 500 bytes for the subject). Shorten it."
            }
            TemplateIssue::TooMuchWork => "It takes too much work to render. Simplify its loops.",
            TemplateIssue::CodeInSubject => {
                "It must not use {{ code }}: phones show a mail's subject on the lock screen. Keep the code in the body."
            }
        }
    }
}

/// What is wrong with a line of a list of people to invite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListIssue {
    NotAnEmail,
    Name,
    /// An account with that address exists.
    HasAccount,
    /// Invited before with permissions the actor does not hold.
    NotYours,
    /// URIs of an application: not a full address, not https, with credentials, with a
    /// fragment, too long.
    NotAnAddress,
    NotHttps,
    UriCredentials,
    UriFragment,
    UriTooLong,
    /// Sign-in methods: not a domain, not a tenant id, a tenant the provider does not take.
    NotADomain,
    NotATenant,
    TenantNotAccepted,
}

codes!(ListIssue {
    NotAnEmail => "not-email",
    Name => "name",
    HasAccount => "has-account",
    NotYours => "not-yours",
    NotAnAddress => "not-address",
    NotHttps => "not-https",
    UriCredentials => "uri-credentials",
    UriFragment => "uri-fragment",
    UriTooLong => "uri-too-long",
    NotADomain => "not-domain",
    NotATenant => "not-tenant",
    TenantNotAccepted => "tenant-not-accepted",
});

impl ListIssue {
    fn message(self) -> &'static str {
        match self {
            ListIssue::NotAnEmail => "there is no email address like name@example.com on it.",
            ListIssue::Name => "the name is longer than 100 characters or contains control characters.",
            ListIssue::HasAccount => "an account with that email address already exists. Remove the line.",
            ListIssue::NotYours => {
                "they were invited with permissions you do not hold, so only someone who holds them can invite them again. Remove the line."
            }
            ListIssue::NotAnAddress => "not a full address. Write it like https://wiki.example.org/callback.",
            ListIssue::NotHttps => {
                "use https. Plain http is allowed only on the machine itself (localhost, 127.0.0.1 or [::1])."
            }
            ListIssue::UriCredentials => "remove the user name and password from the address.",
            ListIssue::UriFragment => "remove the #fragment at the end.",
            ListIssue::UriTooLong => "the address is longer than 2,000 characters.",
            ListIssue::NotADomain => "not a domain name. Write only the part after the @, like example.org.",
            ListIssue::NotATenant => {
                "not a tenant id. Copy the Directory (tenant) ID from Microsoft Entra, like 72f988bf-86f1-41af-91ab-2d7cd011db47."
            }
            ListIssue::TenantNotAccepted => {
                "this Tessera does not accept that tenant. Use one listed below the field, or ask the operator to add it."
            }
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Missing,
    TooLong,
    ControlCharacters,
    NotAnEmail,
    /// Another organisation, account or role already has it.
    Taken,
    /// Not one of the choices offered.
    NotInList,
    PasswordTooShort {
        min: u16,
        have: u16,
    },
    PasswordTooLong {
        max: u16,
    },
    PasswordGuessable(Hint),
    WrongCode,
    /// A right code, already used: wait for the next one.
    CodeUsed,
    /// A sensitive change needs the actor's code and none came.
    CodeNeeded,
    /// An emailed code that ran out of time.
    CodeExpired,
    /// A number or time outside what is allowed, or not a number or time at all.
    OutOfRange,
    /// The business day ends before it starts.
    EndsBeforeStart,
    /// Not the address the one-time link was sent to.
    NotLinkAddress,
    /// The password typed again differs.
    Mismatch,
    /// Not the account's current password.
    NotCurrentPassword,
    /// The new password is the current one.
    SameAsCurrent,
    /// A mail template breaks a rule, on this line (0: the part as a whole).
    Template {
        issue: TemplateIssue,
        line: u16,
    },
    /// A way of verifying someone that does not prove who they are (an email alone).
    NotEnoughProof,
    /// A temporary access code that is wrong or was used already.
    AccessCodeWrong,
    /// A temporary access code that ran out of time.
    AccessCodeExpired,
    /// A line of a list that cannot be used: the first, and how many more lines have a problem.
    InList {
        issue: ListIssue,
        line: u16,
        more: u16,
    },
    /// A list longer than allowed.
    TooMany {
        max: u16,
        have: u16,
    },
}

impl Problem {
    fn write(self, out: &mut String) {
        match self {
            Problem::Missing => out.push_str("missing"),
            Problem::TooLong => out.push_str("too-long"),
            Problem::ControlCharacters => out.push_str("control"),
            Problem::NotAnEmail => out.push_str("not-email"),
            Problem::Taken => out.push_str("taken"),
            Problem::NotInList => out.push_str("not-in-list"),
            Problem::PasswordTooShort { min, have } => out.push_str(&format!("short:{min}:{have}")),
            Problem::PasswordTooLong { max } => out.push_str(&format!("long:{max}")),
            Problem::PasswordGuessable(h) => {
                out.push_str("guessable:");
                out.push_str(h.code());
            }
            Problem::WrongCode => out.push_str("wrong-code"),
            Problem::CodeUsed => out.push_str("code-used"),
            Problem::CodeNeeded => out.push_str("code-needed"),
            Problem::CodeExpired => out.push_str("code-expired"),
            Problem::OutOfRange => out.push_str("range"),
            Problem::EndsBeforeStart => out.push_str("ends-first"),
            Problem::NotLinkAddress => out.push_str("not-link-address"),
            Problem::Mismatch => out.push_str("mismatch"),
            Problem::NotCurrentPassword => out.push_str("not-current"),
            Problem::SameAsCurrent => out.push_str("same-as-current"),
            Problem::Template { issue, line } => out.push_str(&format!("template:{}:{line}", issue.code())),
            Problem::NotEnoughProof => out.push_str("not-enough-proof"),
            Problem::AccessCodeWrong => out.push_str("access-code-wrong"),
            Problem::AccessCodeExpired => out.push_str("access-code-expired"),
            Problem::InList { issue, line, more } => out.push_str(&format!("list:{}:{line}:{more}", issue.code())),
            Problem::TooMany { max, have } => out.push_str(&format!("too-many:{max}:{have}")),
        }
    }

    fn read(s: &str) -> Option<Problem> {
        let parts: Vec<&str> = s.split(':').collect();
        let num = |i: usize| parts.get(i).and_then(|n| n.parse::<u16>().ok());
        let (p, arity) = match parts[0] {
            "missing" => (Problem::Missing, 1),
            "too-long" => (Problem::TooLong, 1),
            "control" => (Problem::ControlCharacters, 1),
            "not-email" => (Problem::NotAnEmail, 1),
            "taken" => (Problem::Taken, 1),
            "not-in-list" => (Problem::NotInList, 1),
            "short" => (Problem::PasswordTooShort { min: num(1)?, have: num(2)? }, 3),
            "long" => (Problem::PasswordTooLong { max: num(1)? }, 2),
            "guessable" => (Problem::PasswordGuessable(Hint::from_code(parts.get(1)?)?), 2),
            "wrong-code" => (Problem::WrongCode, 1),
            "code-used" => (Problem::CodeUsed, 1),
            "code-needed" => (Problem::CodeNeeded, 1),
            "code-expired" => (Problem::CodeExpired, 1),
            "range" => (Problem::OutOfRange, 1),
            "ends-first" => (Problem::EndsBeforeStart, 1),
            "not-link-address" => (Problem::NotLinkAddress, 1),
            "mismatch" => (Problem::Mismatch, 1),
            "not-current" => (Problem::NotCurrentPassword, 1),
            "same-as-current" => (Problem::SameAsCurrent, 1),
            "not-enough-proof" => (Problem::NotEnoughProof, 1),
            "access-code-wrong" => (Problem::AccessCodeWrong, 1),
            "access-code-expired" => (Problem::AccessCodeExpired, 1),
            "list" => {
                (Problem::InList { issue: ListIssue::from_code(parts.get(1)?)?, line: num(2)?, more: num(3)? }, 4)
            }
            "too-many" => (Problem::TooMany { max: num(1)?, have: num(2)? }, 3),
            "template" => (Problem::Template { issue: TemplateIssue::from_code(parts.get(1)?)?, line: num(2)? }, 3),
            _ => return None,
        };
        (parts.len() == arity).then_some(p)
    }

    /// The sentence shown under `field`.
    pub fn message(self, field: Field) -> String {
        let capital = |s: &str| {
            let mut c = s.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        };
        match (self, field) {
            (Problem::Missing, Field::Email) => "Enter an email address.".into(),
            (Problem::Missing, Field::Password) => "Enter a password.".into(),
            (Problem::Missing, Field::Code) => "Enter the code from your authenticator app.".into(),
            (Problem::Missing, Field::VerifiedBy) => {
                "Choose how you verified who is asking. If you have not, do that first: an MFA reset hands over the account.".into()
            }
            (Problem::Missing, Field::EmailCodeRoles) => {
                "Choose at least one role whose people may use email codes, or turn email codes off.".into()
            }
            (Problem::Missing, Field::Addresses) => "Enter at least one email address, one per line.".into(),
            (Problem::Missing, Field::RedirectUris) => {
                "Enter at least one redirect URI, one per line: the address the application receives the sign-in at.".into()
            }
            (Problem::Missing, f) => format!("Enter {}.", f.noun()),
            (Problem::TooLong, Field::Email) => "That email address is too long.".into(),
            (Problem::TooLong, f) => format!("{} must be at most 100 characters.", capital(f.noun())),
            (Problem::ControlCharacters, f) => format!("{} cannot contain control characters.", capital(f.noun())),
            (Problem::NotAnEmail, _) => "Enter an email address like name@example.com.".into(),
            (Problem::Taken, Field::OrgName) => "There is already an organisation with that name.".into(),
            (Problem::Taken, Field::Email) => "An account with that email address already exists.".into(),
            (Problem::Taken, Field::NewEmail) => {
                "Another account uses that address now, so nothing changed. Ask for a change to another address.".into()
            }
            (Problem::Taken, Field::RoleName) => "A role with that name already exists.".into(),
            (Problem::Taken, Field::MemberEmail) => {
                "Another account uses that address, so nothing changed. Check the address with them.".into()
            }
            (Problem::Taken, f) => format!("{} is already taken.", capital(f.noun())),
            (Problem::NotInList, Field::Role) => "Choose a role from the list.".into(),
            (Problem::NotInList, f) => format!("Choose {} from the list.", f.noun()),
            (Problem::PasswordTooShort { min, have }, _) => format!(
                "Use at least {min} characters (you have {have}). A few unrelated words make a strong, memorable password."
            ),
            (Problem::PasswordTooLong { max }, _) => format!("Use at most {max} characters."),
            (Problem::PasswordGuessable(h), _) => {
                format!("{} Add another word or two; uncommon words are better.", h.message())
            }
            (Problem::WrongCode, _) => WRONG_CODE.into(),
            (Problem::CodeUsed, _) => {
                "That code has already been used. Wait for your app to show the next code, then enter that one.".into()
            }
            (Problem::CodeNeeded, _) => "Enter the code from your authenticator app to confirm it is you.".into(),
            (Problem::CodeExpired, _) => "That code has expired: codes work for 10 minutes. Ask for a new code.".into(),
            (Problem::OutOfRange, Field::GraceDays) => {
                "Enter the grace period as a whole number of days, from 0 to 365.".into()
            }
            (Problem::OutOfRange, Field::MaxAgeDays) => {
                "Enter a whole number of days from 30 to 365, or leave it empty so that passwords never expire.".into()
            }
            (Problem::OutOfRange, Field::Hours) => {
                "Enter opening and closing times between 00:00 and 24:00, and choose an offset from the list.".into()
            }
            (Problem::OutOfRange, f) => format!("Enter {} within the range allowed.", f.noun()),
            (Problem::EndsBeforeStart, _) => "The working day must end after it starts.".into(),
            (Problem::NotLinkAddress, _) => {
                "That is not the address this link was sent to. Enter the email address that received the reset mail."
                    .into()
            }
            (Problem::Mismatch, _) => "The two passwords are different. Type the new password again.".into(),
            (Problem::NotCurrentPassword, _) => {
                "That is not your current password. Type the password you signed in with.".into()
            }
            (Problem::SameAsCurrent, Field::NewEmail) => "That is already your email address. Enter the new one.".into(),
            (Problem::SameAsCurrent, Field::MemberEmail) => {
                "That is already their email address. Enter the corrected one.".into()
            }
            (Problem::SameAsCurrent, _) => "That is your current password. Choose a new one.".into(),
            (Problem::Template { issue, line: 0 }, _) => issue.message().into(),
            (Problem::Template { issue, line }, _) => format!("Line {line}: {}", issue.message()),
            (Problem::NotEnoughProof, _) => "An email alone does not prove who is asking: a taken-over or look-alike mailbox sends them too. Verify them in person, on a video call, by calling a number on record or through an authenticated ticket, then choose that.".into(),
            (Problem::AccessCodeWrong, _) => {
                "That access code didn't work. Check it with the person who gave it to you: each code works once.".into()
            }
            (Problem::AccessCodeExpired, _) => {
                "That access code has expired. Ask the person who reset your MFA for a new one.".into()
            }
            (Problem::InList { issue, line, more }, f) => {
                let others = match more {
                    0 => String::new(),
                    1 => " One more line has a problem too.".into(),
                    n => format!(" {n} more lines have problems too."),
                };
                let then = match f {
                    Field::Addresses => "Nobody was invited: correct the list and send it again.",
                    _ => "Nothing was saved: correct it and save again.",
                };
                format!("Line {line}: {}{others} {then}", issue.message())
            }
            (Problem::TooMany { max, have }, Field::Addresses) => {
                format!("The list has {have} addresses; one list invites at most {max}. Send the rest in a second list.")
            }
            (Problem::TooMany { max, have }, f) => format!("{} are {have}; at most {max} are allowed.", capital(f.noun())),
        }
    }
}

const WRONG_CODE: &str = "That code didn't work. Check it and try again.";

/// How the failure budget's wait grows (`tessera_server::throttle::RULE`, which a test holds
/// this to: the browser build has no server crate to take it from).
const WAIT_RULE: &str =
    "After 5 wrong tries in a row, each further try waits longer: 1 second, then 2, 4, 8 and so on, up to 15 minutes.";

/// Why the rules refused an action, for the person who tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's role lacks the permission the action needs.
    MissingPermission,
    OtherOrganisation,
    OwnAccount,
    ProtectedOwner,
    /// Giving a role with permissions the actor does not hold.
    Escalation,
    /// The organisation does not offer MFA (policy Hidden).
    MfaNotOffered,
    /// MFA is required, so it cannot be turned off.
    MfaRequired,
    /// Healthcare organisations must require MFA.
    HealthcareRequiresMfa,
    /// Healthcare organisations must use an authenticator app (no email codes).
    HealthcareRequiresApp,
    /// Only with an authenticator app (an emailed code cannot confirm it).
    NeedsApp,
    /// The target holds a permission the actor lacks.
    Outranked,
    /// The organisation requires sign-in with a provider: a password alone does not sign in.
    ProviderRequired,
    /// The same, so a provider link stays.
    LinkRequired,
    /// Provider sign-in cannot be required with no provider on.
    NoProviderOn,
    /// The last provider on cannot be turned off while provider sign-in is required.
    LastProviderOn,
}

codes!(Refusal {
    MissingPermission => "permission",
    OtherOrganisation => "other-org",
    OwnAccount => "own-account",
    ProtectedOwner => "owner",
    Escalation => "escalation",
    MfaNotOffered => "mfa-not-offered",
    MfaRequired => "mfa-required",
    HealthcareRequiresMfa => "healthcare",
    HealthcareRequiresApp => "healthcare-app",
    NeedsApp => "needs-app",
    Outranked => "outranked",
    ProviderRequired => "provider-required",
    LinkRequired => "link-required",
    NoProviderOn => "no-provider-on",
    LastProviderOn => "last-provider-on",
});

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::MissingPermission => {
                "Your role does not allow this. Ask an owner of your organisation if you need it."
            }
            Refusal::OtherOrganisation => "That person is not a member of your organisation.",
            Refusal::OwnAccount => "You cannot do this to your own account here; use your account security page.",
            Refusal::ProtectedOwner => "Only an owner can do this to an owner.",
            Refusal::Escalation => "You can only give roles whose permissions you hold yourself.",
            Refusal::MfaNotOffered => "Your organisation does not offer MFA.",
            Refusal::MfaRequired => "Your organisation requires MFA, so it cannot be turned off.",
            Refusal::HealthcareRequiresMfa => "Healthcare organisations must require MFA.",
            Refusal::NeedsApp => {
                "Changing your email address needs an authenticator app: an emailed code cannot confirm it. Set up an authenticator app first, or ask an administrator."
            }
            Refusal::HealthcareRequiresApp => {
                "Healthcare organisations must use an authenticator app, so email codes cannot be allowed."
            }
            Refusal::Outranked => {
                "This person holds permissions your role does not have. Ask an owner or someone with their role."
            }
            Refusal::ProviderRequired => {
                "Your organisation requires signing in with a provider: go back to the sign-in page and use its \"Sign in with\" button. Your password alone no longer signs you in."
            }
            Refusal::LinkRequired => {
                "Your organisation requires signing in with a provider, so your link stays. Ask an owner if it must change."
            }
            Refusal::NoProviderOn => {
                "Turn on at least one sign-in provider first: with none, nobody but the owners could sign in."
            }
            Refusal::LastProviderOn => {
                "Sign-in with a provider is required, so one must stay on. Stop requiring it first, or turn another provider on."
            }
        }
    }
}

/// The step-up page ("Confirm it is you"), set to come back to `back` once the second factor is
/// proven. Account security is where it comes back to by default, saying the person is verified.
/// The page checks `next` again; this only builds the link.
pub fn step_up_page(back: Option<&str>) -> String {
    match back.filter(|b| !b.is_empty() && *b != "/account/security") {
        // A plain path reads as it is; one with a query of its own is encoded.
        Some(back) if back.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b)) => {
            format!("/account/security/verify?next={back}")
        }
        Some(back) => {
            // Percent-encoded as a form would (the browser build has no URL-encoding crate).
            let next: String = back
                .bytes()
                .map(|b| match b.is_ascii_alphanumeric() || b"*-._".contains(&b) {
                    true => char::from(b).to_string(),
                    false => format!("%{b:02X}"),
                })
                .collect();
            format!("/account/security/verify?next={next}")
        }
        None => "/account/security/verify".to_string(),
    }
}

/// The pages the sign-in pipeline's own steps are done on, where a refusal sends the person.
pub mod pages {
    pub const CHALLENGE: &str = "/login/mfa";
    pub const ENROL_REQUIRED: &str = "/account/security/enrol-required";
    pub const PASSWORD_EXPIRED: &str = "/account/security/password-expired";
    pub const ACCOUNT_DISABLED: &str = "/login/disabled";
}

/// The error of every server function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// The request could not be read: not a form, missing or malformed fields.
    BadRequest,
    /// A GET (or another method) to a function that takes a POST.
    MethodNotAllowed,
    /// The body is not `application/x-www-form-urlencoded`.
    UnsupportedMediaType,
    PayloadTooLarge,
    /// No session, or it ended.
    SignInFirst,
    /// Only the MFA challenge is open to a half-finished sign-in.
    ChallengeFirst,
    /// The MFA policy confines this session to enrolment.
    EnrolFirst,
    /// The password expired: a new one first.
    PasswordExpired,
    /// Wrong email or password (also for unknown accounts and accounts that must wait).
    WrongCredentials,
    /// The right password for a disabled account: the page that says so and what to do.
    AccountDisabled,
    /// A sensitive change needs a fresh second factor first: the step-up page, then back to this
    /// page. `None` until `http::form_posts` names the form's own page from the access table; a
    /// function names another only where it knows better (a draft it kept).
    StepUpFirst(Option<String>),
    /// The first sign-in step was skipped or has expired.
    EmailFirst,
    /// A setup or set-password link that is unknown, used or expired.
    LinkInvalid,
    /// A password reset link that is unknown, used, replaced or expired.
    ResetLinkInvalid,
    /// A link confirming a new email address that is unknown, used, replaced or expired.
    EmailLinkInvalid,
    /// An enrolment that took too long and was cancelled.
    EnrolmentExpired,
    /// Fields with problems.
    Invalid(Vec<(Field, Problem)>),
    Refused(Refusal),
    NotFound,
    /// Too many sign-in requests from this network; try again in this many seconds.
    TooManyAttempts(u32),
    /// The address's failure budget is spent (the same for known and unknown addresses); try
    /// again in this many seconds.
    AccountWaiting(u32),
    /// Too many wrong codes for this account; try again in this many seconds.
    CodesWaiting(u32),
    /// A new code by mail can be asked for in this many seconds (one a minute, five an hour).
    ResendWait(u32),
    /// A new confirmation link for an email change can be asked for in this many seconds.
    LinkWait(u32),
    /// Every password-hashing slot is taken; try again in a second.
    Busy,
    /// The browser could not reach Tessera (only ever made in the browser).
    Offline,
    /// Anything else; the details are in the server log.
    Internal,
}

impl AppError {
    /// One problem with one field.
    pub fn field(field: Field, problem: Problem) -> AppError {
        AppError::Invalid(vec![(field, problem)])
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest => 400,
            AppError::SignInFirst | AppError::ChallengeFirst | AppError::WrongCredentials | AppError::EmailFirst => 401,
            AppError::EnrolFirst
            | AppError::PasswordExpired
            | AppError::StepUpFirst(_)
            | AppError::Refused(_)
            | AppError::AccountDisabled => 403,
            AppError::NotFound | AppError::LinkInvalid | AppError::ResetLinkInvalid | AppError::EmailLinkInvalid => 404,
            AppError::MethodNotAllowed => 405,
            AppError::EnrolmentExpired => 409,
            AppError::PayloadTooLarge => 413,
            AppError::UnsupportedMediaType => 415,
            AppError::Invalid(problems) => {
                if problems
                    .iter()
                    .any(|(_, p)| matches!(p, Problem::WrongCode | Problem::CodeUsed | Problem::AccessCodeWrong))
                {
                    401
                } else {
                    422
                }
            }
            AppError::TooManyAttempts(_)
            | AppError::AccountWaiting(_)
            | AppError::CodesWaiting(_)
            | AppError::ResendWait(_)
            | AppError::LinkWait(_) => 429,
            AppError::Internal => 500,
            AppError::Busy | AppError::Offline => 503,
        }
    }

    /// Seconds to wait before trying again, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            AppError::TooManyAttempts(s)
            | AppError::AccountWaiting(s)
            | AppError::CodesWaiting(s)
            | AppError::ResendWait(s)
            | AppError::LinkWait(s) => Some((*s).max(1)),
            AppError::Busy => Some(1),
            _ => None,
        }
    }

    /// Where the person should go instead of seeing the error on the form: the step of sign-in
    /// they are at, or the page that lets them go on.
    pub fn location(&self) -> Option<String> {
        match self {
            AppError::SignInFirst | AppError::EmailFirst => Some("/login".into()),
            AppError::ChallengeFirst => Some(pages::CHALLENGE.into()),
            AppError::EnrolFirst => Some(pages::ENROL_REQUIRED.into()),
            AppError::PasswordExpired => Some(pages::PASSWORD_EXPIRED.into()),
            AppError::AccountDisabled => Some(pages::ACCOUNT_DISABLED.into()),
            AppError::StepUpFirst(back) => Some(step_up_page(back.as_deref())),
            AppError::EnrolmentExpired => Some("/account/security?expired".into()),
            _ => None,
        }
    }

    /// The problem with `field`, worded, if there is one.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(problems) => problems.iter().find(|(f, _)| f.name() == field).map(|(f, p)| p.message(*f)),
            _ => None,
        }
    }

    /// The message for the whole form; `None` for field problems, which sit under their fields.
    pub fn form_message(&self) -> Option<String> {
        match self {
            AppError::Invalid(_) => None,
            other => Some(other.to_string()),
        }
    }

    /// The code that crosses the wire: variant names and numbers only, never free text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let simple = match self {
            AppError::BadRequest => "bad-request",
            AppError::MethodNotAllowed => "method",
            AppError::UnsupportedMediaType => "media-type",
            AppError::PayloadTooLarge => "too-large",
            AppError::SignInFirst => "sign-in",
            AppError::ChallengeFirst => "challenge",
            AppError::EnrolFirst => "enrol",
            AppError::PasswordExpired => "password-expired",
            AppError::WrongCredentials => "credentials",
            AppError::AccountDisabled => "account-disabled",
            AppError::EmailFirst => "email-first",
            AppError::LinkInvalid => "link",
            AppError::ResetLinkInvalid => "reset-link",
            AppError::EmailLinkInvalid => "email-link",
            AppError::EnrolmentExpired => "enrolment-expired",
            AppError::NotFound => "not-found",
            AppError::Busy => "busy",
            AppError::Offline => "offline",
            AppError::Internal => "internal",
            AppError::Invalid(problems) => {
                out.push_str("invalid");
                for (f, p) in problems {
                    out.push(' ');
                    out.push_str(f.code());
                    out.push('=');
                    p.write(&mut out);
                }
                return out;
            }
            AppError::Refused(r) => return format!("refused {}", r.code()),
            AppError::StepUpFirst(None) => "step-up",
            AppError::StepUpFirst(Some(back)) => return format!("step-up {back}"),
            AppError::TooManyAttempts(s) => return format!("too-many {s}"),
            AppError::AccountWaiting(s) => return format!("waiting {s}"),
            AppError::CodesWaiting(s) => return format!("codes-waiting {s}"),
            AppError::ResendWait(s) => return format!("resend-wait {s}"),
            AppError::LinkWait(s) => return format!("link-wait {s}"),
        };
        simple.to_string()
    }

    /// Reads a code written by [`AppError::encode`]; anything else is `Internal`, so a forged
    /// code can only ever show one of the fixed messages.
    pub fn decode(s: &str) -> AppError {
        Self::try_decode(s).unwrap_or(AppError::Internal)
    }

    fn try_decode(s: &str) -> Option<AppError> {
        let mut words = s.trim().split(' ');
        let e = match words.next()? {
            "bad-request" => AppError::BadRequest,
            "method" => AppError::MethodNotAllowed,
            "media-type" => AppError::UnsupportedMediaType,
            "too-large" => AppError::PayloadTooLarge,
            "sign-in" => AppError::SignInFirst,
            "challenge" => AppError::ChallengeFirst,
            "enrol" => AppError::EnrolFirst,
            "password-expired" => AppError::PasswordExpired,
            "credentials" => AppError::WrongCredentials,
            "account-disabled" => AppError::AccountDisabled,
            "step-up" => AppError::StepUpFirst(words.next().map(str::to_string)),
            "email-first" => AppError::EmailFirst,
            "link" => AppError::LinkInvalid,
            "reset-link" => AppError::ResetLinkInvalid,
            "email-link" => AppError::EmailLinkInvalid,
            "enrolment-expired" => AppError::EnrolmentExpired,
            "not-found" => AppError::NotFound,
            "busy" => AppError::Busy,
            "offline" => AppError::Offline,
            "internal" => AppError::Internal,
            "refused" => AppError::Refused(Refusal::from_code(words.next()?)?),
            "too-many" => AppError::TooManyAttempts(words.next()?.parse().ok()?),
            "waiting" => AppError::AccountWaiting(words.next()?.parse().ok()?),
            "codes-waiting" => AppError::CodesWaiting(words.next()?.parse().ok()?),
            "resend-wait" => AppError::ResendWait(words.next()?.parse().ok()?),
            "link-wait" => AppError::LinkWait(words.next()?.parse().ok()?),
            "invalid" => {
                let mut problems = Vec::new();
                for w in words.by_ref() {
                    let (f, p) = w.split_once('=')?;
                    problems.push((Field::from_code(f)?, Problem::read(p)?));
                }
                if problems.is_empty() {
                    return None;
                }
                return Some(AppError::Invalid(problems));
            }
            _ => return None,
        };
        words.next().is_none().then_some(e)
    }
}

/// A wait as people say it: seconds under a minute, whole minutes (rounded up) beyond.
fn wait(secs: u32) -> String {
    match secs {
        0 | 1 => "1 second".into(),
        2..=59 => format!("{secs} seconds"),
        _ => match secs.div_ceil(60) {
            1 => "1 minute".into(),
            m => format!("{m} minutes"),
        },
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            AppError::BadRequest => "The form could not be read. Reload the page and try again.",
            AppError::MethodNotAllowed => "This address only accepts form submissions.",
            AppError::UnsupportedMediaType => "Send this as a form (application/x-www-form-urlencoded).",
            AppError::PayloadTooLarge => "That is more than this form accepts. Shorten what you typed and try again.",
            AppError::SignInFirst => "Your session has ended. Sign in again to continue.",
            AppError::ChallengeFirst => "Finish signing in first: enter the code from your authenticator app.",
            AppError::EnrolFirst => "Set up MFA first: your organisation requires it.",
            AppError::PasswordExpired => "Your password has expired. Choose a new one to continue.",
            AppError::WrongCredentials => "Incorrect email or password.",
            AppError::AccountDisabled => {
                "Your account is disabled. Ask an owner or administrator of your organisation to enable it again."
            }
            AppError::StepUpFirst(_) => "Confirm it is you first: enter a code from your authenticator app.",
            AppError::EmailFirst => "Enter your email address first.",
            AppError::LinkInvalid => {
                "This link has expired, was already used, or is not complete. Ask whoever sent it for a new one."
            }
            AppError::ResetLinkInvalid => {
                "This reset link has expired, was already used, or was replaced by a newer one. Ask for a new link from the sign-in page."
            }
            AppError::EmailLinkInvalid => {
                "This confirmation link has expired, was already used, or was replaced by a newer one. Unless you confirmed with it already, your email address has not changed: ask for a new link on your account security page."
            }
            AppError::EnrolmentExpired => "The setup took too long and was cancelled. Please start again.",
            AppError::NotFound => "There is nothing here, or it is not part of your organisation.",
            AppError::Busy => "Tessera is busy right now. Please try again in a few seconds.",
            AppError::Offline => "Tessera could not be reached. Check your connection and try again.",
            AppError::Internal => "Tessera could not complete this request. Please try again in a moment.",
            AppError::Refused(r) => r.message(),
            AppError::TooManyAttempts(s) => {
                return write!(f, "Too many attempts from your network. Try again in {}.", wait(*s));
            }
            AppError::AccountWaiting(s) => {
                return write!(
                    f,
                    "Too many attempts to sign in to this account. Try again in {}; your password has not changed. {WAIT_RULE}",
                    wait(*s)
                );
            }
            AppError::CodesWaiting(s) => {
                return write!(f, "Too many wrong codes for this account. Try again in {}. {WAIT_RULE}", wait(*s));
            }
            AppError::LinkWait(s) => {
                return write!(
                    f,
                    "A confirmation link was sent a moment ago: check that mailbox (and its spam folder). You can ask for a new link in {}.",
                    wait(*s)
                );
            }
            AppError::ResendWait(s) => {
                return write!(
                    f,
                    "A code was sent a moment ago: check your email (and its spam folder). You can ask for a new code in {}.",
                    wait(*s)
                );
            }
            AppError::Invalid(problems) => match problems.first() {
                Some((field, p)) => return f.write_str(&p.message(*field)),
                None => "Please correct the fields marked below.",
            },
        };
        f.write_str(text)
    }
}

impl serde::Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> serde::Deserialize<'de> for AppError {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AppError, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(AppError::decode(&s))
    }
}

/// How server functions put an [`AppError`] on the wire: its code as plain text.
pub struct ErrorCodec;

impl leptos::server_fn::ContentType for ErrorCodec {
    const CONTENT_TYPE: &'static str = "text/plain; charset=utf-8";
}

impl leptos::server_fn::FormatType for ErrorCodec {
    const FORMAT_TYPE: leptos::server_fn::Format = leptos::server_fn::Format::Text;
}

impl leptos::server_fn::Encodes<AppError> for ErrorCodec {
    type Error = std::convert::Infallible;

    fn encode(e: &AppError) -> Result<leptos::server_fn::Bytes, Self::Error> {
        Ok(leptos::server_fn::Bytes::from(e.encode()))
    }
}

impl leptos::server_fn::Decodes<AppError> for ErrorCodec {
    type Error = std::convert::Infallible;

    fn decode(bytes: leptos::server_fn::Bytes) -> Result<AppError, Self::Error> {
        Ok(AppError::decode(&String::from_utf8_lossy(&bytes)))
    }
}

/// The name of a framework error's kind, for the log, without its text.
#[cfg(feature = "ssr")]
trait Kind {
    fn kind(&self) -> &'static str;
}

#[cfg(feature = "ssr")]
impl Kind for leptos::server_fn::error::ServerFnErrorErr {
    fn kind(&self) -> &'static str {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match self {
            E::Args(_) => "arguments",
            E::MissingArg(_) => "missing argument",
            E::Deserialization(_) => "body",
            _ => "other",
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = ErrorCodec;

    fn from_server_fn_error(e: leptos::server_fn::error::ServerFnErrorErr) -> AppError {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match e {
            // The arguments did not decode: the caller's fault, worded generically.
            E::Args(_) | E::MissingArg(_) | E::Deserialization(_) => {
                // Only the kind: a decoder's message can quote what was sent, passwords included.
                #[cfg(feature = "ssr")]
                tracing::info!(kind = e.kind(), "a server function got input it could not read");
                AppError::BadRequest
            }
            _ => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %e, "a server function failed");
                AppError::Internal
            }
        }
    }
}

/// The one mapping from what the use cases refuse to what a person is told. Anything internal is
/// logged here, with its text, and goes no further.
#[cfg(feature = "ssr")]
mod from_domain {
    use tessera_server::form_errors::{FieldErrors, FormError};
    use tessera_server::mfa::CodeError;
    use tessera_server::model::{ListIssue as L, Problem as P};
    use tessera_server::password::{Hint as H, Weakness};
    use tessera_server::roles::Refusal as R;
    use tessera_server::sign_in::SignInError;
    use tessera_server::team::TeamError;

    use super::*;

    impl From<tessera_server::Error> for AppError {
        fn from(e: tessera_server::Error) -> AppError {
            match e {
                tessera_server::Error::Busy => AppError::Busy,
                e => {
                    tracing::error!(error = %e, "a request failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<R> for Refusal {
        fn from(r: R) -> Refusal {
            match r {
                R::MissingPermission => Refusal::MissingPermission,
                R::OtherOrganisation => Refusal::OtherOrganisation,
                R::OwnAccount => Refusal::OwnAccount,
                R::ProtectedOwner => Refusal::ProtectedOwner,
                R::Escalation => Refusal::Escalation,
                R::MfaNotOffered => Refusal::MfaNotOffered,
                R::MfaRequired => Refusal::MfaRequired,
                R::HealthcareRequiresMfa => Refusal::HealthcareRequiresMfa,
                R::HealthcareRequiresApp => Refusal::HealthcareRequiresApp,
                R::NeedsApp => Refusal::NeedsApp,
                R::Outranked => Refusal::Outranked,
            }
        }
    }

    fn list_issue(i: L) -> ListIssue {
        match i {
            L::NotAnEmail => ListIssue::NotAnEmail,
            L::Name => ListIssue::Name,
            L::HasAccount => ListIssue::HasAccount,
            L::NotYours => ListIssue::NotYours,
            L::NotAnAddress => ListIssue::NotAnAddress,
            L::NotHttps => ListIssue::NotHttps,
            L::UriCredentials => ListIssue::UriCredentials,
            L::UriFragment => ListIssue::UriFragment,
            L::UriTooLong => ListIssue::UriTooLong,
            L::NotADomain => ListIssue::NotADomain,
            L::NotATenant => ListIssue::NotATenant,
            L::TenantNotAccepted => ListIssue::TenantNotAccepted,
        }
    }

    fn hint(h: H) -> Hint {
        match h {
            H::Common => Hint::Common,
            H::Keyboard => Hint::Keyboard,
            H::Repeats => Hint::Repeats,
            H::Sequences => Hint::Sequences,
            H::Dates => Hint::Dates,
            H::SingleWord => Hint::SingleWord,
            H::Names => Hint::Names,
            H::OwnWords => Hint::OwnWords,
            H::General => Hint::General,
        }
    }

    fn narrow(n: usize) -> u16 {
        u16::try_from(n).unwrap_or(u16::MAX)
    }

    impl From<P> for Problem {
        fn from(p: P) -> Problem {
            match p {
                P::Missing => Problem::Missing,
                P::TooLong => Problem::TooLong,
                P::ControlCharacters => Problem::ControlCharacters,
                P::NotAnEmail => Problem::NotAnEmail,
                P::Taken => Problem::Taken,
                P::NotInList => Problem::NotInList,
                P::OutOfRange => Problem::OutOfRange,
                P::EndsBeforeStart => Problem::EndsBeforeStart,
                P::NotLinkAddress => Problem::NotLinkAddress,
                P::Mismatch => Problem::Mismatch,
                P::NotCurrentPassword => Problem::NotCurrentPassword,
                P::SameAsCurrent => Problem::SameAsCurrent,
                P::NotEnoughProof => Problem::NotEnoughProof,
                P::InList { issue, line, more } => Problem::InList { issue: list_issue(issue), line, more },
                P::TooMany { max, have } => Problem::TooMany { max, have },
                P::Weak(Weakness::TooShort { min, have }) => {
                    Problem::PasswordTooShort { min: narrow(min), have: narrow(have) }
                }
                P::Weak(Weakness::TooLong { max }) => Problem::PasswordTooLong { max: narrow(max) },
                P::Weak(Weakness::Guessable(h)) => Problem::PasswordGuessable(hint(h)),
            }
        }
    }

    impl From<FieldErrors> for AppError {
        fn from(errors: FieldErrors) -> AppError {
            let mut problems = Vec::new();
            for (name, problem) in errors.0 {
                match Field::from_code(name) {
                    Some(field) => problems.push((field, problem.into())),
                    None => {
                        tracing::error!(field = name, "a use case named a field no form has");
                        return AppError::Internal;
                    }
                }
            }
            AppError::Invalid(problems)
        }
    }

    /// Whole seconds, rounded up: "try again in 0 seconds" would be a lie.
    fn whole_seconds(d: std::time::Duration) -> u32 {
        u32::try_from(d.as_millis().div_ceil(1000)).unwrap_or(u32::MAX)
    }

    impl From<SignInError> for AppError {
        fn from(e: SignInError) -> AppError {
            match e {
                SignInError::InvalidCredentials => AppError::WrongCredentials,
                SignInError::Disabled(_) => AppError::AccountDisabled,
                SignInError::Waiting(d) => AppError::AccountWaiting(whole_seconds(d)),
                SignInError::Busy => AppError::Busy,
                SignInError::ProviderRequired => AppError::Refused(Refusal::ProviderRequired),
                SignInError::EmailFirst => AppError::EmailFirst,
                SignInError::Internal(e) => e.into(),
            }
        }
    }

    impl From<FormError> for AppError {
        fn from(e: FormError) -> AppError {
            match e {
                FormError::Invalid(errors) => errors.into(),
                FormError::LinkInvalid => AppError::LinkInvalid,
                FormError::Busy => AppError::Busy,
                FormError::Internal(e) => e.into(),
            }
        }
    }

    impl From<CodeError> for AppError {
        fn from(e: CodeError) -> AppError {
            match e {
                CodeError::Invalid => AppError::field(Field::Code, Problem::WrongCode),
                CodeError::Replayed => AppError::field(Field::Code, Problem::CodeUsed),
                CodeError::Waiting(d) => AppError::CodesWaiting(whole_seconds(d)),
                CodeError::TooSoon(d) => AppError::ResendWait(whole_seconds(d)),
                CodeError::Expired => AppError::field(Field::Code, Problem::CodeExpired),
                // There is no authenticator or enrolment to check against: nothing to act on.
                CodeError::NotApplicable => AppError::NotFound,
                CodeError::StepUpRequired => AppError::StepUpFirst(None),
                CodeError::NotAllowed(r) => AppError::Refused(r.into()),
                CodeError::Internal(e) => e.into(),
            }
        }
    }

    impl From<tessera_server::account::AccountError> for AppError {
        fn from(e: tessera_server::account::AccountError) -> AppError {
            use tessera_server::account::AccountError as E;
            match e {
                E::StepUpRequired => AppError::StepUpFirst(None),
                E::Invalid(errors) => errors.into(),
                E::Waiting(d) => AppError::AccountWaiting(whole_seconds(d)),
                E::NotExpired => AppError::NotFound,
                E::ProviderRequired => AppError::Refused(Refusal::LinkRequired),
                E::Busy => AppError::Busy,
                E::Internal(e) => e.into(),
            }
        }
    }

    impl From<tessera_server::email_change::EmailChangeError> for AppError {
        fn from(e: tessera_server::email_change::EmailChangeError) -> AppError {
            use tessera_server::email_change::EmailChangeError as E;
            match e {
                E::StepUpRequired => AppError::StepUpFirst(None),
                E::Refused(r) => AppError::Refused(r.into()),
                E::Invalid(errors) => errors.into(),
                E::TooSoon(d) => AppError::LinkWait(whole_seconds(d)),
                E::LinkInvalid => AppError::EmailLinkInvalid,
                E::Taken => AppError::field(Field::NewEmail, Problem::Taken),
                E::Internal(e) => e.into(),
            }
        }
    }

    impl From<tessera_server::mail_templates::TemplateError> for AppError {
        fn from(e: tessera_server::mail_templates::TemplateError) -> AppError {
            use tessera_server::mail::template::{Part, Reason, Unreadable};
            use tessera_server::mail_templates::TemplateError as E;
            match e {
                E::Invalid(p) => {
                    let field = match p.part {
                        Part::Subject => Field::Subject,
                        Part::Text => Field::TextBody,
                        Part::Html => Field::HtmlBody,
                    };
                    let issue = match p.reason {
                        Reason::Empty => TemplateIssue::Empty,
                        Reason::TooLong => TemplateIssue::TooLong,
                        Reason::UnknownVariable { .. } => TemplateIssue::UnknownVariable,
                        Reason::MissingRequired("code") => TemplateIssue::MissingCode,
                        Reason::MissingRequired(_) => TemplateIssue::MissingLink,
                        Reason::Syntax(Unreadable::Syntax, _) => TemplateIssue::Syntax,
                        Reason::Syntax(Unreadable::UnknownFilter, _) => TemplateIssue::UnknownFilter,
                        Reason::Syntax(Unreadable::UnknownTest, _) => TemplateIssue::UnknownTest,
                        Reason::Syntax(Unreadable::Operation, _) => TemplateIssue::Operation,
                        Reason::OutputTooLarge => TemplateIssue::OutputTooLarge,
                        Reason::TooMuchWork => TemplateIssue::TooMuchWork,
                        Reason::CodeInSubject => TemplateIssue::CodeInSubject,
                    };
                    let line = p.line.and_then(|l| u16::try_from(l).ok()).unwrap_or(0);
                    AppError::field(field, Problem::Template { issue, line })
                }
                // The server function sends the editor to the step-up page itself, to come back
                // to the draft; anything else that meets this goes to the list.
                E::StepUpRequired => AppError::StepUpFirst(None),
                E::Forbidden => AppError::Refused(Refusal::MissingPermission),
                E::UnknownKind => AppError::NotFound,
                E::Internal(e) => e.into(),
            }
        }
    }

    impl From<tessera_server::applications::ApplicationError> for AppError {
        fn from(e: tessera_server::applications::ApplicationError) -> AppError {
            use tessera_server::applications::ApplicationError as E;
            match e {
                E::Invalid(errors) => errors.into(),
                E::BadRequest => AppError::BadRequest,
                E::StepUpRequired => AppError::StepUpFirst(None),
                E::Forbidden => AppError::Refused(Refusal::MissingPermission),
                E::NotFound => AppError::NotFound,
                E::Internal(e) => e.into(),
            }
        }
    }

    impl From<tessera_server::sso::MethodError> for AppError {
        fn from(e: tessera_server::sso::MethodError) -> AppError {
            use tessera_server::sso::MethodError as E;
            match e {
                E::Invalid(errors) => errors.into(),
                E::StepUpRequired => AppError::StepUpFirst(None),
                E::Forbidden => AppError::Refused(Refusal::MissingPermission),
                E::NotFound => AppError::NotFound,
                E::NoProvider => AppError::Refused(Refusal::NoProviderOn),
                E::LastProvider => AppError::Refused(Refusal::LastProviderOn),
                E::Internal(e) => e.into(),
            }
        }
    }

    impl From<TeamError> for AppError {
        fn from(e: TeamError) -> AppError {
            match e {
                TeamError::NotFound => AppError::NotFound,
                TeamError::Refused(r) => AppError::Refused(r.into()),
                TeamError::StepUpRequired => AppError::field(Field::Code, Problem::CodeNeeded),
                TeamError::WrongCode => AppError::field(Field::Code, Problem::WrongCode),
                TeamError::CodeUsed => AppError::field(Field::Code, Problem::CodeUsed),
                TeamError::Waiting(d) => AppError::CodesWaiting(whole_seconds(d)),
                // Callers that can answer "nothing to change" better do so before this.
                TeamError::NothingToChange => AppError::NotFound,
                TeamError::Invalid(errors) => errors.into(),
                TeamError::Internal(e) => e.into(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_up_comes_back_to_the_page_named_and_by_default_to_account_security() {
        assert_eq!(step_up_page(None), "/account/security/verify");
        assert_eq!(step_up_page(Some("/account/security")), "/account/security/verify");
        assert_eq!(
            step_up_page(Some("/settings/team/12/reset-mfa")),
            "/account/security/verify?next=/settings/team/12/reset-mfa"
        );
        // A page with a query of its own is one value of `next`, encoded as a form would.
        let with_query = step_up_page(Some("/settings/email/password-reset?draft&a=b+c%20d"));
        assert_eq!(
            with_query,
            "/account/security/verify?next=%2Fsettings%2Femail%2Fpassword-reset%3Fdraft%26a%3Db%2Bc%2520d"
        );
        #[cfg(feature = "ssr")]
        {
            let query = with_query.split_once('?').unwrap().1;
            let read: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
            assert_eq!(read, [("next".to_string(), "/settings/email/password-reset?draft&a=b+c%20d".to_string())]);
        }
        // What crosses the wire names the page, and reads back the same.
        let e = AppError::StepUpFirst(Some("/settings/team/invite/list".into()));
        assert_eq!(e.encode(), "step-up /settings/team/invite/list");
        assert_eq!(AppError::decode(&e.encode()), e);
        assert_eq!(AppError::decode("step-up"), AppError::StepUpFirst(None));
    }

    fn every_error() -> Vec<AppError> {
        let problems = vec![
            (Field::Email, Problem::Missing),
            (Field::Email, Problem::NotAnEmail),
            (Field::Password, Problem::PasswordTooShort { min: 15, have: 7 }),
            (Field::Password, Problem::PasswordTooLong { max: 128 }),
            (Field::Password, Problem::PasswordGuessable(Hint::Common)),
            (Field::Password, Problem::PasswordGuessable(Hint::OwnWords)),
            (Field::OrgName, Problem::Taken),
            (Field::Code, Problem::WrongCode),
            (Field::Code, Problem::CodeUsed),
            (Field::Hours, Problem::EndsBeforeStart),
            (Field::Email, Problem::NotLinkAddress),
            (Field::PasswordAgain, Problem::Mismatch),
            (Field::Code, Problem::CodeExpired),
            (Field::CurrentPassword, Problem::NotCurrentPassword),
            (Field::Password, Problem::SameAsCurrent),
            (Field::NewEmail, Problem::SameAsCurrent),
            (Field::NewEmail, Problem::Taken),
            (Field::TextBody, Problem::Template { issue: TemplateIssue::UnknownVariable, line: 3 }),
            (Field::HtmlBody, Problem::Template { issue: TemplateIssue::MissingLink, line: 0 }),
            (Field::VerifiedBy, Problem::Missing),
            (Field::MemberEmail, Problem::Taken),
            (Field::VerifiedBy, Problem::NotEnoughProof),
            (Field::Code, Problem::AccessCodeWrong),
            (Field::Code, Problem::AccessCodeExpired),
            (Field::Addresses, Problem::InList { issue: ListIssue::HasAccount, line: 12, more: 3 }),
            (Field::Addresses, Problem::InList { issue: ListIssue::NotAnEmail, line: 1, more: 0 }),
            (Field::Addresses, Problem::TooMany { max: 100, have: 140 }),
            (Field::Addresses, Problem::Missing),
        ];
        vec![
            AppError::BadRequest,
            AppError::MethodNotAllowed,
            AppError::UnsupportedMediaType,
            AppError::PayloadTooLarge,
            AppError::SignInFirst,
            AppError::ChallengeFirst,
            AppError::EnrolFirst,
            AppError::PasswordExpired,
            AppError::WrongCredentials,
            AppError::AccountDisabled,
            AppError::StepUpFirst(None),
            AppError::EmailFirst,
            AppError::LinkInvalid,
            AppError::ResetLinkInvalid,
            AppError::EmailLinkInvalid,
            AppError::StepUpFirst(Some("/settings/team/12/reset-mfa".into())),
            AppError::StepUpFirst(Some("/settings/email/password-reset?draft".into())),
            AppError::EnrolmentExpired,
            AppError::Invalid(problems),
            AppError::Refused(Refusal::ProtectedOwner),
            AppError::Refused(Refusal::NeedsApp),
            AppError::NotFound,
            AppError::TooManyAttempts(30),
            AppError::AccountWaiting(480),
            AppError::CodesWaiting(2),
            AppError::ResendWait(42),
            AppError::LinkWait(61),
            AppError::Busy,
            AppError::Offline,
            AppError::Internal,
        ]
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn waits_state_the_rule_in_force_as_the_mail_does() {
        assert_eq!(WAIT_RULE, tessera_server::throttle::RULE);
        assert!(AppError::AccountWaiting(1)
            .to_string()
            .contains("Try again in 1 second; your password has not changed."));
        assert!(AppError::AccountWaiting(1).to_string().ends_with(tessera_server::throttle::RULE));
        assert!(AppError::CodesWaiting(8).to_string().ends_with(tessera_server::throttle::RULE));
    }

    #[test]
    fn every_error_survives_the_wire() {
        for e in every_error() {
            let code = e.encode();
            assert!(code.is_ascii() && !code.contains('\n'), "{code}");
            assert_eq!(AppError::decode(&code), e, "{code}");
        }
    }

    #[test]
    fn anything_else_on_the_wire_is_a_generic_error() {
        for forged in [
            "",
            "Your account is locked, call +1 555 0100",
            "invalid",
            "invalid email=<script>",
            "invalid email=missing extra",
            "refused call-us",
            "too-many soon",
            "waiting forever",
            "waiting 5 minutes",
            "credentials and more",
            "guessable:common",
            "invalid password=guessable:phone-us",
        ] {
            assert_eq!(AppError::decode(forged), AppError::Internal, "{forged:?}");
        }
    }

    #[test]
    fn statuses_are_client_errors_except_for_the_server_s_own() {
        for e in every_error() {
            let s = e.status();
            match e {
                AppError::Internal => assert_eq!(s, 500),
                AppError::Busy | AppError::Offline => assert_eq!(s, 503),
                _ => assert!((400..500).contains(&s), "{e:?} -> {s}"),
            }
        }
        assert_eq!(AppError::field(Field::Code, Problem::WrongCode).status(), 401);
        assert_eq!(AppError::field(Field::Code, Problem::AccessCodeWrong).status(), 401);
        assert_eq!(AppError::field(Field::Email, Problem::Missing).status(), 422);
    }

    #[test]
    fn field_messages_name_their_field() {
        let e = AppError::Invalid(vec![(Field::Email, Problem::NotAnEmail), (Field::RoleName, Problem::Taken)]);
        assert_eq!(e.field_message("email").as_deref(), Some("Enter an email address like name@example.com."));
        assert_eq!(e.field_message("name").as_deref(), Some("A role with that name already exists."));
        assert_eq!(e.field_message("password"), None);
        assert_eq!(e.form_message(), None);
        assert_eq!(Problem::TooLong.message(Field::OrgName), "The organisation name must be at most 100 characters.");
        assert_eq!(AppError::WrongCredentials.form_message().as_deref(), Some("Incorrect email or password."));
    }

    #[test]
    fn waits_are_said_in_seconds_then_whole_minutes() {
        let said = |s| AppError::AccountWaiting(s).to_string();
        assert_eq!(
            said(1),
            format!("Too many attempts to sign in to this account. Try again in 1 second; your password has not changed. {WAIT_RULE}")
        );
        assert!(said(32).contains("in 32 seconds;") && said(60).contains("in 1 minute;"));
        assert!(said(61).contains("in 2 minutes;") && said(900).contains("in 15 minutes;"));
        assert_eq!(AppError::AccountWaiting(480).retry_after(), Some(480));
    }
}
