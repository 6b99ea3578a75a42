//! The audit trail: one way to record what happened, by whom, to whom, from where. Callers pass
//! only non-secret facts; there is no field a password, code or token could go in except `detail`,
//! and every `detail` written by Tessera is a fixed phrase.

use std::net::IpAddr;

use crate::clock::Timestamp;
use crate::store::AuditEvent;

/// Where a request came from, for the audit log and security notices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        // Bounded: a client chooses its user agent, the log should not grow with it.
        let user_agent = user_agent.map(|ua| ua.chars().filter(|c| !c.is_control()).take(256).collect());
        RequestMeta { ip, user_agent }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SetupCompleted,
    OrganisationCreated,
    MemberAdded,
    PasswordSet,
    SignIn,
    SignOut,
    MfaEnrolmentStarted,
    MfaEnabled,
    MfaEnrolmentFailed,
    MfaChallenge,
    MfaReplay,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    AuthenticatorReset,
    MfaDisabled,
    StepUp,
    PolicyChanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SetupCompleted => "setup.completed",
            Action::OrganisationCreated => "organisation.created",
            Action::MemberAdded => "member.added",
            Action::PasswordSet => "password.set",
            Action::SignIn => "signin",
            Action::SignOut => "signout",
            Action::MfaEnrolmentStarted => "mfa.enrolment_started",
            Action::MfaEnabled => "mfa.enabled",
            Action::MfaEnrolmentFailed => "mfa.enrolment_failed",
            Action::MfaChallenge => "mfa.challenge",
            Action::MfaReplay => "mfa.replay",
            Action::RecoveryCodeUsed => "mfa.recovery_code_used",
            Action::RecoveryCodesRegenerated => "mfa.recovery_codes_regenerated",
            Action::AuthenticatorReset => "mfa.authenticator_reset",
            Action::MfaDisabled => "mfa.disabled",
            Action::StepUp => "mfa.step_up",
            Action::PolicyChanged => "organisation.mfa_policy_changed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Builds an event; `detail` takes only `&'static str` so that no runtime value (and so no
/// secret) can slip into it.
#[allow(clippy::too_many_arguments)]
pub fn event(
    at: Timestamp,
    action: Action,
    outcome: Outcome,
    org_id: Option<i64>,
    actor: Option<i64>,
    target: Option<i64>,
    meta: &RequestMeta,
    detail: Option<&'static str>,
) -> AuditEvent {
    AuditEvent {
        occurred_at: at,
        org_id,
        actor_user_id: actor,
        target_user_id: target,
        action: action.as_str().to_string(),
        outcome: outcome.as_str().to_string(),
        ip: meta.ip.map(|ip| ip.to_string()),
        user_agent: meta.user_agent.clone(),
        detail: detail.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_bounded_and_stripped() {
        let m = RequestMeta::new(None, Some(&format!("Mozilla\n{}", "x".repeat(400))));
        let ua = m.user_agent.unwrap();
        assert_eq!(ua.chars().count(), 256);
        assert!(!ua.contains('\n'));
    }
}
