//! Sending mail: through the organisation's template for its kind, never waiting long for the
//! mail server, and never undoing a change because the mail server is down.

use std::time::Duration;

use crate::audit::RequestMeta;
use crate::error::{Error, Result};
use crate::mail::messages::{notice_mail, owners_notice_mail, Notice};
use crate::mail::MailKind;
use crate::model::Role;
use crate::session::SessionInfo;
use crate::tessera::Tessera;

/// Sends `message` through the organisation's template for its kind (Tessera's where it has
/// none, or where that cannot be read), waiting at most 15 seconds for the mail server.
pub(crate) async fn send_message(
    store: &dyn crate::store::Store,
    mailer: &dyn crate::mail::Mailer,
    org_id: i64,
    message: &crate::mail::Message,
) -> Result<()> {
    let custom = store.mail_template(org_id, message.kind.id()).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, org_id, "mail template not read; the default is used");
        None
    });
    let mail = crate::mail::compose(message, custom.as_ref());
    let sent = match tokio::time::timeout(Duration::from_secs(15), mailer.send(&mail)).await {
        Ok(sent) => sent,
        Err(_) => Err(Error::Invalid("the mail server did not answer in time".into())),
    };
    crate::telemetry::mail(sent.is_ok());
    sent
}

/// What an owners' mail is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnersNotice {
    /// The MFA policy, a role's MFA rule, email codes, password expiry.
    Rules,
    /// An application registered, given a new secret or removed.
    Applications,
    /// A sign-in provider allowed, limited or stopped.
    SignInMethods,
}

impl Tessera {
    /// Sends a security notice to the session's user. Always attempted; a mail server that is
    /// down is logged but does not undo the change the user made.
    pub(crate) async fn notify(&self, s: &SessionInfo, notice: Notice, meta: &RequestMeta) {
        let mail = notice_mail(&self.config, &s.email, &s.display_name, notice, self.clock.now(), meta);
        self.deliver(s.org_id, &mail, s.user_id).await;
    }

    /// Sends a mail about `user_id`'s account in organisation `org_id`, through the
    /// organisation's template for it where there is one, waiting at most 15 seconds; failures
    /// are logged.
    pub(crate) async fn deliver(&self, org_id: i64, message: &crate::mail::Message, user_id: i64) {
        if let Err(e) = send_message(&*self.store, &*self.mailer, org_id, message).await {
            tracing::error!(error = %e, user_id, kind = message.kind.id(), "mail not sent");
        }
    }

    /// Mails every owner of the organisation what changed in its security (`about`: its MFA
    /// rules or its applications), by whom and from where.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn tell_owners(
        &self,
        about: OwnersNotice,
        org_id: i64,
        org_name: &str,
        change: &str,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let Some(owner_role) = self.store.builtin_role(org_id, Role::Owner).await? else { return Ok(()) };
        let filter = crate::store::MemberFilter { role_id: Some(owner_role.id), ..Default::default() };
        // Owners are few; a page of 1,000 is all of them.
        let (owners, _) = self.store.members(org_id, &filter, false, &crate::store::Cursor::First, 1000).await?;
        let by = match actor {
            Some(s) => format!("{} ({})", s.display_name, s.email),
            None => "An operator, on the command line".to_string(),
        };
        let at = self.clock.now();
        let (kind, page) = match about {
            OwnersNotice::Rules => (MailKind::RulesChanged, "/settings/security"),
            // Until applications have a settings page, the activity log shows what changed.
            OwnersNotice::Applications => (MailKind::ApplicationsChanged, "/settings/activity"),
            OwnersNotice::SignInMethods => (MailKind::SignInMethodsChanged, "/settings/security/sign-in"),
        };
        for owner in owners.iter().filter(|o| !o.disabled) {
            let (to, name) = (&owner.email, &owner.display_name);
            let mail = owners_notice_mail(&self.config, kind, page, to, name, org_name, change, &by, at, meta);
            self.deliver(org_id, &mail, owner.user_id).await;
        }
        Ok(())
    }
}
