//! Organisation MFA policy: pure decisions, table-tested.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::model::OrgKind;
use crate::password::MIN_PASSWORD_CHARS;

// The type is stored on the organisation, so it lives in the model; the rules about it are here.
pub use crate::model::MfaPolicy;

/// Shortest password where MFA is required for the user (NIST: 8 with a second factor).
pub const MIN_PASSWORD_CHARS_WITH_MFA: usize = 8;

/// The policy in force: healthcare organisations are always `Required`, whatever is stored.
pub fn effective(kind: OrgKind, stored: MfaPolicy) -> MfaPolicy {
    match kind {
        OrgKind::Healthcare => MfaPolicy::Required,
        OrgKind::Standard => stored,
    }
}

/// Whether a policy may be set for this kind of organisation.
pub fn may_set(kind: OrgKind, policy: MfaPolicy) -> Result<(), &'static str> {
    match (kind, policy) {
        (OrgKind::Healthcare, MfaPolicy::Hidden | MfaPolicy::Visible) => {
            Err("Healthcare organisations must require multi-factor authentication.")
        }
        _ => Ok(()),
    }
}

/// The policy in force for one user: their role may demand MFA where the organisation does not
/// (the strictest rule wins).
pub fn effective_for(kind: OrgKind, stored: MfaPolicy, role_requires_mfa: bool) -> MfaPolicy {
    if role_requires_mfa {
        MfaPolicy::Required
    } else {
        effective(kind, stored)
    }
}

/// Whether emailed codes count as a second factor at sign-in: where the organisation allows them,
/// never in healthcare (which requires an authenticator app).
pub fn email_codes_in_force(kind: OrgKind, allowed: bool) -> bool {
    allowed && kind != OrgKind::Healthcare
}

/// Whether one person may prove a second factor with an emailed code: where the organisation
/// allows email codes and their role is one of those the owners let use them.
pub fn email_codes_for(kind: OrgKind, org_allowed: bool, role_allowed: bool) -> bool {
    email_codes_in_force(kind, org_allowed) && role_allowed
}

/// An organisation's MFA rules as stored, read from the organisation or from a session. What
/// they mean for one person follows from their role and whether they have an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgRules {
    pub kind: OrgKind,
    pub policy: MfaPolicy,
    pub grace_until: Option<Timestamp>,
    /// "Allow email codes as a second factor", as stored.
    pub email_codes: bool,
}

impl OrgRules {
    pub fn of(org: &crate::model::Organisation) -> OrgRules {
        OrgRules {
            kind: org.kind,
            policy: org.mfa_policy,
            grace_until: org.mfa_grace_until,
            email_codes: org.email_codes_allowed,
        }
    }

    /// What they mean now for someone whose role requires MFA (or not) and may use email codes
    /// (or not), who has an authenticator app (or not).
    pub fn requirement(
        self,
        role_requires_mfa: bool,
        role_email_codes: bool,
        has_app: bool,
        now: Timestamp,
    ) -> Requirement {
        let email = email_codes_for(self.kind, self.email_codes, role_email_codes);
        requirement(self.kind, self.policy, self.grace_until, role_requires_mfa, has_app, email, now)
    }
}

/// What the policy means for one user right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// MFA is not offered (Hidden) and the user has none.
    NotOffered,
    /// The user may turn MFA on or off.
    Optional,
    /// Required and the user has it: it cannot be turned off.
    Satisfied,
    /// Required, not enrolled, still in the grace period until the deadline.
    Grace { deadline: Timestamp },
    /// Required, no authenticator app, and the organisation allows email codes: every sign-in
    /// asks for a code mailed to the person. Setting up an app stays open to them.
    ByEmail,
    /// Required, not enrolled, no grace left: confined to enrolment.
    MustEnrol,
}

pub fn requirement(
    kind: OrgKind,
    stored: MfaPolicy,
    grace_until: Option<Timestamp>,
    role_requires_mfa: bool,
    has_mfa: bool,
    email_codes: bool,
    now: Timestamp,
) -> Requirement {
    match (effective_for(kind, stored, role_requires_mfa), has_mfa) {
        (MfaPolicy::Hidden, false) => Requirement::NotOffered,
        (MfaPolicy::Hidden | MfaPolicy::Visible, _) => Requirement::Optional,
        (MfaPolicy::Required, true) => Requirement::Satisfied,
        (MfaPolicy::Required, false) if email_codes_in_force(kind, email_codes) => Requirement::ByEmail,
        (MfaPolicy::Required, false) => match grace_until {
            Some(deadline) if now < deadline => Requirement::Grace { deadline },
            _ => Requirement::MustEnrol,
        },
    }
}

