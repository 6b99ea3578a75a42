//! Outgoing mail: SMTP through lettre when `TESSERA_SMTP_URL` is set, otherwise a file outbox in
//! the data directory (one `.eml` file per message). Plus the security notices Tessera sends.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::audit::RequestMeta;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::error::{Error, Result};

/// A message ready to send: both a plain-text and an HTML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, mail: &Mail) -> Result<()>;
}

fn build(from: &Mailbox, mail: &Mail) -> Result<lettre::Message> {
    let to: Mailbox = mail.to.parse().map_err(|e| Error::Invalid(format!("recipient address: {e}")))?;
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|e| Error::Invalid(format!("building mail: {e}")))
}

/// Writes each message as an `.eml` file: mail for development and single-machine set-ups
/// without a mail server.
pub struct FileOutbox {
    dir: PathBuf,
    from: Mailbox,
}

impl FileOutbox {
    pub fn new(dir: PathBuf, from: Mailbox) -> Self {
        FileOutbox { dir, from }
    }
}

#[async_trait]
impl Mailer for FileOutbox {
    async fn send(&self, mail: &Mail) -> Result<()> {
        let msg = build(&self.from, mail)?;
        tokio::fs::create_dir_all(&self.dir).await?;
        let name =
            format!("{}-{}.eml", crate::clock::SystemClock.now_millis(), &crate::secret::Token::generate().hash()[..8]);
        tokio::fs::write(self.dir.join(name), msg.formatted()).await?;
        Ok(())
    }
}

/// SMTP (`smtp://host:port` plain, `smtp://...?tls=required` STARTTLS, `smtps://` TLS; user and
/// password in the URL).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn from_url(url: &str, from: Mailbox) -> Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::Config(format!("TESSERA_SMTP_URL: {e}")))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        Ok(SmtpMailer { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<()> {
        let msg = build(&self.from, mail)?;
        self.transport.send(msg).await.map_err(|e| Error::Invalid(format!("SMTP: {e}")))?;
        Ok(())
    }
}

/// The mailer the configuration asks for.
pub fn from_config(config: &Config) -> Result<Arc<dyn Mailer>> {
    let host = config.base_url.host_str().unwrap_or("localhost");
    let from: Mailbox = config
        .mail_from
        .clone()
        .unwrap_or_else(|| format!("Tessera <no-reply@{host}>"))
        .parse()
        .map_err(|e| Error::Config(format!("TESSERA_MAIL_FROM: {e}")))?;
    Ok(match &config.smtp_url {
        Some(url) => Arc::new(SmtpMailer::from_url(url, from)?),
        None => Arc::new(FileOutbox::new(config.data_dir.join("outbox"), from)),
    })
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Security notices: what happened, when, from where, and what to do if it was not you.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl Notice {
    fn subject_and_event(self) -> (&'static str, String) {
        match self {
            Notice::MfaEnabled => {
                ("MFA is on", "Multi-factor authentication (MFA) was turned on for your account.".into())
            }
            Notice::MfaDisabled => {
                ("MFA is off", "Multi-factor authentication (MFA) was turned off for your account.".into())
            }
            Notice::AuthenticatorReset => (
                "Your authenticator app was changed",
                "A new authenticator app was set up for your account. The previous one no longer works.".into(),
            ),
            Notice::RecoveryCodesRegenerated => (
                "New recovery codes were created",
                "A new set of recovery codes was created for your account. The previous codes no longer work.".into(),
            ),
            Notice::RecoveryCodeUsed { left } => (
                "A recovery code was used",
                format!("A recovery code was used to sign in to your account. {left} recovery codes are left."),
            ),
            Notice::SignInPaused { failures } => (
                "Failed sign-ins to your account",
                format!(
                    "Someone tried to sign in to your account {failures} times in a row with a wrong password. \
                     Sign-in to your account now waits a few minutes between tries; it is never locked for good, \
                     and you can sign in as usual once the wait is over."
                ),
            ),
            Notice::PasswordReset => (
                "Your password was changed",
                "The password of your account was changed with a password reset link, and every session of your \
                 account was signed out. Your MFA is unchanged: signing in still needs your authenticator app or a \
                 recovery code."
                    .into(),
            ),
            Notice::PasswordChanged => (
                "Your password was changed",
                "The password of your account was changed from account security, and every other session of your \
                 account was signed out."
                    .into(),
            ),
            Notice::SecondFactorFailing => (
                "Repeated failed sign-in codes",
                "Someone entered your password correctly, then failed the MFA code from your authenticator app several times."
                    .into(),
            ),
        }
    }
}

/// Builds the mail for a notice.
pub fn notice_mail(config: &Config, to: &str, name: &str, notice: Notice, at: Timestamp, meta: &RequestMeta) -> Mail {
    let (subject, event) = notice.subject_and_event();
    let ip = meta.ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".into());
    let facts = [("When", when(at)), ("From IP address", ip), ("Browser", browser_of(meta.user_agent.as_deref()))];
    SecurityMail {
        to,
        name,
        subject: &format!("Tessera: {subject}"),
        event: &event,
        facts: &facts,
        advice:
            "If this was not you, change your password and review your MFA settings now, and tell your administrator.",
        link: ("Account security", "Review your account security", &config.link("/account/security")),
    }
    .build()
}

/// The shape every security mail shares: what happened, the facts (when, from where, by whom),
/// what to do if it was not expected, and where to look. Text and HTML say the same; the HTML
/// escapes everything, since names and addresses come from people.
struct SecurityMail<'a> {
    to: &'a str,
    name: &'a str,
    subject: &'a str,
    event: &'a str,
    facts: &'a [(&'a str, String)],
    advice: &'a str,
    /// (label in the text, words of the HTML link, URL)
    link: (&'a str, &'a str, &'a str),
}

