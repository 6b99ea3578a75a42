//! The audit trail: one way to record what happened, by whom, to whom, from where. Callers pass
//! only non-secret facts; there is no field a password, code or token could go in except `detail`,
//! and every `detail` written by Tessera is a fixed phrase.

use crate::clock::Timestamp;
use crate::store::AuditEvent;

pub use crate::request::RequestMeta;

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
    MfaResetByAdmin,
    MemberInvited,
    ApplicationAdded,
    ApplicationSecretRotated,
    ApplicationRemoved,
    ApplicationDisabled,
    ApplicationEnabled,
    /// Someone signed in to one of the organisation's applications through Tessera.
    ApplicationSignIn,
    /// Someone was turned away from an application (another organisation, a role it does not
    /// admit, MFA it requires and they lack).
    ApplicationRefused,
    SsoLinked,
    SsoUnlinked,
    /// Settings -> Sign-in methods: a provider allowed, limited to some domains, or stopped.
    SignInMethodChanged,
    /// An application's code or refresh token was used twice: everything issued from that
    /// sign-in was revoked.
    ApplicationTokensRevoked,
    /// A new invitation link was sent; the old one no longer works.
    InvitationResent,
    /// An invitation nobody had accepted was withdrawn, and its account removed.
    InvitationRevoked,
    MemberRoleChanged,
    MemberDisabled,
    MemberEnabled,
    RoleCreated,
    RoleChanged,
    /// A request the access table refused: a role without the permission a page or form needs.
    AccessRefused,
    /// Someone asked for a password reset link for the account (sent or not, says the detail).
    PasswordResetRequested,
    /// A new password was chosen through a reset link.
    PasswordReset,
    /// A signed-in person changed their password (or typed a wrong current one).
    PasswordChanged,
    /// A signed-in person asked to move their account to another email address.
    EmailChangeRequested,
    /// The link to the new address was confirmed and the account moved (or the address was taken).
    EmailChanged,
    /// After a new password, what the person chose to do about MFA.
    PasswordPromptAnswered,
    /// A code was mailed as a second factor (or refused by the sending limit, says the detail).
    EmailCodeSent,
    /// An emailed code proved the second factor.
    EmailCodeUsed,
    /// A typed email code was wrong, used, replaced or expired.
    EmailCodeRefused,
    /// A mail template was saved or set back to the default; the detail names which.
    MailTemplateChanged,
    /// Someone turned optional mail off or on again (on the preferences page or by its link).
    MailPreferenceChanged,
    /// A new temporary access code for someone an MFA reset holds (the reset's own code is part
    /// of the reset's event).
    AccessCodeIssued,
    /// A temporary access code let a sign-in through to enrolment.
    AccessCodeUsed,
    /// A typed temporary access code was wrong, used or expired.
    AccessCodeRefused,
    /// An administrator corrected a member's email address.
    MemberEmailCorrected,
}