/// What the policy means for someone an administrator's MFA reset holds for a temporary access
/// code: no grace period (the reset may have been asked for because the password leaked), so
/// they are confined to enrolment once they get through. Held or not, a person who can prove a
/// second factor by email, or need not have one, is unaffected.
pub fn with_hold(r: Requirement, held: bool) -> Requirement {
    match (r, held) {
        (Requirement::Grace { .. }, true) => Requirement::MustEnrol,
        (r, _) => r,
    }
}

/// One person's MFA, as every page, list and mail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaState {
    /// They sign in with an authenticator app (or its recovery codes).
    App,
    /// No app; MFA is required and each sign-in takes a code sent by email.
    EmailCodes,
    /// No app, and nothing requires one (or MFA is not offered).
    NotSetUp,
    /// Required, no app yet, within the grace period that ends at `deadline`.
    RequiredBy { deadline: Timestamp },
    /// Required, no app, no grace left: they can do nothing until they set it up.
    Locked,
}

impl MfaState {
    /// `r`: what the policy means for them now.
    pub fn of(has_app: bool, r: Requirement) -> MfaState {
        match (has_app, r) {
            (true, _) => MfaState::App,
            (false, Requirement::ByEmail) => MfaState::EmailCodes,
            (false, Requirement::Grace { deadline }) => MfaState::RequiredBy { deadline },
            (false, Requirement::MustEnrol) => MfaState::Locked,
            (false, _) => MfaState::NotSetUp,
        }
    }

    /// The words for it, on a badge or in a sentence.
    pub fn label(self) -> String {
        match self {
            MfaState::App => "Authenticator app".into(),
            MfaState::EmailCodes => "Email codes".into(),
            MfaState::NotSetUp => "Not set up".into(),
            MfaState::RequiredBy { deadline } => {
                let date = deadline.to_display();
                format!("Required, not set up by {}", date.split(' ').next().unwrap_or(&date))
            }
            MfaState::Locked => "Required, locked until set up".into(),
        }
    }

    /// Whether something is owed (the badge says so in amber as well as in words).
    pub fn owed(self) -> bool {
        matches!(self, MfaState::RequiredBy { .. } | MfaState::Locked)
    }
}

/// What an administrator's reset of someone's MFA leads to at their next sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterReset {
    /// MFA is not offered to them: the password alone signs them in.
    PasswordOnly,
    /// MFA is optional for them: the password alone signs them in until they set it up again.
    Optional,
    /// MFA is required and email codes are allowed: each sign-in asks for a code by email.
    EmailCodes,
    /// MFA is required and nothing else proves a second factor: the account is held until they
    /// enter a temporary access code from an administrator, and then they must enrol again.
    AccessCode,
}

impl AfterReset {
    /// `after`: the person's requirement once their authenticator is gone (no hold yet).
    pub fn from_requirement(after: Requirement) -> AfterReset {
        match after {
            Requirement::NotOffered => AfterReset::PasswordOnly,
            Requirement::Optional | Requirement::Satisfied => AfterReset::Optional,
            Requirement::ByEmail => AfterReset::EmailCodes,
            Requirement::Grace { .. } | Requirement::MustEnrol => AfterReset::AccessCode,
        }
    }

    /// What a reset would lead to for a member whose role requires MFA (or not) and may use
    /// email codes (or not), now (their authenticator gone).
    pub fn for_member(rules: OrgRules, role_requires_mfa: bool, role_email_codes: bool, now: Timestamp) -> AfterReset {
        AfterReset::from_requirement(rules.requirement(role_requires_mfa, role_email_codes, false, now))
    }

    /// Whether the reset holds the account for a temporary access code.
    pub fn holds(self) -> bool {
        self == AfterReset::AccessCode
    }

    /// What the Reset MFA confirmation tells the administrator will happen next.
    pub fn for_admin(self) -> &'static str {
        match self {
            AfterReset::PasswordOnly => "they sign in with their password alone: your organisation does not offer MFA.",
            AfterReset::Optional => {
                "they sign in with their password alone until they set up MFA again: your organisation does not require it of them."
            }
            AfterReset::EmailCodes => {
                "their next sign-in asks for a code sent to their email address (your organisation allows email codes); they can set up an authenticator app again later."
            }
            AfterReset::AccessCode => {
                "they cannot sign in until they enter a temporary access code, which you get on the next page and give them yourself (in person, by phone or on a video call, never by email); then they set up MFA again."
            }
        }
    }
}