impl SecurityMail<'_> {
    fn build(&self) -> Mail {
        let (label, words, url) = self.link;
        let text_facts: String = self.facts.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let html_facts: String =
            self.facts.iter().map(|(k, v)| format!("<li>{}: {}</li>", escape_html(k), escape_html(v))).collect();
        let text = format!(
            "Hello {},\n\n{}\n\n{text_facts}\n{}\n{label}: {url}\n\n- Tessera\n",
            self.name, self.event, self.advice
        );
        let html = format!(
            "<p>Hello {},</p><p>{}</p><ul>{html_facts}</ul><p>{}</p><p><a href=\"{}\">{}</a></p><p>- Tessera</p>",
            escape_html(self.name),
            escape_html(self.event),
            escape_html(self.advice),
            escape_html(url),
            escape_html(words)
        );
        Mail { to: self.to.to_string(), subject: self.subject.to_string(), text, html }
    }
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

fn when(at: Timestamp) -> String {
    format!("{} UTC", at.to_display())
}

/// Tells a member that an administrator reset their MFA. Always sent: it is a security notice.
pub struct AdminResetMail<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub actor_name: &'a str,
    pub actor_email: &'a str,
    pub org_name: &'a str,
    pub at: Timestamp,
    pub reason: Option<&'a str>,
    /// Whether their organisation or role requires MFA, so the next sign-in enrols again.
    pub must_reenrol: bool,
}

