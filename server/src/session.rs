//! Sessions' states and lifetimes (the steps of signing in are `sign_in`'s).
//!
//! `password_ok -> full`: a `password_ok` session owes its second factor and can only answer the
//! challenge; a right password with none owed opens a `full` session at once. Every change of
//! state issues a new token (the old one dies), so a token seen before sign-in is worthless after
//! it.

use std::str::FromStr;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::model::OrgKind;
use crate::roles::{Permission, RoleInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SessionState {
    /// The password was right; the second factor is still owed. Can do nothing but the challenge.
    PasswordOk,
    /// Fully signed in.
    Full,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::PasswordOk => "password_ok",
            SessionState::Full => "full",
        }
    }
}

impl FromStr for SessionState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "password_ok" => Ok(SessionState::PasswordOk),
            "full" => Ok(SessionState::Full),
            other => Err(format!("unknown session state {other:?}")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Ends a session nobody used for this long.
    pub idle: Duration,
    /// Ends every session this long after sign-in, used or not.
    pub absolute: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits { idle: Duration::from_secs(3600), absolute: Duration::from_secs(12 * 3600) }
    }
}

/// A half-finished sign-in (password right, code still owed) lasts this long at most.
pub const CHALLENGE_WINDOW: Duration = Duration::from_secs(10 * 60);

impl SessionLimits {
    pub fn is_live(&self, created_at: Timestamp, last_seen_at: Timestamp, now: Timestamp) -> bool {
        now < created_at.plus(self.absolute) && now < last_seen_at.plus(self.idle)
    }

    /// As [`SessionLimits::is_live`], and a `password_ok` session ends when its challenge
    /// window closes: a stolen password alone must not hold a session open for hours.
    pub fn is_live_in_state(
        &self,
        state: SessionState,
        created_at: Timestamp,
        last_seen_at: Timestamp,
        now: Timestamp,
    ) -> bool {
        let window_open = state != SessionState::PasswordOk || now < created_at.plus(CHALLENGE_WINDOW);
        window_open && self.is_live(created_at, last_seen_at, now)
    }

    /// Writing `last_seen_at` on every request would turn every page view into a write; once a
    /// minute is plenty against an idle limit measured in minutes or hours.
    pub fn should_touch(&self, last_seen_at: Timestamp, now: Timestamp) -> bool {
        now.since(last_seen_at) >= Duration::from_secs(60).min(self.idle / 4)
    }
}

/// A live session as the web layer sees it: who, in which organisation, in which state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub token_hash: String,
    pub state: SessionState,
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub org_id: i64,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub role: RoleInfo,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// When this session last proved a second factor, if ever.
    pub second_factor_at: Option<Timestamp>,
    /// The organisation's stored MFA policy and grace deadline, and whether the user has MFA:
    /// read with every request so a policy change applies to open sessions at once.
    pub org_mfa_policy: crate::policy::MfaPolicy,
    pub org_mfa_grace_until: Option<Timestamp>,
    /// As stored: whether the organisation allows emailed codes as a second factor (see
    /// [`SessionInfo::email_codes_in_force`]).
    pub org_email_codes_allowed: bool,
    /// Whether an MFA reset may go ahead on a request verified by email only (flagged).
    pub org_email_only_resets: bool,
    /// "Passwords expire after N days", and when this person's password was chosen.
    pub org_password_max_age_days: Option<u32>,
    pub password_changed_at: Timestamp,
    pub has_mfa: bool,
    /// An administrator reset this person's MFA and holds the account for a temporary access
    /// code until they enrol again (see [`crate::policy::with_hold`]).
    pub mfa_hold: bool,
    /// Opened by a sign-in provider rather than a password: password expiry does not apply.
    pub via_provider: bool,
    /// A password reset left the question "what about your MFA?" for the next full sign-in
    /// (see [`crate::tessera::Tessera::password_prompt`]).
    pub password_prompt_pending: bool,
}

impl SessionInfo {
    /// What the organisation's MFA policy means for this user now.
    pub fn mfa_requirement(&self, now: Timestamp) -> crate::policy::Requirement {
        let r = self.org_rules().requirement(self.role.requires_mfa, self.role.email_codes, self.has_mfa, now);
        crate::policy::with_hold(r, self.mfa_hold)
    }

    /// The organisation's MFA rules, as read with this request.
    pub fn org_rules(&self) -> crate::policy::OrgRules {
        crate::policy::OrgRules {
            kind: self.org_kind,
            policy: self.org_mfa_policy,
            grace_until: self.org_mfa_grace_until,
            email_codes: self.org_email_codes_allowed,
        }
    }

    /// Whether the organisation's password expiry has caught up with this person's password: they
    /// must choose a new one before anything else. Not in a session a provider opened: the
    /// password was not used, and the provider's own rules govern its account.
    pub fn password_expired(&self, now: Timestamp) -> bool {
        !self.via_provider
            && crate::policy::password_expired(self.org_password_max_age_days, self.password_changed_at, now)
    }

    /// Whether emailed codes count as this person's second factor at sign-in: their
    /// organisation allows them, for their role.
    pub fn email_codes_in_force(&self) -> bool {
        crate::policy::email_codes_for(self.org_kind, self.org_email_codes_allowed, self.role.email_codes)
    }

    pub fn can(&self, p: Permission) -> bool {
        self.role.can(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    #[test]
    fn idle_and_absolute_limits() {
        let l = SessionLimits::default();
        let t0 = Timestamp(1_000_000_000);
        let at = |ms: u64| Timestamp(t0.0 + ms as i64);
        // Idle: 59 minutes quiet is fine, 60 is not.
        assert!(l.is_live(t0, t0, at(59 * MIN)));
        assert!(!l.is_live(t0, t0, at(60 * MIN)));
        // Active all along, the absolute limit still ends it at 12 h.
        assert!(l.is_live(t0, at(11 * 60 * MIN + 30 * MIN), at(12 * 60 * MIN - 1)));
        assert!(!l.is_live(t0, at(11 * 60 * MIN + 59 * MIN), at(12 * 60 * MIN)));
    }

    #[test]
    fn half_finished_sign_ins_end_after_the_challenge_window() {
        let l = SessionLimits::default();
        let t0 = Timestamp(0);
        let at = |ms: u64| Timestamp(ms as i64);
        assert!(l.is_live_in_state(SessionState::PasswordOk, t0, at(9 * MIN), at(10 * MIN - 1)));
        assert!(!l.is_live_in_state(SessionState::PasswordOk, t0, at(9 * MIN), at(10 * MIN)));
        assert!(l.is_live_in_state(SessionState::Full, t0, at(9 * MIN), at(10 * MIN)));
    }

    #[test]
    fn touches_at_most_once_a_minute() {
        let l = SessionLimits::default();
        let t0 = Timestamp(0);
        assert!(!l.should_touch(t0, Timestamp(59_999)));
        assert!(l.should_touch(t0, Timestamp(60_000)));
        let short = SessionLimits { idle: Duration::from_secs(60), absolute: Duration::from_secs(600) };
        assert!(short.should_touch(t0, Timestamp(15_000)), "short idle limits touch more often");
    }

    #[test]
    fn states_round_trip() {
        for s in [SessionState::PasswordOk, SessionState::Full] {
            assert_eq!(s.as_str().parse::<SessionState>().unwrap(), s);
        }
        assert!("admin".parse::<SessionState>().is_err());
    }
}
