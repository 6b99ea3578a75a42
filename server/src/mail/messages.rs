//! The mails the use cases send, as a kind and the values of its variables. Which template turns
//! them into text (Tessera's or the organisation's) is decided when composing, in one place.

use minijinja::Value;

use super::catalogue::MailKind;
use super::template::Vars;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::policy::AfterReset;
use crate::request::RequestMeta;

/// A mail to send: to whom, which one, with what.
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: MailKind,
    pub to: String,
    pub vars: Vars,
    /// Optional mail: the link that turns it off without signing in.
    pub unsubscribe: Option<String>,
}

impl Message {
    /// A mail about something that happened at `at`, from where `meta` says. The command line
    /// has no address: it says so.
    pub fn new(kind: MailKind, to: &str, name: &str, at: Timestamp, meta: &RequestMeta) -> Message {
        let ip = meta.ip.map(|i| i.to_string()).unwrap_or_else(|| "none (command line)".into());
        Message { kind, to: to.to_string(), vars: Vars::new(), unsubscribe: None }
            .with("name", name)
            .with("when", when(at))
            .with("ip", ip)
            .with("browser", browser_of(meta.user_agent.as_deref()))
    }

    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Message {
        self.vars.insert(name.to_string(), value.into());
        self
    }

    pub fn unsubscribable(mut self, link: String) -> Message {
        self.unsubscribe = Some(link);
        self
    }
}

pub(crate) fn when(at: Timestamp) -> String {
    format!("{} UTC", at.to_display())
}

/// The browser as people say it ("Chrome on Linux"), not the raw User-Agent header: that is long,
/// unreadable, and whatever the sender chose to put in a mail to the account's owner.
pub fn browser_of(user_agent: Option<&str>) -> String {
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    match user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua)) {
        Some(r) if known(r.name) && known(r.os) => format!("{} on {}", r.name, r.os),
        Some(r) if known(r.name) => r.name.to_string(),
        _ => "an unknown browser".to_string(),
    }
}

/// Security notices about a change to a person's own account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    MfaEnabled,
    MfaDisabled,
    AuthenticatorReset,
    RecoveryCodesRegenerated,
    RecoveryCodeUsed {
        left: i64,
    },
    SecondFactorFailing,
    /// The free sign-in tries were spent with wrong passwords; sign-in now waits between tries.
    SignInPaused {
        failures: i64,
    },
    /// A new password was chosen through a reset link.
    PasswordReset,
    /// The signed-in person changed their password.
    PasswordChanged,
    /// A sign-in provider's account was linked (its name, and the account as it named it).
    ProviderLinked {
        provider: String,
        account: String,
    },
    /// A sign-in provider was unlinked.
    ProviderUnlinked {
        provider: String,
    },
}

/// A notice, with the facts and a link to account security.
pub fn notice_mail(
    config: &Config,
    to: &str,
    name: &str,
    notice: Notice,
    at: Timestamp,
    meta: &RequestMeta,
) -> Message {
    let kind = match notice {
        Notice::MfaEnabled => MailKind::MfaEnabled,
        Notice::MfaDisabled => MailKind::MfaDisabled,
        Notice::AuthenticatorReset => MailKind::AuthenticatorReset,
        Notice::RecoveryCodesRegenerated => MailKind::RecoveryCodesRegenerated,
        Notice::RecoveryCodeUsed { .. } => MailKind::RecoveryCodeUsed,
        Notice::SecondFactorFailing => MailKind::FailedCodes,
        Notice::SignInPaused { .. } => MailKind::SignInPaused,
        Notice::PasswordReset => MailKind::PasswordReset,
        Notice::PasswordChanged => MailKind::PasswordChanged,
        Notice::ProviderLinked { .. } => MailKind::ProviderLinked,
        Notice::ProviderUnlinked { .. } => MailKind::ProviderUnlinked,
    };
    let m = Message::new(kind, to, name, at, meta).with("link", config.link("/account/security"));
    match notice {
        Notice::RecoveryCodeUsed { left } => m.with("left", left),
        Notice::SignInPaused { failures } => m.with("failures", failures),
        Notice::ProviderLinked { provider, account } => m.with("provider", provider).with("provider_account", account),
        Notice::ProviderUnlinked { provider } => m.with("provider", provider),
        _ => m,
    }
}

/// Tells a member that an administrator reset their MFA.
pub struct AdminReset<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub actor_name: &'a str,
    pub actor_email: &'a str,
    pub org_name: &'a str,
    pub at: Timestamp,
    pub reason: Option<&'a str>,
    /// What their next sign-in asks of them.
    pub after: AfterReset,
}

