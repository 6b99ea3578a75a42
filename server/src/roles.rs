//! Roles and permissions: what each role may do, and the rules about who may act on whom. Pure
//! decisions, table-tested; the use cases call them before touching anything.

use crate::model::Role;

/// A permission, with a stable identifier (stored in custom roles) and a display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See teammates' MFA status and reset it. Not: turn MFA off organisation-wide, bypass it,
    /// see anyone's codes, or force enrolment per role.
    ManageMfa,
    /// Add members, disable them, change their role.
    ManageMembers,
    /// Create and change custom roles.
    ManageRoles,
    /// Change the organisation's MFA policy.
    ManagePolicy,
    /// Read the activity log.
    ViewActivityLog,
    /// Edit the mails Tessera sends to the organisation's people.
    ManageEmail,
    /// Register the organisation's applications that sign in with Tessera, and change them.
    ManageApplications,
}

impl Permission {
    pub const ALL: [Permission; 7] = [
        Permission::ManageMfa,
        Permission::ManageMembers,
        Permission::ManageRoles,
        Permission::ManagePolicy,
        Permission::ViewActivityLog,
        Permission::ManageEmail,
        Permission::ManageApplications,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Permission::ManageMfa => "manage-mfa",
            Permission::ManageMembers => "manage-members",
            Permission::ManageRoles => "manage-roles",
            Permission::ManagePolicy => "manage-policy",
            Permission::ViewActivityLog => "view-activity-log",
            Permission::ManageEmail => "manage-email",
            Permission::ManageApplications => "manage-applications",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Permission::ManageMfa => "Manage Multi-Factor Authentication",
            Permission::ManageMembers => "Manage members",
            Permission::ManageRoles => "Manage roles",
            Permission::ManagePolicy => "Manage security policy",
            Permission::ViewActivityLog => "View activity log",
            Permission::ManageEmail => "Manage email templates",
            Permission::ManageApplications => "Manage applications",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Permission::ManageMfa => "See teammates' MFA status and reset it for someone who lost their device.",
            Permission::ManageMembers => "Add members, disable them and change their role.",
            Permission::ManageRoles => "Create custom roles and choose which roles require MFA.",
            Permission::ManagePolicy => "Change the organisation's MFA policy.",
            Permission::ViewActivityLog => "Read and export the organisation's activity log.",
            Permission::ManageEmail => "Change the mails Tessera sends to the organisation's people.",
            Permission::ManageApplications => {
                "Register the applications that sign in with Tessera, replace their secrets, disable and remove them."
            }
        }
    }

    pub fn from_id(id: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.id() == id)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Permissions(u8);

impl Permissions {
    pub const NONE: Permissions = Permissions(0);

    pub fn all() -> Permissions {
        Permission::ALL.into_iter().collect()
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// Whether `self` holds everything `other` holds.
    pub fn covers(self, other: Permissions) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    /// As stored: comma-separated identifiers.
    pub fn to_ids(self) -> String {
        self.iter().map(Permission::id).collect::<Vec<_>>().join(",")
    }

    /// Reads what [`Permissions::to_ids`] wrote; unknown identifiers are errors, not silently lost.
    pub fn from_ids(s: &str) -> Result<Permissions, String> {
        s.split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| Permission::from_id(id).ok_or_else(|| format!("unknown permission {id:?}")))
            .collect()
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Permissions(iter.into_iter().fold(0, |acc, p| acc | p.bit()))
    }
}

impl std::str::FromStr for Permissions {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permissions::from_ids(s)
    }
}

/// What a built-in role may do. Owners may do everything and are protected; administrators run
/// the team; the help desk resets MFA; members manage only their own account.
pub fn builtin_permissions(role: Role) -> Permissions {
    use Permission::*;
    match role {
        Role::Owner => Permissions::all(),
        Role::Admin => [ManageMfa, ManageMembers, ViewActivityLog, ManageApplications].into_iter().collect(),
        Role::HelpDesk => [ManageMfa].into_iter().collect(),
        Role::Member => Permissions::NONE,
    }
}

