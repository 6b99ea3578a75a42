//! Account -> Email preferences: the optional mail a person may turn off, and the one-click
//! unsubscribe link each optional mail carries (RFC 8058). Security mail has no topic and no
//! link: it always goes out.

use subtle::ConstantTimeEq;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::Result;
use crate::mail::Topic;
use crate::session::SessionInfo;
use crate::tessera::Tessera;

const UNSUBSCRIBE_CONTEXT: &str = "unsubscribe";

/// A topic and whether the person gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preference {
    pub topic: Topic,
    pub on: bool,
}

impl Tessera {
    /// The topics this person may turn off (the digest only for those who get it), and which
    /// are on.
    pub async fn mail_preferences(&self, s: &SessionInfo) -> Result<Vec<Preference>> {
        let off = self.store.opted_out_topics(s.user_id).await?;
        Ok(Topic::ALL
            .into_iter()
            .filter(|t| *t != Topic::Digest || s.can(crate::roles::Permission::ViewActivityLog))
            .map(|topic| Preference { topic, on: !off.iter().any(|t| t == topic.id()) })
            .collect())
    }

    /// Keeps the topics in `on` and turns the others off; each change is in the activity log.
    pub async fn set_mail_preferences(&self, s: &SessionInfo, on: &[Topic], meta: &RequestMeta) -> Result<()> {
        for topic in self.mail_preferences(s).await?.into_iter().map(|p| p.topic) {
            let off = !on.contains(&topic);
            if self.store.set_opt_out(s.user_id, topic.id(), off, self.clock.now()).await? {
                self.audit_own(s, Action::MailPreferenceChanged, Outcome::Success, meta, Some(topic.change(off)))
                    .await?;
            }
        }
        Ok(())
    }

    /// The link that turns `topic` off for `user_id` without signing in: the account and topic,
    /// signed with the instance key.
    pub fn unsubscribe_link(&self, user_id: i64, topic: Topic) -> String {
        let mac = self.key.mac(UNSUBSCRIBE_CONTEXT, format!("{user_id}:{}", topic.id()).as_bytes());
        self.config.link(&format!("/unsubscribe?token={user_id}.{}.{}", topic.id(), &mac[..32]))
    }

    /// What an unsubscribe token names, if Tessera signed it.
    pub fn unsubscribe_target(&self, token: &str) -> Option<(i64, Topic)> {
        let mut parts = token.split('.');
        let (user, topic, mac) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || mac.len() != 32 {
            return None;
        }
        let user_id: i64 = user.parse().ok()?;
        let topic = Topic::from_id(topic)?;
        let expected = self.key.mac(UNSUBSCRIBE_CONTEXT, format!("{user_id}:{}", topic.id()).as_bytes());
        bool::from(expected.as_bytes()[..32].ct_eq(mac.as_bytes())).then_some((user_id, topic))
    }

    /// Turns off what a signed link names; `None` for a link Tessera did not sign.
    pub async fn unsubscribe(&self, token: &str, meta: &RequestMeta) -> Result<Option<Topic>> {
        let Some((user_id, topic)) = self.unsubscribe_target(token) else { return Ok(None) };
        if self.store.set_opt_out(user_id, topic.id(), true, self.clock.now()).await? {
            let org_id = self.store.primary_membership(user_id).await?.map(|(org, _)| org.id);
            let e = audit::event(
                self.clock.now(),
                Action::MailPreferenceChanged,
                Outcome::Success,
                org_id,
                Some(user_id),
                Some(user_id),
                meta,
                Some(topic.change(true)),
            );
            self.audit(e).await?;
        }
        Ok(Some(topic))
    }
}

impl Tessera {
    /// The address of `user_id`, for the page of an unsubscribe link (whose token names them).
    pub async fn account_email(&self, user_id: i64) -> Result<Option<String>> {
        let Some((org, _)) = self.store.primary_membership(user_id).await? else { return Ok(None) };
        Ok(self.store.member(org.id, user_id).await?.map(|m| m.email))
    }
}