impl AdminReset<'_> {
    pub fn message(&self, config: &Config, meta: &RequestMeta) -> Message {
        Message::new(MailKind::MfaResetByAdmin, self.to, self.name, self.at, meta)
            .with("org_name", self.org_name)
            .with("actor_name", self.actor_name)
            .with("actor_email", self.actor_email)
            .with("reason", self.reason.unwrap_or("none given"))
            .with("must_reenrol", matches!(self.after, AfterReset::EmailCodes | AfterReset::AccessCode))
            .with("next_step", self.next_step(config))
            .with("link", config.link("/login"))
    }

    /// What the member must do next, as the Reset MFA confirmation told the administrator.
    fn next_step(&self, config: &Config) -> String {
        match self.after {
            AfterReset::PasswordOnly => {
                "Your organisation does not offer MFA, so you sign in with your password alone.".to_string()
            }
            AfterReset::Optional => "You sign in with your password alone for now. You can set up MFA again from \
                                     your account security page after signing in."
                .to_string(),
            AfterReset::EmailCodes => "Your organisation requires MFA and allows codes by email: when you next sign \
                                       in, Tessera emails you a code to enter after your password. You can set up \
                                       an authenticator app again from your account security page."
                .to_string(),
            AfterReset::AccessCode => format!(
                "Your organisation requires MFA, so to sign in again you need a temporary access code from {actor} \
                 or another administrator of {org}. They give it to you in person, by phone or on a video call, \
                 never by email. Sign in with your email address and password, enter the code when asked, then \
                 set up your authenticator app again. A code works once, for {minutes} minutes; if yours has run \
                 out, ask {actor} for a new one.",
                actor = self.actor_name,
                org = self.org_name,
                minutes = config.access_code_ttl.as_secs() / 60,
            ),
        }
    }
}

/// Tells an owner what changed in the organisation's security: `kind` is the mail
/// ([`MailKind::RulesChanged`] or [`MailKind::ApplicationsChanged`]), `page` where to look (a
/// path), `by` "Ada (ada@example.org)" or "An operator, on the command line", `change` a sentence.
#[allow(clippy::too_many_arguments)]
pub fn owners_notice_mail(
    config: &Config,
    kind: MailKind,
    page: &str,
    to: &str,
    name: &str,
    org_name: &str,
    change: &str,
    by: &str,
    at: Timestamp,
    meta: &RequestMeta,
) -> Message {
    Message::new(kind, to, name, at, meta)
        .with("org_name", org_name)
        .with("change", change)
        .with("by", by)
        .with("link", config.link(page))
}

/// The "Forgot your password?" link.
pub fn reset_link_mail(to: &str, name: &str, org_name: &str, link: &str, at: Timestamp, meta: &RequestMeta) -> Message {
    Message::new(MailKind::PasswordResetLink, to, name, at, meta).with("org_name", org_name).with("link", link)
}

/// To the new address of a change: the link that makes the change.
pub fn email_change_link_mail(
    to: &str,
    name: &str,
    org_name: &str,
    link: &str,
    at: Timestamp,
    meta: &RequestMeta,
) -> Message {
    Message::new(MailKind::EmailChangeLink, to, name, at, meta).with("org_name", org_name).with("link", link)
}

/// To both addresses when an administrator corrects someone's email address.
#[allow(clippy::too_many_arguments)]
pub fn email_corrected_mail(
    config: &Config,
    to: &str,
    name: &str,
    org_name: &str,
    actor: (&str, &str),
    old_email: &str,
    new_email: &str,
    at: Timestamp,
    meta: &RequestMeta,
) -> Message {
    Message::new(MailKind::EmailCorrected, to, name, at, meta)
        .with("org_name", org_name)
        .with("actor_name", actor.0)
        .with("actor_email", actor.1)
        .with("old_email", old_email)
        .with("new_email", new_email)
        .with("link", config.link("/login"))
}

/// To the new address of a change, where another account already has it: nothing will change.
pub fn email_in_use_mail(config: &Config, to: &str, name: &str, at: Timestamp, meta: &RequestMeta) -> Message {
    Message::new(MailKind::EmailInUse, to, name, at, meta).with("link", config.link("/account/security"))
}

/// To the old address: a change to `new_email` was asked for (`done` false), or made.
pub fn email_change_notice(
    config: &Config,
    to: &str,
    name: &str,
    new_email: &str,
    done: bool,
    at: Timestamp,
    meta: &RequestMeta,
) -> Message {
    let kind = if done { MailKind::EmailChanged } else { MailKind::EmailChangeRequested };
    Message::new(kind, to, name, at, meta).with("new_email", new_email).with("link", config.link("/account/security"))
}

/// A code to prove it is the account's owner.
pub fn code_mail(to: &str, name: &str, code: &str, at: Timestamp, meta: &RequestMeta) -> Message {
    Message::new(MailKind::EmailCode, to, name, at, meta).with("code", code)
}

/// Invites a new member to choose a password through a one-time link.
pub fn invitation_mail(
    to: &str,
    name: &str,
    inviter: &str,
    org_name: &str,
    link: &str,
    at: Timestamp,
    meta: &RequestMeta,
) -> Message {
    Message::new(MailKind::Invitation, to, name, at, meta)
        .with("inviter", inviter)
        .with("org_name", org_name)
        .with("link", link)
}
