//! Temporary access codes. An administrator's reset of someone's MFA, where MFA stays required of
//! them and they cannot prove a second factor another way, holds the account: the next sign-in
//! needs, after the password, a code the administrator hands over by the channel they verified
//! the person on. Without it nobody gets to enrolment, so whoever phished the password (often the
//! very reason for the reset) cannot set up an authenticator of their own.
//!
//! A code is 12 characters from an alphabet without look-alikes (about 59 bits, shown as
//! `ABCD-EFGH-JKMN`), drawn from the OS RNG, kept only as a keyed hash bound to the account,
//! single use (one conditional update) and valid for `TESSERA_ACCESS_CODE_MINUTES` (60 by
//! default). Wrong codes draw on the account's failure budget like every other code. A new code
//! (replacing the old one) can be issued from the member's page; the hold itself ends only when
//! the person has enrolled an authenticator again.

use std::time::Duration;

use rand::rngs::OsRng;
use rand::RngCore;

use crate::audit::{Action, Outcome, RequestMeta};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::mfa::{CodeError, Factor};
use crate::roles;
use crate::secret::SecretKey;
use crate::session::SessionInfo;
use crate::store::{AccessHold, Budget, CodeUse, NewAccessCode};
use crate::team::TeamError;
use crate::tessera::Tessera;
use crate::throttle;

/// Unambiguous characters: no I, L, O, U, 0 or 1.
const ALPHABET: &[u8; 30] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
const LENGTH: usize = 12;
/// How long the page that shows a new code to its issuer can still show it.
const SHOW_FOR: Duration = Duration::from_secs(10 * 60);

/// A temporary access code, in the clear only between its issue and the one page that shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode(String);

impl std::fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessCode(<redacted>)")
    }
}

impl AccessCode {
    pub fn generate() -> AccessCode {
        let mut code = String::with_capacity(LENGTH);
        while code.len() < LENGTH {
            let mut byte = [0u8; 1];
            OsRng.fill_bytes(&mut byte);
            // 240 = 8 x 30: bytes above it are redrawn, so every character is equally likely.
            if byte[0] < 240 {
                code.push(ALPHABET[usize::from(byte[0]) % ALPHABET.len()] as char);
            }
        }
        AccessCode(code)
    }

    /// What was typed, as a code: case, spaces and dashes do not matter.
    pub fn parse(input: &str) -> Option<AccessCode> {
        let code: String =
            input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(AccessCode(code))
    }

    /// In groups of four, as people read it out and type it.
    pub fn display(&self) -> String {
        self.0.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
    }

    /// The stored form: keyed with the instance key and bound to the account it was issued for.
    pub fn hash(&self, key: &SecretKey, user_id: i64) -> String {
        key.mac("access-code", format!("{user_id}:{}", self.0).as_bytes())
    }
}

fn show_context(session_hash: &str, user_id: i64) -> String {
    format!("access-code-to-show:{session_hash}:{user_id}")
}

impl Tessera {
    /// A new code for `user_id`, and what the store keeps of it.
    pub(crate) fn new_access_code(&self, user_id: i64, issued_by: Option<i64>) -> (AccessCode, NewAccessCode) {
        let code = AccessCode::generate();
        let kept = NewAccessCode {
            code_hash: code.hash(&self.key, user_id),
            issued_by,
            expires_at: self.clock.now().plus(self.config.access_code_ttl),
        };
        (code, kept)
    }

    /// How long a temporary access code works.
    pub fn access_code_ttl(&self) -> Duration {
        self.config.access_code_ttl
    }

    /// The account's hold for a temporary access code, if an MFA reset put one on it.
    pub async fn access_hold(&self, user_id: i64) -> Result<Option<AccessHold>> {
        self.store.access_hold(user_id).await
    }

    /// Keeps a new code for the page that shows it, once, to the administrator who issued it:
    /// the request that made it redirects there, so a reload cannot issue another.
    pub(crate) async fn keep_access_code_to_show(
        &self,
        s: &SessionInfo,
        user_id: i64,
        code: &AccessCode,
    ) -> Result<()> {
        let sealed = self.key.seal(&show_context(&s.token_hash, user_id), code.display().as_bytes());
        let expires_at = self.clock.now().plus(SHOW_FOR);
        self.store.put_access_code_to_show(&s.token_hash, user_id, &sealed, expires_at).await
    }

    /// The code this session issued for `user_id`, if it was not shown yet. A second call finds
    /// nothing.
    pub async fn take_access_code_to_show(&self, s: &SessionInfo, user_id: i64) -> Result<Option<String>> {
        let now = self.clock.now();
        let Some(sealed) = self.store.take_access_code_to_show(&s.token_hash, user_id, now).await? else {
            return Ok(None);
        };
        match self.key.open(&show_context(&s.token_hash, user_id), &sealed) {
            Some(text) => Ok(Some(String::from_utf8_lossy(&text).into_owned())),
            None => {
                tracing::error!("a temporary access code kept for a session did not open");
                Ok(None)
            }
        }
    }

