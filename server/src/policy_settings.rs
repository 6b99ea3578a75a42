//! Changing the organisation's security policy (MFA policy, email codes, email-only resets,
//! password expiry), by its owners on the Security page or by an operator on the command line:
//! checked, recorded and told to the owners the same way.

use std::time::Duration;

use crate::audit::{self, Action, Outcome, RequestMeta};
use crate::error::{Error, Result};
use crate::factor::CodeError;
use crate::policy::{self, MfaPolicy};
use crate::roles::Refusal;
use crate::session::SessionInfo;
use crate::tessera::Tessera;

impl Tessera {
    /// `tessera org set-policy`: sets an organisation's MFA policy, with an optional grace period
    /// (in days, for `required`) before enrolment is forced.
    pub async fn set_mfa_policy_by_operator(
        &self,
        org_name: &str,
        policy: MfaPolicy,
        grace_days: Option<u32>,
    ) -> Result<()> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        self.apply_mfa_policy(&org, policy, grace_days, None, &RequestMeta::default()).await
    }

    /// `tessera org password-expiry`: passwords expire after `days` (30 to 365), or never.
    pub async fn set_password_expiry_by_operator(&self, org_name: &str, days: Option<u32>) -> Result<()> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        self.apply_password_expiry(&org, days, None, &RequestMeta::default()).await
    }

    /// Stores "Passwords expire after N days" (checked against [`policy::PASSWORD_MAX_AGE_DAYS`]),
    /// records who changed it and tells the owners. People whose passwords are older must choose
    /// a new one at their next request.
    pub(crate) async fn apply_password_expiry(
        &self,
        org: &crate::model::Organisation,
        days: Option<u32>,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        if days.is_some_and(|d| !policy::PASSWORD_MAX_AGE_DAYS.contains(&d)) {
            return Err(Error::Invalid("passwords may expire after 30 to 365 days".into()));
        }
        if days == org.password_max_age_days {
            return Ok(());
        }
        self.store.set_password_max_age(org.id, days).await?;
        let (detail, change) = match days {
            Some(d) => ("passwords now expire", format!("Passwords now expire after {d} days.")),
            None => ("passwords no longer expire", "Passwords no longer expire.".to_string()),
        };
        self.policy_changed(org, detail, &change, actor, meta).await
    }

    /// `tessera org email-codes`: allows or stops allowing emailed codes as a second factor and,
    /// given role names, for exactly those roles (otherwise the roles chosen before keep them).
    pub async fn set_email_codes_by_operator(
        &self,
        org_name: &str,
        allowed: bool,
        roles: Option<&[String]>,
    ) -> Result<()> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        let ids = match roles {
            None => None,
            Some(names) => {
                let known = self.store.roles(org.id).await?;
                let mut ids = Vec::new();
                for name in names {
                    let role = known.iter().find(|r| r.name.eq_ignore_ascii_case(name.trim()));
                    let role = role.ok_or_else(|| Error::Invalid(format!("{org_name} has no role called {name:?}")))?;
                    ids.push(role.id);
                }
                Some(ids)
            }
        };
        self.apply_email_codes(&org, allowed, ids.as_deref(), None, &RequestMeta::default()).await
    }

    /// Stores "Allow email codes as a second factor" (never for healthcare) and, given `roles`,
    /// which roles may use them; records who changed it and tells the owners. Saving what is
    /// already stored changes and tells nothing.
    pub(crate) async fn apply_email_codes(
        &self,
        org: &crate::model::Organisation,
        allowed: bool,
        roles: Option<&[i64]>,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        if allowed && !policy::email_codes_in_force(org.kind, allowed) {
            return Err(Error::Invalid("Healthcare organisations must use an authenticator app.".into()));
        }
        let known = self.store.roles(org.id).await?;
        let chosen: Vec<&str> = known
            .iter()
            .filter(|r| roles.map_or(r.email_codes, |ids| ids.contains(&r.id)))
            .map(|r| r.name.as_str())
            .collect();
        if allowed && chosen.is_empty() {
            return Err(Error::Invalid("choose at least one role that may use email codes, or turn them off".into()));
        }
        if !self.store.set_email_codes_allowed(org.id, allowed, roles).await? {
            return Ok(());
        }
        let (detail, change) = if allowed {
            let who = chosen.join(", ");
            (
                format!("email codes allowed as a second factor for: {who}"),
                format!("Email codes are now allowed as a second factor for these roles: {who}. Where MFA is required, their people without an authenticator app sign in with a code we email them, and those with an app may choose one; people in other roles need an app. Email is weaker than an app."),
            )
        } else {
            (
                "email codes no longer allowed as a second factor".to_string(),
                "Email codes are no longer allowed as a second factor: where MFA is required, everyone needs an authenticator app.".to_string(),
            )
        };
        self.policy_changed(org, &detail, &change, actor, meta).await
    }

    /// `tessera org email-only-resets`: lets MFA resets go ahead on requests verified by email
    /// only (flagged in the activity log), or refuses them again.
    pub async fn set_email_only_resets_by_operator(&self, org_name: &str, allowed: bool) -> Result<()> {
        let org = self.store.find_organisation_by_name(org_name).await?.ok_or(Error::NotFound("organisation"))?;
        self.apply_email_only_resets(&org, allowed, None, &RequestMeta::default()).await
    }

    /// Stores whether MFA resets verified by email only may go ahead, records who changed it and
    /// tells the owners. Saving what is already stored changes and tells nothing.
    pub(crate) async fn apply_email_only_resets(
        &self,
        org: &crate::model::Organisation,
        allowed: bool,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        if !self.store.set_email_only_resets(org.id, allowed).await? {
            return Ok(());
        }
        let (detail, change) = if allowed {
            (
                "MFA resets verified by email only allowed",
                "MFA resets may now go ahead when the person asking was verified by email only; each is flagged in the activity log. An email alone does not prove who is asking.",
            )
        } else {
            (
                "MFA resets verified by email only refused",
                "MFA resets are refused again when the person asking was verified by email only.",
            )
        };
        self.policy_changed(org, detail, change, actor, meta).await
    }

    /// Puts a change of the organisation's security policy on record and mails the owners.
    async fn policy_changed(
        &self,
        org: &crate::model::Organisation,
        detail: &str,
        change: &str,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let mut e = audit::event(
            self.clock.now(),
            Action::PolicyChanged,
            Outcome::Success,
            Some(org.id),
            actor.map(|s| s.user_id),
            None,
            meta,
            None,
        );
        // Tessera's own phrase, with at most a number in it (the grace period's days).
        e.detail = Some(detail.to_string());
        self.audit(e).await?;
        self.tell_owners(crate::delivery::OwnersNotice::Rules, org.id, &org.name, change, actor, meta).await
    }

    /// Validates and stores a policy change, records who made it and tells the owners.
    pub(crate) async fn apply_mfa_policy(
        &self,
        org: &crate::model::Organisation,
        new_policy: MfaPolicy,
        grace_days: Option<u32>,
        actor: Option<&SessionInfo>,
        meta: &RequestMeta,
    ) -> Result<()> {
        policy::may_set(org.kind, new_policy).map_err(|m| Error::Invalid(m.to_string()))?;
        let now = self.clock.now();
        let days = grace_days.map(|d| d.min(365)).filter(|d| *d > 0);
        let grace_until = match (new_policy, days) {
            (MfaPolicy::Required, Some(days)) => Some(now.plus(Duration::from_secs(u64::from(days) * 86_400))),
            _ => None,
        };
        self.store.set_mfa_policy(org.id, new_policy, grace_until).await?;
        let detail = match (new_policy, days.filter(|_| grace_until.is_some())) {
            (MfaPolicy::Hidden, _) => "policy set to hidden".to_string(),
            (MfaPolicy::Visible, _) => "policy set to visible".to_string(),
            (MfaPolicy::Required, Some(1)) => "policy set to required, with a grace period of 1 day".to_string(),
            (MfaPolicy::Required, Some(d)) => format!("policy set to required, with a grace period of {d} days"),
            (MfaPolicy::Required, None) => "policy set to required".to_string(),
        };
        let change = match (new_policy, days) {
            (MfaPolicy::Hidden, _) => {
                "The MFA policy is now Hidden: MFA is not offered to anyone who does not already use it.".to_string()
            }
            (MfaPolicy::Visible, _) => {
                "The MFA policy is now Visible: everyone may turn MFA on, nobody has to.".to_string()
            }
            (MfaPolicy::Required, Some(d)) => {
                format!("The MFA policy is now Required, with {d} days for everyone to set it up.")
            }
            (MfaPolicy::Required, None) => "The MFA policy is now Required: everyone must use MFA.".to_string(),
        };
        self.policy_changed(org, &detail, &change, actor, meta).await
    }

    /// An owner changes the organisation's MFA policy (Settings -> Security). Needs a fresh
    /// step-up.
    pub async fn set_mfa_policy(
        &self,
        s: &SessionInfo,
        policy: MfaPolicy,
        grace_days: Option<u32>,
        meta: &RequestMeta,
    ) -> Result<(), CodeError> {
        let org = self.may_change_policy(s, meta).await?;
        if crate::policy::may_set(org.kind, policy).is_err() {
            return Err(CodeError::NotAllowed(Refusal::HealthcareRequiresMfa));
        }
        self.apply_mfa_policy(&org, policy, grace_days, Some(s), meta).await?;
        Ok(())
    }

    /// An owner allows emailed codes as a second factor at sign-in for the people of `roles`,
    /// or stops allowing them (Settings -> Security). Needs a fresh step-up; never allowed in
    /// healthcare; allowed for no role at all is refused.
    pub async fn set_email_codes(
        &self,
        s: &SessionInfo,
        allowed: bool,
        roles: &[i64],
        meta: &RequestMeta,
    ) -> Result<(), CodeError> {
        let org = self.may_change_policy(s, meta).await?;
        if allowed && !crate::policy::email_codes_in_force(org.kind, allowed) {
            return Err(CodeError::NotAllowed(Refusal::HealthcareRequiresApp));
        }
        // Another organisation's roles look like roles that do not exist.
        let known = self.store.roles(org.id).await?;
        if roles.iter().any(|id| !known.iter().any(|r| r.id == *id)) {
            return Err(CodeError::NotApplicable);
        }
        self.apply_email_codes(&org, allowed, Some(roles), Some(s), meta).await?;
        Ok(())
    }

    /// An owner lets MFA resets go ahead on requests verified by email only (each flagged in the
    /// activity log), or refuses them (the default). Needs a fresh step-up.
    pub async fn set_email_only_resets(
        &self,
        s: &SessionInfo,
        allowed: bool,
        meta: &RequestMeta,
    ) -> Result<(), CodeError> {
        let org = self.may_change_policy(s, meta).await?;
        self.apply_email_only_resets(&org, allowed, Some(s), meta).await?;
        Ok(())
    }

    /// An owner sets "Passwords expire after N days" (30 to 365) or turns it off. Needs a fresh
    /// step-up.
    pub async fn set_password_expiry(
        &self,
        s: &SessionInfo,
        days: Option<u32>,
        meta: &RequestMeta,
    ) -> Result<(), CodeError> {
        let org = self.may_change_policy(s, meta).await?;
        self.apply_password_expiry(&org, days, Some(s), meta).await?;
        Ok(())
    }

    /// The organisation whose security policy `s` may change now: with the permission (a refusal
    /// is on record) and a fresh second factor.
    async fn may_change_policy(
        &self,
        s: &SessionInfo,
        meta: &RequestMeta,
    ) -> Result<crate::model::Organisation, CodeError> {
        if !s.can(crate::roles::Permission::ManagePolicy) {
            let why = Refusal::MissingPermission;
            let e = audit::event(
                self.clock.now(),
                Action::PolicyChanged,
                Outcome::Failure,
                Some(s.org_id),
                Some(s.user_id),
                None,
                meta,
                Some(why.message()),
            );
            self.audit(e).await?;
            return Err(CodeError::NotAllowed(why));
        }
        if !self.has_fresh_step_up(s) {
            return Err(CodeError::StepUpRequired);
        }
        Ok(self.store.find_organisation_by_name(&s.org_name).await?.ok_or(Error::NotFound("organisation"))?)
    }
}
