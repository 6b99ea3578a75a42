//! Codes by email: six digits, uniformly random from the OS RNG, valid 10 minutes, single use,
//! kept only as a keyed hash bound to the session they were sent for (a code sent to one browser
//! is refused in another). A person without an authenticator app proves a fresh second factor
//! with one before a sensitive change. Where the organisation allows email codes as a second
//! factor, a half-finished sign-in may be completed with one too: by people without an app
//! (instead of enrolling), and by people with one who choose it. Email is weaker than an app:
//! anyone who can read the mailbox passes, so a person who has an app always uses the app for
//! step-up.

use std::time::Duration;

use rand::rngs::OsRng;
use rand::RngCore;

use crate::audit::{Action, Outcome, RequestMeta};
use crate::clock::Timestamp;
use crate::factor::CodeError;
use crate::mail::messages::code_mail;
use crate::policy;
use crate::roles::{Permission, RoleInfo};
use crate::secret::SecretKey;
use crate::send_limit::Sent;
use crate::session::{SessionInfo, SessionState};
use crate::store::Member;
use crate::tessera::Tessera;

/// How long an emailed code works.
pub const EMAIL_CODE_TTL: Duration = Duration::from_secs(10 * 60);

/// Six decimal digits, each of the million equally likely.
pub fn generate() -> String {
    // The largest multiple of a million below 2^32: draws above it are redrawn, so no number
    // is favoured by the remainder.
    const LIMIT: u32 = 4_294_000_000;
    loop {
        let n = OsRng.next_u32();
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// The six digits of what was typed ("123 456" and "123-456" too), if that is what it is.
pub fn normalize(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The stored form of a code: keyed with the instance key and bound to its session.
pub fn code_hash(key: &SecretKey, session_hash: &str, code: &str) -> String {
    key.mac("email-code", format!("{session_hash}:{code}").as_bytes())
}

impl Tessera {
    /// Whether this session may prove its second factor with an emailed code: for step-up, a
    /// signed-in person without an authenticator app; at sign-in, anyone whose organisation
    /// allows email codes as a second factor.
    pub fn proves_by_email(&self, s: &SessionInfo) -> bool {
        match s.state {
            SessionState::Full => !s.has_mfa,
            SessionState::PasswordOk => s.email_codes_in_force(),
        }
    }

    /// Mails a new code for this session to the account's address; any older code dies. Limited
    /// to one a minute and five an hour per account (`TooSoon` says how long to wait). Returns
    /// when the code expires.
    pub async fn send_email_code(&self, s: &SessionInfo, meta: &RequestMeta) -> Result<Timestamp, CodeError> {
        if !self.proves_by_email(s) {
            return Err(CodeError::NotApplicable);
        }
        let now = self.clock.now();
        let code = generate();
        let hash = code_hash(&self.key, &s.token_hash, &code);
        let sent = self.store.issue_email_code(s.user_id, &s.token_hash, &hash, now, EMAIL_CODE_TTL).await?;
        match sent {
            Sent::NotBefore(at) => {
                let why = Some("too many codes asked for; none sent");
                self.audit_own(s, Action::EmailCodeSent, Outcome::Failure, meta, why).await?;
                Err(CodeError::TooSoon(at.since(now).max(Duration::from_secs(1))))
            }
            Sent::Yes => {
                let why = match s.state {
                    SessionState::PasswordOk => "to sign in",
                    SessionState::Full => "to confirm a sensitive change",
                };
                self.audit_own(s, Action::EmailCodeSent, Outcome::Success, meta, Some(why)).await?;
                let mail = code_mail(&s.email, &s.display_name, &code, now, meta);
                self.deliver(s.org_id, &mail, s.user_id).await;
                Ok(now.plus(EMAIL_CODE_TTL))
            }
        }
    }

    /// When this session's emailed code expires, if one is waiting to be typed.
    pub async fn email_code_expiry(&self, s: &SessionInfo) -> crate::error::Result<Option<Timestamp>> {
        self.store.email_code_expiry(&s.token_hash, self.clock.now()).await
    }
}

/// Whom a change of who may use email codes moves: among people whose accounts are in use, who
/// must have MFA and have no authenticator app (nobody else signs in differently).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailCodesImpact {
    /// They sign in with emailed codes now and will have to set up an authenticator app.
    pub to_app: Vec<Member>,
    /// They must set up an app now and will sign in with emailed codes instead.
    pub to_email: Vec<Member>,
}

impl EmailCodesImpact {
    pub fn is_empty(&self) -> bool {
        self.to_app.is_empty() && self.to_email.is_empty()
    }
}

impl Tessera {
    /// Settings -> Security policy: the organisation's roles with whether each may use email
    /// codes. For holders of `manage-policy`.
    pub async fn email_code_roles(&self, s: &SessionInfo) -> crate::error::Result<Option<Vec<RoleInfo>>> {
        if !s.can(Permission::ManagePolicy) {
            return Ok(None);
        }
        Ok(Some(self.store.roles(s.org_id).await?))
    }

    /// What allowing email codes (`allowed`) for exactly the roles `roles` would change, before it
    /// is saved. For holders of `manage-policy`.
    pub async fn email_codes_impact(
        &self,
        s: &SessionInfo,
        allowed: bool,
        roles: &[i64],
    ) -> crate::error::Result<Option<EmailCodesImpact>> {
        if !s.can(Permission::ManagePolicy) {
            return Ok(None);
        }
        let now = self.clock.now();
        let by_email = |m: &Member, org_allowed: bool, role_allowed: bool| {
            let rules = policy::OrgRules { email_codes: org_allowed, ..s.org_rules() };
            rules.requirement(m.role.requires_mfa, role_allowed, false, now) == policy::Requirement::ByEmail
        };
        let mut impact = EmailCodesImpact::default();
        for m in self.all_members(s.org_id).await?.into_iter().filter(|m| !m.disabled && !m.has_mfa) {
            let before = by_email(&m, s.org_email_codes_allowed, m.role.email_codes);
            let after = by_email(&m, allowed, roles.contains(&m.role.id));
            match (before, after) {
                (true, false) => impact.to_app.push(m),
                (false, true) => impact.to_email.push(m),
                _ => {}
            }
        }
        Ok(Some(impact))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_spread_over_all_of_them() {
        let mut first_digits = [0u32; 10];
        for _ in 0..2000 {
            let c = generate();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()), "{c}");
            first_digits[usize::from(c.as_bytes()[0] - b'0')] += 1;
        }
        // Leading zeros are kept, and no digit is starved: each leads about 200 times in 2,000.
        assert!(first_digits.iter().all(|n| *n > 100), "{first_digits:?}");
    }

    #[test]
    fn typed_codes_are_read_leniently_and_hashes_are_bound_to_the_session() {
        assert_eq!(normalize(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalize("123-456").as_deref(), Some("123456"));
        for wrong in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert_eq!(normalize(wrong), None, "{wrong}");
        }
        let key = SecretKey::generate();
        assert_eq!(code_hash(&key, "s1", "123456"), code_hash(&key, "s1", "123456"));
        assert_ne!(code_hash(&key, "s1", "123456"), code_hash(&key, "s2", "123456"));
        assert_ne!(code_hash(&key, "s1", "123456"), code_hash(&SecretKey::generate(), "s1", "123456"));
    }
}
