//! Outgoing mail: SMTP through lettre when `TESSERA_SMTP_URL` is set, otherwise a file outbox in
//! the data directory (one `.eml` file per message); what each mail says ([`messages`]), the
//! templates that say it ([`catalogue`] for Tessera's, an organisation's own in the store) and the
//! sandboxed engine both go through ([`template`]).

pub mod catalogue;
pub mod messages;
pub mod template;

pub use catalogue::{Category, MailKind, Topic};
pub use messages::{browser_of, Message, Notice};
pub use template::{Part, Parts};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::Config;
use crate::error::{Error, Result};

/// A message ready to send: both a plain-text and an HTML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Optional mail: where one click turns it off (RFC 8058 `List-Unsubscribe`).
    pub unsubscribe: Option<String>,
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.trim().trim_start_matches('<').trim_end_matches('>').to_string()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): a POST to the link unsubscribes.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, mail: &Mail) -> Result<()>;
}

fn build(from: &Mailbox, mail: &Mail) -> Result<lettre::Message> {
    let to: Mailbox = mail.to.parse().map_err(|e| Error::Invalid(format!("recipient address: {e}")))?;
    let mut builder = lettre::Message::builder().from(from.clone()).to(to).subject(mail.subject.clone());
    if let Some(link) = &mail.unsubscribe {
        builder = builder.header(ListUnsubscribe(link.clone())).header(ListUnsubscribePost);
    }
    builder
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

/// The line every security mail ends with, below anything a template says.
pub const SECURITY_FOOTER: &str = "Tessera sends this mail for your account's security; it cannot be turned off.";

/// Turns a message into the mail to send: through the organisation's template for its kind where
/// there is one (`custom`), otherwise Tessera's. Tessera adds what no template may leave out: the
/// what-to-do-if-it-was-not-you line and the footer. A saved template that no longer renders (a
/// newer Tessera gave the mail other variables) falls back to the default rather than lose the mail.
pub fn compose(message: &Message, custom: Option<&Parts>) -> Mail {
    let kind = message.kind;
    let known = kind.variable_names();
    let custom = custom.and_then(|parts| match template::render(parts, &message.vars, &known) {
        Ok(rendered) => Some(rendered),
        Err(problem) => {
            tracing::warn!(kind = kind.id(), %problem, "an organisation's mail template did not render; the default was used");
            None
        }
    });
    let rendered = match custom {
        Some(r) => r,
        None => template::render(&kind.default_parts(), &message.vars, &known).unwrap_or_else(|problem| {
            tracing::error!(kind = kind.id(), %problem, "a default mail template did not render");
            Parts { subject: format!("Tessera: {}", kind.label()), text: String::new(), html: String::new() }
        }),
    };
    if let Category::Optional(_) = kind.spec().category {
        return finish_optional(message, rendered, &known);
    }
    // Tessera's own words, through the same engine so they may name who and where.
    let advice = kind.spec().if_not_you;
    let advice_in = |part| {
        template::render_part(part, advice, &message.vars, &known).unwrap_or_else(|problem| {
            tracing::error!(kind = kind.id(), %problem, "a mail's if-not-you line did not render");
            "If this was not you, tell your administrator now.".into()
        })
    };
    let text = format!("{}\n\n{}\n\n-- \n{SECURITY_FOOTER}\n", rendered.text.trim_end(), advice_in(Part::Text));
    let html = format!(
        "{}\n<hr>\n<p><strong>{}</strong></p>\n<p style=\"color:#555;font-size:0.875em\">{}</p>\n",
        rendered.html.trim_end(),
        advice_in(Part::Html),
        escape_html(SECURITY_FOOTER)
    );
    Mail { to: message.to.clone(), subject: rendered.subject, text, html, unsubscribe: None }
}

/// The ending of optional mail: why the person gets it and the link that turns it off.
fn finish_optional(message: &Message, rendered: Parts, known: &[&'static str]) -> Mail {
    let kind = message.kind;
    let why_in = |part| {
        template::render_part(part, kind.spec().if_not_you, &message.vars, known)
            .unwrap_or_else(|_| "You get this mail because of your organisation's settings.".into())
    };
    let link = message.unsubscribe.clone().unwrap_or_default();
    let text = format!("{}\n\n-- \n{}\nTurn these mails off: {link}\n", rendered.text.trim_end(), why_in(Part::Text));
    let html = format!(
        "{}\n<hr>\n<p style=\"color:#555;font-size:0.875em\">{} <a href=\"{}\">Turn these mails off</a>.</p>\n",
        rendered.html.trim_end(),
        why_in(Part::Html),
        escape_html(&link)
    );
    Mail { to: message.to.clone(), subject: rendered.subject, text, html, unsubscribe: message.unsubscribe.clone() }
}
#[cfg(test)]
mod tests {
    use super::messages::{invitation_mail, notice_mail, AdminReset};
    use super::*;
    use crate::clock::Timestamp;
    use crate::request::RequestMeta;

    fn config() -> Config {
        Config::from_lookup(|k| (k == "TESSERA_BASE_URL").then(|| "https://id.example.org".into()), "x:1").unwrap()
    }

    #[test]
    fn notices_say_what_when_where_and_what_to_do() {
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0 <script>";
        let meta = RequestMeta::new(Some("192.0.2.1".parse().unwrap()), Some(ua));
        let message = notice_mail(
            &config(),
            "ada@example.org",
            "Ada <3",
            Notice::RecoveryCodeUsed { left: 4 },
            Timestamp(0),
            &meta,
        );
        let m = compose(&message, None);
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
        assert!(
            m.text.contains("If this was not you, change your password")
                && m.text.ends_with(&format!("{SECURITY_FOOTER}\n"))
        );
        assert!(m.html.contains("it cannot be turned off"));
    }

    #[test]
    fn the_lock_out_mail_states_the_rule_in_force() {
        let notice = super::messages::Notice::SignInPaused { failures: 5 };
        let m = compose(
            &notice_mail(&config(), "a@example.org", "Ada", notice, Timestamp(0), &RequestMeta::default()),
            None,
        );
        assert!(m.text.contains("5 times in a row") && m.text.contains(crate::throttle::RULE), "{}", m.text);
        assert!(!m.text.contains("a few minutes"));
    }

    #[test]
    fn a_code_is_in_the_body_only_never_in_the_subject() {
        let m = compose(
            &super::messages::code_mail("a@example.org", "Ada", "493817", Timestamp(0), &RequestMeta::default()),
            None,
        );
        assert_eq!(m.subject, "Tessera: Your one-time code");
        assert!(m.text.contains("Your Tessera code is: 493817") && m.html.contains("493817"));
        // An organisation's template saved before the rule, with the code in its subject, is not used.
        let custom = template::Parts {
            subject: "Code {{ code }}".into(),
            text: "Yours: {{ code }}".into(),
            html: "<p>{{ code }}</p>".into(),
        };
        let m = compose(
            &super::messages::code_mail("a@example.org", "Ada", "493817", Timestamp(0), &RequestMeta::default()),
            Some(&custom),
        );
        assert!(!m.subject.contains("493817") && !m.text.contains("Yours:"), "{}", m.subject);
    }

    #[test]
    fn an_admin_reset_says_who_when_why_and_what_next() {
        let m = compose(
            &AdminReset {
                to: "bob@example.org",
                name: "Bob",
                actor_name: "Hal <desk>",
                actor_email: "hal@example.org",
                org_name: "Acme",
                at: Timestamp(0),
                reason: Some("Ticket 42"),
                after: crate::policy::AfterReset::AccessCode,
            }
            .message(&config(), &RequestMeta::default()),
            None,
        );
        assert_eq!(m.to, "bob@example.org");
        assert!(m.text.contains("reset by Hal <desk> (hal@example.org) at 1970-01-01 00:00:00 UTC"), "{}", m.text);
        assert!(m.text.contains("Reason: Ticket 42") && m.text.contains("If you did not ask for this, contact"));
        assert!(m.text.contains("you need a temporary access code from Hal <desk> or another administrator of Acme"));
        assert!(m.text.contains("never by email") && m.text.contains("for 60 minutes"), "{}", m.text);
        assert!(m.text.contains("set up your authenticator app again"));
        let by_email = |after| {
            let mail = AdminReset {
                to: "bob@example.org",
                name: "Bob",
                actor_name: "Hal",
                actor_email: "hal@example.org",
                org_name: "Acme",
                at: Timestamp(0),
                reason: None,
                after,
            };
            compose(&mail.message(&config(), &RequestMeta::default()), None).text
        };
        let text = by_email(crate::policy::AfterReset::EmailCodes);
        assert!(text.contains("Tessera emails you a code") && !text.contains("access code"), "{text}");
        let text = by_email(crate::policy::AfterReset::Optional);
        assert!(text.contains("password alone") && !text.contains("access code"), "{text}");
        assert!(m.html.contains("Hal &lt;desk&gt;") && !m.html.contains("<desk>"));
        let invite = compose(
            &invitation_mail(
                "c@example.org",
                "Cy",
                "Ada",
                "Acme",
                "https://id.example.org/set-password?token=t",
                Timestamp(0),
                &RequestMeta::default(),
            ),
            None,
        );
        assert!(invite.text.contains("Ada added you to Acme") && invite.text.contains("set-password?token=t"));
    }

    #[test]
    fn an_organisations_template_is_used_and_cannot_drop_the_ending() {
        let message = notice_mail(
            &config(),
            "ada@example.org",
            "Ada",
            Notice::MfaDisabled,
            Timestamp(0),
            &RequestMeta::default(),
        );
        let custom =
            Parts { subject: "MFA off for {{ name }}".into(), text: "Off.".into(), html: "<p>Off.</p>".into() };
        let m = compose(&message, Some(&custom));
        assert_eq!((m.subject.as_str(), m.text.starts_with("Off.")), ("MFA off for Ada", true));
        assert!(m.text.contains(MailKind::MfaDisabled.spec().if_not_you) && m.text.contains(SECURITY_FOOTER));
        assert!(m.html.starts_with("<p>Off.</p>") && m.html.contains("it cannot be turned off"));
        // A template that no longer renders gives way to the default, and the mail still goes.
        let broken = Parts { subject: "{{ gone }}".into(), ..custom };
        assert_eq!(compose(&message, Some(&broken)).subject, "Tessera: MFA is off");
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
            unsubscribe: None,
        };
        outbox.send(&mail).await.unwrap();
        outbox.send(&mail).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox")).unwrap().collect();
        assert_eq!(files.len(), 2);
        let body = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(body.contains("To: ada@example.org") && body.contains("Subject: Hi") && body.contains("plain"));
        assert!(!body.contains("List-Unsubscribe"), "security mail has no unsubscribe link");
        let optional =
            Mail { unsubscribe: Some("https://id.example.org/api/unsubscribe?token=t".into()), ..mail.clone() };
        outbox.send(&optional).await.unwrap();
        let newest = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap());
        assert!(newest
            .into_iter()
            .any(|m| m.contains("List-Unsubscribe: <https://id.example.org/api/unsubscribe?token=t>")
                && m.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")));
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
