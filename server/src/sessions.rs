//! Opening, finding and ending sessions (see `session` for their states and lifetimes).

use crate::audit::{Action, Outcome, RequestMeta};
use crate::error::Result;
use crate::secret::Token;
use crate::session::{SessionInfo, SessionState};
use crate::store::NewSession;
use crate::tessera::Tessera;

impl Tessera {
    pub(crate) fn new_session(
        &self,
        token: &Token,
        user_id: i64,
        org_id: i64,
        state: SessionState,
        meta: &RequestMeta,
    ) -> NewSession {
        NewSession {
            token_hash: token.hash(),
            user_id,
            org_id,
            state,
            ip: meta.ip.map(|i| i.to_string()),
            user_agent: meta.user_agent.clone(),
            second_factor_at: None,
            via_provider: false,
        }
    }

    pub(crate) async fn open_session(
        &self,
        user_id: i64,
        org_id: i64,
        state: SessionState,
        via_provider: bool,
        meta: &RequestMeta,
    ) -> Result<Token> {
        let token = Token::generate();
        let mut s = self.new_session(&token, user_id, org_id, state, meta);
        s.via_provider = via_provider;
        self.store.create_session(&s, self.clock.now()).await?;
        Ok(token)
    }

    /// The live session behind a cookie value, if any. Expired sessions are deleted on sight.
    pub async fn session(&self, token: &str) -> Result<Option<SessionInfo>> {
        let Some(token) = Token::parse(token) else { return Ok(None) };
        let hash = token.hash();
        let Some(s) = self.store.find_session(&hash).await? else { return Ok(None) };
        let now = self.clock.now();
        if !self.config.session.is_live_in_state(s.state, s.created_at, s.last_seen_at, now) {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        if self.config.session.should_touch(s.last_seen_at, now) {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(Some(s))
    }

    /// Ends the session on the server; the cookie alone is worthless afterwards.
    pub async fn sign_out(&self, token: &str, meta: &RequestMeta) -> Result<()> {
        let Some(token) = Token::parse(token) else { return Ok(()) };
        let hash = token.hash();
        let session = self.store.find_session(&hash).await?;
        if self.store.delete_session(&hash).await? {
            if let Some(s) = session {
                self.audit_own(&s, Action::SignOut, Outcome::Success, meta, None).await?;
            }
        }
        Ok(())
    }

    /// Deletes sessions past their limits (run periodically).
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = self.clock.now();
        let idle_before = crate::clock::Timestamp(now.0 - self.config.session.idle.as_millis() as i64);
        let created_before = crate::clock::Timestamp(now.0 - self.config.session.absolute.as_millis() as i64);
        self.store.purge_sessions(idle_before, created_before).await
    }
}