/// A role of an organisation as stored: built-in or custom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub id: i64,
    pub builtin: Option<Role>,
    pub name: String,
    /// A custom role's permissions (ignored for built-in roles: see [`RoleInfo::permissions`]).
    pub custom_permissions: Permissions,
    pub requires_mfa: bool,
    /// Its people may prove a second factor with an emailed code, where the organisation allows
    /// email codes at all (see [`crate::policy::email_codes_for`]).
    pub email_codes: bool,
}

impl RoleInfo {
    pub fn permissions(&self) -> Permissions {
        match self.builtin {
            Some(b) => builtin_permissions(b),
            None => self.custom_permissions,
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions().contains(p)
    }

    pub fn is_owner(&self) -> bool {
        self.builtin == Some(Role::Owner)
    }

    /// Any permission at all makes a role an administrative one: granting it needs step-up.
    pub fn is_admin(&self) -> bool {
        !self.permissions().is_empty()
    }
}

/// Someone acting on a member: their organisation, account and role.
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    pub org_id: i64,
    pub user_id: i64,
    pub role: &'a RoleInfo,
}

/// Why the rules refuse an action, in words for the person who tried (and the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MissingPermission,
    OtherOrganisation,
    OwnAccount,
    ProtectedOwner,
    Escalation,
    /// The organisation's policy hides MFA, so it cannot be turned on.
    MfaNotOffered,
    /// MFA is required of this person, so it cannot be turned off.
    MfaRequired,
    HealthcareRequiresMfa,
    /// Healthcare organisations require an authenticator app: email codes cannot be allowed.
    HealthcareRequiresApp,
    /// Only someone with an authenticator app can do this themselves (an emailed code is not enough).
    NeedsApp,
    /// The target holds a permission the actor lacks.
    Outranked,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::MissingPermission => "Your role does not allow this.",
            Refusal::OtherOrganisation => "That person is not a member of your organisation.",
            Refusal::OwnAccount => "You cannot do this to your own account here; use your account security page.",
            Refusal::ProtectedOwner => "Only an owner can do this to an owner.",
            Refusal::Escalation => "You can only give roles whose permissions you hold yourself.",
            Refusal::MfaNotOffered => "Your organisation does not offer MFA.",
            Refusal::MfaRequired => "Your organisation requires MFA, so it cannot be turned off.",
            Refusal::HealthcareRequiresMfa => "Healthcare organisations must require MFA.",
            Refusal::HealthcareRequiresApp => "Healthcare organisations must use an authenticator app.",
            Refusal::NeedsApp => "This needs an authenticator app; an emailed code cannot confirm it.",
            Refusal::Outranked => "This person holds permissions your role does not have.",
        }
    }
}

/// Resetting a teammate's MFA: needs `manage-mfa`, the same organisation, someone else, and
/// the actor must hold every permission the target holds (only an owner may reset an owner).
pub fn may_reset_mfa(actor: Party, target: Party) -> Result<(), Refusal> {
    acting_on(actor, target, Permission::ManageMfa)
}

/// Disabling a member or changing their role: as resetting MFA, with `manage-members`.
pub fn may_manage_member(actor: Party, target: Party) -> Result<(), Refusal> {
    acting_on(actor, target, Permission::ManageMembers)
}

fn acting_on(actor: Party, target: Party, needed: Permission) -> Result<(), Refusal> {
    if !actor.role.can(needed) {
        return Err(Refusal::MissingPermission);
    }
    if actor.org_id != target.org_id {
        return Err(Refusal::OtherOrganisation);
    }
    if actor.user_id == target.user_id {
        return Err(Refusal::OwnAccount);
    }
    if target.role.is_owner() && !actor.role.is_owner() {
        return Err(Refusal::ProtectedOwner);
    }
    // Taking over an account that can do more than you is escalation too: a help desk must not
    // reset an administrator's MFA. Peers may help each other.
    if !actor.role.permissions().covers(target.role.permissions()) {
        return Err(Refusal::Outranked);
    }
    Ok(())
}

