//! Home: what a person should do next and, for the people who look after the organisation, how
//! far MFA has come and what happened lately. Each part is there only for those whose role may
//! see what it summarises.

use crate::audit::{Action, Outcome};
use crate::error::Result;
use crate::model::OrgKind;
use crate::policy::{self, MfaPolicy, Requirement};
use crate::roles::Permission;
use crate::session::SessionInfo;
use crate::store::{Adoption, AuditEntry, AuditFilter};
use crate::tessera::Tessera;

/// Events on home; the activity log has the rest.
pub const RECENT_EVENTS: i64 = 5;

/// A step of the first-run checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    TurnOnOwnMfa,
    InviteTeam,
    ChoosePolicy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// What the policy means for the viewer.
    pub requirement: Requirement,
    pub has_mfa: bool,
    /// The checklist of someone who runs the organisation (may manage members or the policy),
    /// each step with whether it is done; empty for everyone else.
    pub checklist: Vec<(Step, bool)>,
    /// For holders of `manage-mfa`.
    pub adoption: Option<Adoption>,
    /// The latest events, for holders of `view-activity-log`, with the organisation's hours
    /// (its time zone tells the times, as in the activity log).
    pub recent: Option<(Vec<AuditEntry>, crate::model::BusinessHours)>,
}

impl Home {
    /// Whether the checklist still has something to do (it is not shown once all is done).
    pub fn has_next_steps(&self) -> bool {
        self.checklist.iter().any(|(_, done)| !done)
    }
}

impl Tessera {
    pub async fn home(&self, s: &SessionInfo) -> Result<Home> {
        let org_requires = policy::effective(s.org_kind, s.org_mfa_policy) == MfaPolicy::Required;
        let runs_org = s.can(Permission::ManageMembers) || s.can(Permission::ManagePolicy);
        // Someone chose the policy at least once (or the organisation's kind fixes it).
        let policy_changed = (Action::PolicyChanged.as_str(), Outcome::Success.as_str());
        let overview = if runs_org || s.can(Permission::ManageMfa) {
            Some(self.store.org_overview(s.org_id, org_requires, policy_changed).await?)
        } else {
            None
        };
        let mut checklist = Vec::new();
        if let (true, Some(o)) = (runs_org, &overview) {
            checklist.push((Step::TurnOnOwnMfa, s.has_mfa));
            if s.can(Permission::ManageMembers) {
                checklist.push((Step::InviteTeam, o.adoption.members > 1));
            }
            if s.can(Permission::ManagePolicy) {
                checklist.push((Step::ChoosePolicy, s.org_kind == OrgKind::Healthcare || o.logged));
            }
        }
        let recent = if s.can(Permission::ViewActivityLog) {
            let events = self.store.audit_log(s.org_id, &AuditFilter::default(), None, RECENT_EVENTS).await?;
            let hours = match &overview {
                Some(o) => o.hours.clone(),
                None => self.store.business_hours(s.org_id).await?,
            };
            Some((events, hours))
        } else {
            None
        };
        Ok(Home {
            requirement: s.mfa_requirement(self.clock.now()),
            has_mfa: s.has_mfa,
            checklist,
            adoption: overview.map(|o| o.adoption).filter(|_| s.can(Permission::ManageMfa)),
            recent,
        })
    }

    /// Whom requiring MFA now would ask for a second factor, among members whose accounts are not
    /// disabled and who have no authenticator app: `(set_up, by_email)`, those who would have to
    /// set one up and those whose role may use email codes instead. For holders of `manage-policy`.
    pub async fn required_policy_impact(&self, s: &SessionInfo) -> Result<Option<(i64, i64)>> {
        if !s.can(Permission::ManagePolicy) {
            return Ok(None);
        }
        let (mut set_up, mut by_email) = (0, 0);
        for m in self.all_members(s.org_id).await?.iter().filter(|m| !m.disabled && !m.has_mfa) {
            match crate::policy::email_codes_for(s.org_kind, s.org_email_codes_allowed, m.role.email_codes) {
                true => by_email += 1,
                false => set_up += 1,
            }
        }
        Ok(Some((set_up, by_email)))
    }
}