impl AdminResetMail<'_> {
    pub fn build(&self, config: &Config) -> Mail {
        let when = when(self.at);
        let reason = self.reason.unwrap_or("none given");
        let next = if self.must_reenrol {
            "Your organisation requires MFA, so you will set up your authenticator app again the next time you sign in."
        } else {
            "You can set up MFA again from your account security page after signing in."
        };
        let event = format!(
            "Your multi-factor authentication (MFA) in {} was reset by {} ({}) at {}. Your authenticator app and recovery codes no longer work, and you were signed out everywhere.",
            self.org_name, self.actor_name, self.actor_email, when
        );
        let advice = format!(
            "If you did not ask for this, contact {} or another administrator of {} right away: someone may be trying to take over your account.",
            self.actor_name, self.org_name
        );
        let link = config.link("/login");
        let text = format!(
            "Hello {},\n\n{event}\n\nReason: {reason}\n\n{next}\n\n{advice}\nSign in: {link}\n\n- Tessera\n",
            self.name
        );
        let html = format!(
            "<p>Hello {},</p><p>{}</p><p>Reason: {}</p><p>{}</p><p><strong>{}</strong></p><p><a href=\"{}\">Sign in</a></p><p>- Tessera</p>",
            escape_html(self.name),
            escape_html(&event),
            escape_html(reason),
            escape_html(next),
            escape_html(&advice),
            escape_html(&link)
        );
        Mail { to: self.to.to_string(), subject: "Tessera: Your MFA was reset".into(), text, html }
    }
}

/// Tells an owner that the organisation's MFA rules changed: the policy, or a role's rule.
/// Always sent to every owner: a weakened rule is how an account takeover would start.
pub struct RuleChangeMail<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub org_name: &'a str,
    /// "The MFA policy is now: Required, with 14 days to set it up." or the like.
    pub change: &'a str,
    /// "Ada (ada@example.org)", or "An operator, on the command line".
    pub by: &'a str,
    pub at: Timestamp,
    pub ip: Option<std::net::IpAddr>,
}

impl RuleChangeMail<'_> {
    pub fn build(&self, config: &Config) -> Mail {
        let ip = self.ip.map(|i| i.to_string()).unwrap_or_else(|| "none (command line)".into());
        let facts = [("By", self.by.to_string()), ("When", when(self.at)), ("From IP address", ip)];
        SecurityMail {
            to: self.to,
            name: self.name,
            subject: &format!("Tessera: MFA rules changed in {}", self.org_name),
            event: &format!("The MFA rules of {} changed. {}", self.org_name, self.change),
            facts: &facts,
            advice: "If you did not expect this, review the security policy and the roles now, and check the activity log for who else changed what.",
            link: ("Security policy", "Review the security policy", &config.link("/settings/security")),
        }
        .build()
    }
}

/// The "Forgot your password?" link, to the address on record. Says how long it works, that MFA
/// stays, and that nothing changes if it is ignored.
pub fn reset_link_mail(to: &str, name: &str, org_name: &str, link: &str, at: Timestamp, meta: &RequestMeta) -> Mail {
    let ip = meta.ip.map(|i| i.to_string()).unwrap_or_else(|| "none (command line)".into());
    let facts = [("When", when(at)), ("From IP address", ip), ("Browser", browser_of(meta.user_agent.as_deref()))];
    SecurityMail {
        to,
        name,
        subject: "Tessera: Reset your password",
        event: &format!(
            "Someone asked to reset the password of your account in {org_name}. The link below lets you choose a \
             new one; it works once, within 60 minutes. Your MFA stays as it is: signing in will still need your \
             authenticator app or a recovery code."
        ),
        facts: &facts,
        advice: "If this was not you, ignore this mail: your password has not changed and nobody can use the link \
                 without access to your mailbox.",
        link: ("Choose a new password", "Choose a new password", link),
    }
    .build()
}