impl Action {
    /// Every action, in the order the activity log's filter lists them.
    pub const ALL: &'static [Action] = &[
        Action::SignIn,
        Action::SignOut,
        Action::MfaChallenge,
        Action::MfaReplay,
        Action::RecoveryCodeUsed,
        Action::MfaEnrolmentStarted,
        Action::MfaEnrolmentFailed,
        Action::MfaEnabled,
        Action::AuthenticatorReset,
        Action::RecoveryCodesRegenerated,
        Action::MfaDisabled,
        Action::StepUp,
        Action::EmailCodeSent,
        Action::EmailCodeUsed,
        Action::EmailCodeRefused,
        Action::MfaResetByAdmin,
        Action::AccessCodeIssued,
        Action::AccessCodeUsed,
        Action::AccessCodeRefused,
        Action::PolicyChanged,
        Action::MemberInvited,
        Action::ApplicationAdded,
        Action::ApplicationSecretRotated,
        Action::ApplicationRemoved,
        Action::ApplicationDisabled,
        Action::ApplicationEnabled,
        Action::ApplicationSignIn,
        Action::ApplicationRefused,
        Action::SsoLinked,
        Action::SsoUnlinked,
        Action::SignInMethodChanged,
        Action::ApplicationTokensRevoked,
        Action::InvitationResent,
        Action::InvitationRevoked,
        Action::MemberAdded,
        Action::MemberRoleChanged,
        Action::MemberDisabled,
        Action::MemberEnabled,
        Action::MemberEmailCorrected,
        Action::RoleCreated,
        Action::RoleChanged,
        Action::MailTemplateChanged,
        Action::AccessRefused,
        Action::PasswordResetRequested,
        Action::PasswordReset,
        Action::PasswordChanged,
        Action::EmailChangeRequested,
        Action::EmailChanged,
        Action::PasswordPromptAnswered,
        Action::MailPreferenceChanged,
        Action::PasswordSet,
        Action::OrganisationCreated,
        Action::SetupCompleted,
    ];

    /// How people read an action stored as text; an action this build does not know (written by
    /// a newer one) reads as stored.
    pub fn label_of(stored: &str) -> String {
        Action::ALL
            .iter()
            .find(|a| a.as_str() == stored)
            .map(|a| a.label().to_string())
            .unwrap_or_else(|| stored.into())
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            Action::SetupCompleted => "First-run setup",
            Action::OrganisationCreated => "Organisation created",
            Action::MemberAdded => "Member added",
            Action::PasswordSet => "Password set",
            Action::SignIn => "Sign-in",
            Action::SignOut => "Sign-out",
            Action::MfaEnrolmentStarted => "MFA setup started",
            Action::MfaEnabled => "MFA enabled",
            Action::MfaEnrolmentFailed => "MFA setup code refused",
            Action::MfaChallenge => "MFA code at sign-in",
            Action::MfaReplay => "MFA code replayed",
            Action::RecoveryCodeUsed => "Recovery code used",
            Action::RecoveryCodesRegenerated => "Recovery codes regenerated",
            Action::AuthenticatorReset => "Authenticator reset",
            Action::MfaDisabled => "MFA disabled",
            Action::StepUp => "Step-up verification",
            Action::PolicyChanged => "MFA policy changed",
            Action::MfaResetByAdmin => "MFA reset",
            Action::MemberInvited => "Member invited",
            Action::ApplicationAdded => "Application registered",
            Action::ApplicationSecretRotated => "Application secret replaced",
            Action::ApplicationRemoved => "Application removed",
            Action::ApplicationDisabled => "Application disabled",
            Action::ApplicationEnabled => "Application enabled",
            Action::ApplicationSignIn => "Signed in to an application",
            Action::ApplicationRefused => "Turned away from an application",
            Action::SsoLinked => "Sign-in provider linked",
            Action::SsoUnlinked => "Sign-in provider unlinked",
            Action::SignInMethodChanged => "Sign-in method changed",
            Action::ApplicationTokensRevoked => "Application tokens revoked",
            Action::InvitationResent => "Invitation resent",
            Action::InvitationRevoked => "Invitation revoked",
            Action::MemberRoleChanged => "Role changed",
            Action::MemberDisabled => "Member disabled",
            Action::MemberEnabled => "Member re-enabled",
            Action::RoleCreated => "Role created",
            Action::RoleChanged => "Role settings changed",
            Action::AccessRefused => "Request refused",
            Action::PasswordResetRequested => "Password reset link asked for",
            Action::PasswordReset => "Password reset",
            Action::PasswordChanged => "Password changed",
            Action::EmailChangeRequested => "Email address change asked for",
            Action::EmailChanged => "Email address changed",
            Action::PasswordPromptAnswered => "MFA choice after a new password",
            Action::EmailCodeSent => "Email code sent",
            Action::EmailCodeUsed => "Email code used",
            Action::EmailCodeRefused => "Email code refused",
            Action::MailTemplateChanged => "Email template changed",
            Action::MailPreferenceChanged => "Email preference changed",
            Action::AccessCodeIssued => "Temporary access code issued",
            Action::AccessCodeUsed => "Temporary access code used",
            Action::AccessCodeRefused => "Temporary access code refused",
            Action::MemberEmailCorrected => "Email address corrected by an administrator",
        }
    }

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
            Action::MfaResetByAdmin => "mfa.reset_by_admin",
            Action::MemberInvited => "member.invited",
            Action::ApplicationAdded => "application.added",
            Action::ApplicationSecretRotated => "application.secret_rotated",
            Action::ApplicationRemoved => "application.removed",
            Action::ApplicationDisabled => "application.disabled",
            Action::ApplicationEnabled => "application.enabled",
            Action::ApplicationSignIn => "application.sign_in",
            Action::ApplicationRefused => "application.refused",
            Action::SsoLinked => "sso.linked",
            Action::SsoUnlinked => "sso.unlinked",
            Action::SignInMethodChanged => "sso.method_changed",
            Action::ApplicationTokensRevoked => "application.tokens_revoked",
            Action::InvitationResent => "member.invitation_resent",
            Action::InvitationRevoked => "member.invitation_revoked",
            Action::MemberRoleChanged => "member.role_changed",
            Action::MemberDisabled => "member.disabled",
            Action::MemberEnabled => "member.enabled",
            Action::RoleCreated => "role.created",
            Action::RoleChanged => "role.changed",
            Action::AccessRefused => "access.refused",
            Action::PasswordResetRequested => "password.reset_requested",
            Action::PasswordReset => "password.reset",
            Action::PasswordChanged => "password.changed",
            Action::EmailChangeRequested => "email.change_requested",
            Action::EmailChanged => "email.changed",
            Action::PasswordPromptAnswered => "password.mfa_prompt_answered",
            Action::EmailCodeSent => "mfa.email_code_sent",
            Action::EmailCodeUsed => "mfa.email_code_used",
            Action::EmailCodeRefused => "mfa.email_code_refused",
            Action::MailTemplateChanged => "mail_template.changed",
            Action::MailPreferenceChanged => "mail.preference_changed",
            Action::AccessCodeIssued => "mfa.access_code_issued",
            Action::AccessCodeUsed => "mfa.access_code_used",
            Action::AccessCodeRefused => "mfa.access_code_refused",
            Action::MemberEmailCorrected => "member.email_corrected",
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
        reason: None,
        flags: None,
    }
}