/// Giving `role` to someone (a new member or an existing one): needs `manage-members`, only
/// owners make owners, and nobody hands out permissions they do not hold themselves.
pub fn may_grant(actor: &RoleInfo, role: &RoleInfo) -> Result<(), Refusal> {
    if !actor.can(Permission::ManageMembers) {
        return Err(Refusal::MissingPermission);
    }
    if role.is_owner() && !actor.is_owner() {
        return Err(Refusal::ProtectedOwner);
    }
    if !actor.permissions().covers(role.permissions()) {
        return Err(Refusal::Escalation);
    }
    Ok(())
}

/// Creating or changing a custom role: needs `manage-roles`, and its permissions must be ones the
/// actor holds.
pub fn may_define_role(actor: &RoleInfo, permissions: Permissions) -> Result<(), Refusal> {
    if !actor.can(Permission::ManageRoles) {
        return Err(Refusal::MissingPermission);
    }
    if !actor.permissions().covers(permissions) {
        return Err(Refusal::Escalation);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(builtin: Option<Role>, custom: &[Permission]) -> RoleInfo {
        RoleInfo {
            id: 1,
            builtin,
            name: "r".into(),
            custom_permissions: custom.iter().copied().collect(),
            requires_mfa: false,
            email_codes: false,
        }
    }

    #[test]
    fn permission_ids_are_stable_and_round_trip() {
        let ids: Vec<&str> = Permission::ALL.iter().map(|p| p.id()).collect();
        assert_eq!(
            ids,
            [
                "manage-mfa",
                "manage-members",
                "manage-roles",
                "manage-policy",
                "view-activity-log",
                "manage-email",
                "manage-applications"
            ]
        );
        assert_eq!(Permission::ManageMfa.label(), "Manage Multi-Factor Authentication");
        let all = Permissions::all();
        assert_eq!(Permissions::from_ids(&all.to_ids()).unwrap(), all);
        assert_eq!(Permissions::from_ids("").unwrap(), Permissions::NONE);
        assert_eq!(
            Permissions::from_ids("view-activity-log, manage-mfa").unwrap(),
            [Permission::ManageMfa, Permission::ViewActivityLog].into_iter().collect()
        );
        assert!(Permissions::from_ids("manage-mfa,root").is_err());
    }

    #[test]
    fn built_in_roles_table() {
        use Permission::*;
        let table: [(Role, &[Permission]); 4] = [
            (
                Role::Owner,
                &[
                    ManageMfa,
                    ManageMembers,
                    ManageRoles,
                    ManagePolicy,
                    ViewActivityLog,
                    ManageEmail,
                    ManageApplications,
                ],
            ),
            (Role::Admin, &[ManageMfa, ManageMembers, ViewActivityLog, ManageApplications]),
            (Role::HelpDesk, &[ManageMfa]),
            (Role::Member, &[]),
        ];
        for (r, perms) in table {
            let got: Vec<Permission> = builtin_permissions(r).iter().collect();
            assert_eq!(got, perms, "{r:?}");
        }
        // Stored custom permissions never widen a built-in role.
        let member = role(Some(Role::Member), &Permission::ALL);
        assert!(member.permissions().is_empty() && !member.is_admin());
    }

    #[test]
    fn reset_mfa_rules_table() {
        let owner = role(Some(Role::Owner), &[]);
        let admin = role(Some(Role::Admin), &[]);
        let helpdesk = role(Some(Role::HelpDesk), &[]);
        let member = role(Some(Role::Member), &[]);
        let custom_mfa = role(None, &[Permission::ManageMfa]);
        let custom_log = role(None, &[Permission::ViewActivityLog]);
        let custom_policy = role(None, &[Permission::ManageMfa, Permission::ManagePolicy]);
        let p = |org, user, role| Party { org_id: org, user_id: user, role };
        use Refusal::*;
        let table = [
            // actor, target, expected
            (p(1, 1, &helpdesk), p(1, 2, &member), Ok(())),
            (p(1, 1, &admin), p(1, 2, &member), Ok(())),
            (p(1, 1, &admin), p(1, 2, &admin), Ok(())),
            (p(1, 1, &admin), p(1, 2, &helpdesk), Ok(())),
            (p(1, 1, &admin), p(1, 2, &custom_log), Ok(())),
            (p(1, 1, &helpdesk), p(1, 2, &helpdesk), Ok(())),
            (p(1, 1, &helpdesk), p(1, 2, &custom_mfa), Ok(())),
            (p(1, 1, &owner), p(1, 2, &owner), Ok(())),
            (p(1, 1, &owner), p(1, 2, &member), Ok(())),
            (p(1, 1, &member), p(1, 2, &member), Err(MissingPermission)),
            (p(1, 1, &custom_log), p(1, 2, &member), Err(MissingPermission)),
            (p(1, 1, &helpdesk), p(2, 2, &member), Err(OtherOrganisation)),
            (p(1, 1, &owner), p(2, 2, &member), Err(OtherOrganisation)),
            (p(1, 1, &helpdesk), p(1, 1, &helpdesk), Err(OwnAccount)),
            (p(1, 1, &owner), p(1, 1, &owner), Err(OwnAccount)),
            (p(1, 1, &helpdesk), p(1, 2, &owner), Err(ProtectedOwner)),
            (p(1, 1, &admin), p(1, 2, &owner), Err(ProtectedOwner)),
            (p(1, 1, &custom_mfa), p(1, 2, &owner), Err(ProtectedOwner)),
            (p(1, 1, &helpdesk), p(1, 2, &admin), Err(Outranked)),
            (p(1, 1, &custom_mfa), p(1, 2, &admin), Err(Outranked)),
            (p(1, 1, &helpdesk), p(1, 2, &custom_log), Err(Outranked)),
            (p(1, 1, &admin), p(1, 2, &custom_policy), Err(Outranked)),
        ];
        for (actor, target, want) in table {
            assert_eq!(may_reset_mfa(actor, target), want, "{:?} -> {:?}", actor.role.builtin, target.role.builtin);
        }
        // Member management follows the same shape with its own permission.
        assert_eq!(may_manage_member(p(1, 1, &helpdesk), p(1, 2, &member)), Err(MissingPermission));
        assert_eq!(may_manage_member(p(1, 1, &admin), p(1, 2, &member)), Ok(()));
        assert_eq!(may_manage_member(p(1, 1, &admin), p(1, 2, &owner)), Err(ProtectedOwner));
        assert_eq!(may_manage_member(p(1, 1, &admin), p(1, 2, &admin)), Ok(()));
        assert_eq!(may_manage_member(p(1, 1, &admin), p(1, 2, &custom_policy)), Err(Outranked));
    }

    #[test]
    fn granting_roles_never_escalates() {
        let owner = role(Some(Role::Owner), &[]);
        let admin = role(Some(Role::Admin), &[]);
        let helpdesk = role(Some(Role::HelpDesk), &[]);
        let member = role(Some(Role::Member), &[]);
        let policy_role = role(None, &[Permission::ManagePolicy]);
        use Refusal::*;
        let table = [
            (&owner, &owner, Ok(())),
            (&owner, &policy_role, Ok(())),
            (&admin, &member, Ok(())),
            (&admin, &helpdesk, Ok(())),
            (&admin, &admin, Ok(())),
            (&admin, &owner, Err(ProtectedOwner)),
            (&admin, &policy_role, Err(Escalation)),
            (&helpdesk, &member, Err(MissingPermission)),
            (&member, &member, Err(MissingPermission)),
        ];
        for (actor, granted, want) in table {
            assert_eq!(may_grant(actor, granted), want, "{:?} grants {:?}", actor.builtin, granted.builtin);
        }
        assert!(!member.requires_mfa && !member.is_admin() && helpdesk.is_admin());
        assert_eq!(may_define_role(&owner, Permissions::all()), Ok(()));
        assert_eq!(may_define_role(&admin, Permissions::NONE), Err(MissingPermission));
        let roles_only = role(None, &[Permission::ManageRoles]);
        assert_eq!(may_define_role(&roles_only, [Permission::ManageMfa].into_iter().collect()), Err(Escalation));
    }
}