    /// A new temporary access code for a member an MFA reset holds (the last one expired, or was
    /// lost): the same rules as the reset (`manage-mfa`, the same organisation, at least the
    /// member's permissions) and a fresh second factor. The old code dies; the new one is kept
    /// for the page that shows it once.
    pub async fn issue_access_code(
        &self,
        s: &SessionInfo,
        user_id: i64,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), TeamError> {
        let member = self.member_to_act_on(s, user_id, roles::may_reset_mfa, Action::AccessCodeIssued, meta).await?;
        if member.has_mfa || self.store.access_hold(member.user_id).await?.is_none() {
            return Err(TeamError::NothingToChange);
        }
        self.ensure_step_up(s, code, meta).await?;
        let now = self.clock.now();
        let (code, kept) = self.new_access_code(member.user_id, Some(s.user_id));
        self.store.put_access_code(member.user_id, &kept, now).await?;
        self.audit_done(s, Action::AccessCodeIssued, Some(member.user_id), None, None, meta).await?;
        self.keep_access_code_to_show(s, member.user_id, &code).await?;
        Ok(())
    }

    /// The sign-in step of a held account: the temporary access code instead of a second factor.
    /// It proves nothing about a factor (the session gets no fresh confirmation); it only lets
    /// the person through to enrolment, which the hold confines them to.
    pub(crate) async fn prove_access_code(
        &self,
        s: &SessionInfo,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<Factor, CodeError> {
        let now = self.clock.now();
        let account_key = self.account_key(&s.email);
        if let Budget::Waiting { until } = self.store.throttle_take(&account_key, now, throttle::delay_after).await? {
            self.audit_own(
                s,
                Action::AccessCodeRefused,
                Outcome::Failure,
                meta,
                Some("account is waiting out its failure budget"),
            )
            .await?;
            return Err(CodeError::Waiting(until.since(now)));
        }
        let used = match AccessCode::parse(code) {
            Some(code) => self.store.use_access_code(s.user_id, &code.hash(&self.key, s.user_id), now).await?,
            None => CodeUse::Refused,
        };
        match used {
            CodeUse::Used => {
                self.store.throttle_clear(&account_key, now).await?;
                self.audit_own(s, Action::AccessCodeUsed, Outcome::Success, meta, None).await?;
                Ok(Factor::AccessCode)
            }
            CodeUse::Expired => {
                self.audit_own(s, Action::AccessCodeRefused, Outcome::Failure, meta, Some("code expired")).await?;
                Err(CodeError::Expired)
            }
            CodeUse::Refused => {
                self.audit_own(s, Action::AccessCodeRefused, Outcome::Failure, meta, Some("wrong or used code"))
                    .await?;
                Err(CodeError::Invalid)
            }
        }
    }
}

/// Whether a hold's code can still be used (not used yet, not expired).
pub fn code_live(hold: &AccessHold, now: Timestamp) -> bool {
    hold.used_at.is_none() && now < hold.expires_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twelve_unambiguous_characters_shown_in_groups_of_four() {
        let code = AccessCode::generate();
        assert_eq!(code.0.len(), 12);
        assert!(code.0.bytes().all(|b| ALPHABET.contains(&b)), "{}", code.0);
        let shown = code.display();
        assert_eq!(shown.len(), 14);
        assert_eq!(shown.matches('-').count(), 2);
        assert_eq!(AccessCode::parse(&shown), Some(code.clone()));
        assert_ne!(AccessCode::generate(), code, "drawn at random");
    }

    #[test]
    fn typed_codes_forgive_case_spaces_and_dashes_and_nothing_else() {
        let want = AccessCode("ABCDEFGHJKMN".into());
        for typed in ["ABCD-EFGH-JKMN", "abcd efgh jkmn", " abcdefghjkmn ", "AbCd-EfGh JkMn"] {
            assert_eq!(AccessCode::parse(typed), Some(want.clone()), "{typed:?}");
        }
        // Look-alikes are not in the alphabet, wrong lengths and six-digit codes are not codes.
        for typed in ["ABCD-EFGH-JKMO", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "123456", "", "ABCD-EFGH-JKM1"] {
            assert_eq!(AccessCode::parse(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn hashes_are_keyed_and_bound_to_the_account() {
        let key = SecretKey::generate();
        let code = AccessCode("ABCDEFGHJKMN".into());
        assert_eq!(code.hash(&key, 1), code.hash(&key, 1));
        assert_ne!(code.hash(&key, 1), code.hash(&key, 2), "another account's code does not match");
        assert_ne!(code.hash(&key, 1), code.hash(&SecretKey::generate(), 1), "another key does not match");
        assert!(!code.hash(&key, 1).contains("ABCD"));
        assert_eq!(format!("{code:?}"), "AccessCode(<redacted>)");
    }

    #[test]
    fn every_character_is_drawn() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            seen.extend(AccessCode::generate().0.bytes());
        }
        assert_eq!(seen.len(), ALPHABET.len());
    }
}