/// Names the role an event is about after its fixed phrase. Role names are chosen by
/// administrators and shown to them: never secrets.
pub fn naming_role(e: AuditEvent, role_name: &str) -> AuditEvent {
    naming(e, role_name, 100)
}

/// Names who an event was about after its fixed phrase, for an account that no longer exists
/// (the log cannot look its address up any more). Addresses are shown to administrators anyway.
pub fn naming_address(e: AuditEvent, email: &str) -> AuditEvent {
    naming(e, email, 254)
}

fn naming(mut e: AuditEvent, text: &str, max_chars: usize) -> AuditEvent {
    let name: String = text.chars().filter(|c| !c.is_control()).take(max_chars).collect();
    e.detail = Some(match e.detail {
        Some(phrase) => format!("{phrase}: {name}"),
        None => name,
    });
    e
}

/// Cleans a reason typed by an administrator for the log and the member's mail: no control
/// characters, at most 200 characters, `None` when blank.
pub fn clean_reason(input: &str) -> Option<String> {
    let cleaned: String = input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .chars()
        .take(200)
        .collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_listed_once_with_a_distinct_id() {
        let mut ids: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Action::ALL.len());
        assert_eq!(Action::ALL.len(), 53, "a new action must be added to ALL");
    }

    #[test]
    fn reasons_are_cleaned_and_bounded() {
        assert_eq!(clean_reason("  "), None);
        assert_eq!(clean_reason(" Ticket\n#42\u{7} ").as_deref(), Some("Ticket #42"));
        assert_eq!(clean_reason(&"x".repeat(300)).unwrap().chars().count(), 200);
        let e = event(
            Timestamp(0),
            Action::RoleChanged,
            Outcome::Success,
            None,
            None,
            None,
            &RequestMeta::default(),
            Some("changed"),
        );
        assert_eq!(naming_role(e.clone(), "Help\ndesk").detail.as_deref(), Some("changed: Helpdesk"));
        let bare = AuditEvent { detail: None, ..e };
        assert_eq!(naming_role(bare, &"r".repeat(150)).detail.unwrap().chars().count(), 100);
    }

    #[test]
    fn user_agents_are_bounded_and_stripped() {
        let m = RequestMeta::new(None, Some(&format!("Mozilla\n{}", "x".repeat(400))));
        let ua = m.user_agent.unwrap();
        assert_eq!(ua.chars().count(), 256);
        assert!(!ua.contains('\n'));
    }
}