/// The facts every mail about a change gives: when, from which IP address and browser.
fn facts_of(at: Timestamp, meta: &RequestMeta) -> [(&'static str, String); 3] {
    let ip = meta.ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".into());
    [("When", when(at)), ("From IP address", ip), ("Browser", browser_of(meta.user_agent.as_deref()))]
}

/// To the new address of a change: the link that makes the change.
pub fn email_change_link_mail(
    to: &str,
    name: &str,
    org_name: &str,
    link: &str,
    at: Timestamp,
    meta: &RequestMeta,
) -> Mail {
    SecurityMail {
        to,
        name,
        subject: "Tessera: Confirm your new email address",
        event: &format!(
            "You asked to use this address for your account in {org_name} from now on. Confirm it with the link \
             below; it works once, within 60 minutes. Until then your account keeps its old address."
        ),
        facts: &facts_of(at, meta),
        advice: "If this was not you, ignore this mail: nothing changes without the link.",
        link: ("Confirm this address", "Confirm this address", link),
    }
    .build()
}

/// To the new address of a change, where another account already has it: nothing will change.
/// The person asking sees the same answer either way, so it tells them nothing about this account.
pub fn email_in_use_mail(config: &Config, to: &str, name: &str, at: Timestamp, meta: &RequestMeta) -> Mail {
    SecurityMail {
        to,
        name,
        subject: "Tessera: Someone tried to use your email address",
        event: "Someone asked to use this address for another Tessera account. It already belongs to your \
                account, so nothing changed.",
        facts: &facts_of(at, meta),
        advice: "If you expected this, use a different address for the other account. Otherwise nothing needs doing.",
        link: ("Account security", "Review your account security", &config.link("/account/security")),
    }
    .build()
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
) -> Mail {
    let (subject, event) = if done {
        (
            "Tessera: Your email address was changed",
            format!(
                "The email address of your account was changed to {new_email}. Sign in with that address from now \
                 on; mail about your account goes there."
            ),
        )
    } else {
        (
            "Tessera: A change of your email address was asked for",
            format!(
                "Someone signed in to your account asked to change its email address to {new_email}. It changes \
                 only once the link sent to that address is opened."
            ),
        )
    };
    SecurityMail {
        to,
        name,
        subject,
        event: &event,
        facts: &facts_of(at, meta),
        advice:
            "If this was not you, change your password and review your MFA settings now, and tell your administrator.",
        link: ("Account security", "Review your account security", &config.link("/account/security")),
    }
    .build()
}

/// A code to prove it is the account's owner. Says how long it works, where, and what it means
/// if nobody asked for it.
pub fn code_mail(to: &str, name: &str, code: &str, at: Timestamp, meta: &RequestMeta) -> Mail {
    let ip = meta.ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".into());
    let browser = browser_of(meta.user_agent.as_deref());
    let text = format!(
        "Hello {name},\n\nYour Tessera code is: {code}\n\nIt works once, for 10 minutes, and only in the browser \
         where you asked for it.\n\nAsked for at {} from IP address {ip} ({browser}).\n\nIf you did not ask for a \
         code, someone who knows your password is using it: change your password now and tell your administrator. Never give this code to anyone; Tessera will never ask you for it.\n\n- Tessera\n",
        when(at)
    );
    let html = format!(
        "<p>Hello {},</p><p>Your Tessera code is:</p><p style=\"font-size:1.5em;font-family:monospace\"><strong>{}</strong></p>\
         <p>It works once, for 10 minutes, and only in the browser where you asked for it.</p><p>Asked for at {} from IP \
         address {} ({}).</p><p><strong>If you did not ask for a code, someone who knows your password is using \
         it: change your password now and tell your administrator.</strong> Never give this code to anyone; Tessera \
         will never ask you for it.</p><p>- Tessera</p>",
        escape_html(name),
        escape_html(code),
        escape_html(&when(at)),
        escape_html(&ip),
        escape_html(&browser)
    );
    Mail { to: to.to_string(), subject: format!("Tessera: Your code is {code}"), text, html }
}

/// Invites a new member to choose a password through a one-time link.
pub fn invitation_mail(to: &str, name: &str, inviter: &str, org_name: &str, link: &str) -> Mail {
    let text = format!(
        "Hello {name},\n\n{inviter} added you to {org_name} on Tessera.\n\nChoose your password here (the link works once, for 24 hours):\n{link}\n\nIf you did not expect this, ignore this message; nothing happens without the link.\n\n- Tessera\n"
    );
    let html = format!(
        "<p>Hello {},</p><p>{} added you to {} on Tessera.</p><p><a href=\"{}\">Choose your password</a> (the link works once, for 24 hours).</p><p>If you did not expect this, ignore this message; nothing happens without the link.</p><p>- Tessera</p>",
        escape_html(name),
        escape_html(inviter),
        escape_html(org_name),
        escape_html(link)
    );
    Mail { to: to.to_string(), subject: format!("Tessera: You were invited to {org_name}"), text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_say_what_when_where_and_what_to_do() {
        let config =
            Config::from_lookup(|k| (k == "TESSERA_BASE_URL").then(|| "https://id.example.org".into()), "x:1").unwrap();
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0 <script>";
        let meta = RequestMeta::new(Some("192.0.2.1".parse().unwrap()), Some(ua));
        let m = notice_mail(
            &config,
            "ada@example.org",
            "Ada <3",
            Notice::RecoveryCodeUsed { left: 4 },
            Timestamp(0),
            &meta,
        );
        assert_eq!(m.subject, "Tessera: A recovery code was used");
        assert!(m.text.contains("4 recovery codes are left"));
        assert!(
            m.text.contains("1970-01-01 00:00:00 UTC")
                && m.text.contains("192.0.2.1")
                && m.text.contains("Browser: Firefox on Windows 10")
        );
        assert!(m.text.contains("https://id.example.org/account/security"));
        assert!(m.html.contains("Firefox on Windows 10") && m.html.contains("Ada &lt;3"));
        assert!(!m.html.contains("<script>") && !m.text.contains("<script>") && !m.text.contains("Gecko"));
    }

    #[test]
    fn an_admin_reset_says_who_when_why_and_what_next() {
        let config =
            Config::from_lookup(|k| (k == "TESSERA_BASE_URL").then(|| "https://id.example.org".into()), "x:1").unwrap();
        let m = AdminResetMail {
            to: "bob@example.org",
            name: "Bob",
            actor_name: "Hal <desk>",
            actor_email: "hal@example.org",
            org_name: "Acme",
            at: Timestamp(0),
            reason: Some("Ticket 42"),
            must_reenrol: true,
        }
        .build(&config);
        assert_eq!(m.to, "bob@example.org");
        assert!(m.text.contains("reset by Hal <desk> (hal@example.org) at 1970-01-01 00:00:00 UTC"));
        assert!(m.text.contains("Reason: Ticket 42") && m.text.contains("If you did not ask for this, contact"));
        assert!(m.text.contains("set up your authenticator app again"));
        assert!(m.html.contains("Hal &lt;desk&gt;") && !m.html.contains("<desk>"));
        let invite =
            invitation_mail("c@example.org", "Cy", "Ada", "Acme", "https://id.example.org/set-password?token=t");
        assert!(invite.text.contains("Ada added you to Acme") && invite.text.contains("set-password?token=t"));
    }

    #[tokio::test]
    async fn the_file_outbox_writes_one_message_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = FileOutbox::new(dir.path().join("outbox"), "Tessera <no-reply@example.org>".parse().unwrap());
        let mail = Mail {
            to: "ada@example.org".into(),
            subject: "Hi".into(),
            text: "plain".into(),
            html: "<p>html</p>".into(),
        };
        outbox.send(&mail).await.unwrap();
        outbox.send(&mail).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox")).unwrap().collect();
        assert_eq!(files.len(), 2);
        let body = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(body.contains("To: ada@example.org") && body.contains("Subject: Hi") && body.contains("plain"));
        assert!(outbox.send(&Mail { to: "not an address".into(), ..mail }).await.is_err());
    }
}

#[cfg(test)]
mod browser_tests {
    use super::browser_of;

    #[test]
    fn security_mails_name_the_browser_not_the_header() {
        let table = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox on Windows 10"),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0",
                "Edge on Mac OSX",
            ),
        ];
        for (ua, said) in table {
            assert_eq!(browser_of(Some(ua)), said, "{ua}");
        }
        for odd in [None, Some(""), Some("<script>alert(1)</script> call +1 555 0100")] {
            assert_eq!(browser_of(odd), "an unknown browser", "{odd:?}");
        }
    }
}