/// The shortest password allowed for a member under this policy and role.
pub fn min_password_chars(kind: OrgKind, stored: MfaPolicy, role_requires_mfa: bool) -> usize {
    match effective_for(kind, stored, role_requires_mfa) {
        MfaPolicy::Required => MIN_PASSWORD_CHARS_WITH_MFA,
        _ => MIN_PASSWORD_CHARS,
    }
}

/// The days "Passwords expire after N days" may be set to.
pub const PASSWORD_MAX_AGE_DAYS: std::ops::RangeInclusive<u32> = 30..=365;

/// Whether a password chosen at `changed_at` has expired under a maximum age of `days`.
pub fn password_expired(days: Option<u32>, changed_at: Timestamp, now: Timestamp) -> bool {
    days.is_some_and(|d| now >= changed_at.plus(Duration::from_secs(u64::from(d) * 86_400)))
}

/// Whole days left until `deadline`, rounded up (for the banner).
pub fn days_left(deadline: Timestamp, now: Timestamp) -> u64 {
    let left = deadline.since(now).as_millis() as u64;
    left.div_ceil(Duration::from_secs(86_400).as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MfaPolicy::*;
    use OrgKind::*;

    const NOW: Timestamp = Timestamp(1_000_000_000_000);

    #[test]
    fn requirement_table() {
        let deadline = Timestamp(NOW.0 + 3 * 86_400_000);
        let later = Some(deadline);
        let earlier = Some(Timestamp(NOW.0 - 1));
        let table = [
            // kind, stored policy, grace deadline, role requires MFA, has MFA -> requirement
            (Standard, Hidden, None, false, false, Requirement::NotOffered),
            (Standard, Hidden, None, false, true, Requirement::Optional),
            (Standard, Visible, None, false, false, Requirement::Optional),
            (Standard, Visible, None, false, true, Requirement::Optional),
            (Standard, Required, None, false, true, Requirement::Satisfied),
            (Standard, Required, None, false, false, Requirement::MustEnrol),
            (Standard, Required, later, false, false, Requirement::Grace { deadline }),
            (Standard, Required, earlier, false, false, Requirement::MustEnrol),
            // Healthcare is always Required, whatever is stored.
            (Healthcare, Hidden, None, false, false, Requirement::MustEnrol),
            (Healthcare, Visible, None, false, true, Requirement::Satisfied),
            (Healthcare, Visible, later, false, false, Requirement::Grace { deadline }),
            // A role that requires MFA wins over a laxer organisation setting.
            (Standard, Visible, None, true, false, Requirement::MustEnrol),
            (Standard, Hidden, None, true, false, Requirement::MustEnrol),
            (Standard, Visible, None, true, true, Requirement::Satisfied),
            (Standard, Required, later, true, false, Requirement::Grace { deadline }),
        ];
        for (kind, policy, grace, role, has, want) in table {
            assert_eq!(
                requirement(kind, policy, grace, role, has, false, NOW),
                want,
                "{kind:?} {policy:?} {grace:?} role {role} has {has}"
            );
        }
    }

    #[test]
    fn email_codes_meet_a_required_policy_only_for_people_without_an_app_and_never_in_healthcare() {
        let later = Some(Timestamp(NOW.0 + 86_400_000));
        let table = [
            // kind, stored policy, grace deadline, role requires MFA, has MFA -> requirement
            (Standard, Required, None, false, false, Requirement::ByEmail),
            (Standard, Required, later, false, false, Requirement::ByEmail),
            (Standard, Visible, None, true, false, Requirement::ByEmail),
            (Standard, Required, None, false, true, Requirement::Satisfied),
            (Standard, Visible, None, false, false, Requirement::Optional),
            (Standard, Hidden, None, false, false, Requirement::NotOffered),
            (Healthcare, Required, None, false, false, Requirement::MustEnrol),
            (Healthcare, Visible, None, false, true, Requirement::Satisfied),
        ];
        for (kind, policy, grace, role, has, want) in table {
            assert_eq!(
                requirement(kind, policy, grace, role, has, true, NOW),
                want,
                "{kind:?} {policy:?} {grace:?} role {role} has {has}"
            );
        }
        assert!(email_codes_in_force(Standard, true));
        assert!(!email_codes_in_force(Standard, false));
        assert!(!email_codes_in_force(Healthcare, true));
    }

    #[test]
    fn a_hold_for_an_access_code_ends_the_grace_period_and_nothing_else() {
        let deadline = Timestamp(NOW.0 + 86_400_000);
        let table = [
            (Requirement::Grace { deadline }, Requirement::MustEnrol),
            (Requirement::MustEnrol, Requirement::MustEnrol),
            (Requirement::ByEmail, Requirement::ByEmail),
            (Requirement::Optional, Requirement::Optional),
            (Requirement::NotOffered, Requirement::NotOffered),
            (Requirement::Satisfied, Requirement::Satisfied),
        ];
        for (r, held) in table {
            assert_eq!(with_hold(r, true), held, "{r:?}");
            assert_eq!(with_hold(r, false), r, "{r:?} without a hold");
        }
    }

    #[test]
    fn a_reset_holds_the_account_only_where_mfa_stays_required_and_email_cannot_prove_it() {
        let deadline = Timestamp(NOW.0 + 86_400_000);
        let table = [
            (Requirement::Grace { deadline }, AfterReset::AccessCode),
            (Requirement::MustEnrol, AfterReset::AccessCode),
            (Requirement::ByEmail, AfterReset::EmailCodes),
            (Requirement::Optional, AfterReset::Optional),
            (Requirement::NotOffered, AfterReset::PasswordOnly),
        ];
        for (r, want) in table {
            assert_eq!(AfterReset::from_requirement(r), want, "{r:?}");
            assert_eq!(want.holds(), want == AfterReset::AccessCode);
        }
        // Through the policy: a member whose role requires MFA in a Visible organisation is held;
        // with email codes allowed they are not; in healthcare email never stands in.
        let after = |kind, policy, role, email| {
            AfterReset::for_member(OrgRules { kind, policy, grace_until: None, email_codes: email }, role, true, NOW)
        };
        assert_eq!(after(Standard, Visible, true, false), AfterReset::AccessCode);
        assert_eq!(after(Standard, Visible, true, true), AfterReset::EmailCodes);
        assert_eq!(after(Standard, Visible, false, false), AfterReset::Optional);
        assert_eq!(after(Healthcare, Visible, false, true), AfterReset::AccessCode);
    }

    #[test]
    fn one_state_and_one_name_for_each_persons_mfa() {
        let deadline = Timestamp(1_796_860_800_000); // 2026-12-10 00:00 UTC
        let table = [
            (true, Requirement::Satisfied, "Authenticator app"),
            (true, Requirement::Optional, "Authenticator app"),
            (false, Requirement::ByEmail, "Email codes"),
            (false, Requirement::Optional, "Not set up"),
            (false, Requirement::NotOffered, "Not set up"),
            (false, Requirement::Grace { deadline }, "Required, not set up by 2026-12-10"),
            (false, Requirement::MustEnrol, "Required, locked until set up"),
        ];
        for (app, r, name) in table {
            assert_eq!(MfaState::of(app, r).label(), name, "{app} {r:?}");
        }
        assert!(MfaState::Locked.owed() && MfaState::RequiredBy { deadline }.owed());
        assert!(!MfaState::EmailCodes.owed() && !MfaState::App.owed() && !MfaState::NotSetUp.owed());
    }

    #[test]
    fn healthcare_cannot_lower_the_policy() {
        assert!(may_set(Healthcare, Hidden).is_err());
        assert!(may_set(Healthcare, Visible).is_err());
        assert!(may_set(Healthcare, Required).is_ok());
        for p in [Hidden, Visible, Required] {
            assert!(may_set(Standard, p).is_ok());
        }
    }

    #[test]
    fn passwords_may_be_shorter_where_mfa_is_required() {
        assert_eq!(min_password_chars(Standard, Visible, false), 15);
        assert_eq!(min_password_chars(Standard, Hidden, false), 15);
        assert_eq!(min_password_chars(Standard, Required, false), 8);
        assert_eq!(min_password_chars(Healthcare, Visible, false), 8);
        assert_eq!(min_password_chars(Standard, Visible, true), 8);
    }

    #[test]
    fn passwords_expire_at_their_age_to_the_millisecond_and_never_when_off() {
        let day = 86_400_000;
        let chosen = Timestamp(NOW.0 - 30 * day);
        assert!(password_expired(Some(30), chosen, NOW));
        assert!(!password_expired(Some(30), Timestamp(chosen.0 + 1), NOW));
        assert!(!password_expired(Some(31), chosen, NOW));
        assert!(!password_expired(None, Timestamp(0), NOW));
        assert_eq!((*PASSWORD_MAX_AGE_DAYS.start(), *PASSWORD_MAX_AGE_DAYS.end()), (30, 365));
    }

    #[test]
    fn days_left_round_up() {
        assert_eq!(days_left(Timestamp(NOW.0 + 1), NOW), 1);
        assert_eq!(days_left(Timestamp(NOW.0 + 86_400_000), NOW), 1);
        assert_eq!(days_left(Timestamp(NOW.0 + 86_400_001), NOW), 2);
        assert_eq!(days_left(Timestamp(NOW.0 - 5), NOW), 0);
    }
}
