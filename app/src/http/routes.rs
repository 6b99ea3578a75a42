//! The access table: every page and every server function Tessera serves, with the session
//! state it needs and, where one applies, the permission. The router is built from it and the
//! gate reads it on every request, so nothing can be served without a row here; at start-up the
//! server functions registered with Leptos are checked against it (see [`check_server_fns`]).

use http::Method;
use leptos::server_fn::ServerFn;
use tessera_server::roles::Permission;

use crate::api::account::{
    AnswerPasswordPrompt, ChangePassword, ConfirmEmailChange, ForgetPendingProvider, LinkPendingProvider,
    ReplaceExpiredPassword, RequestEmailChange, UnlinkProvider,
};
use crate::api::applications::{AddApplication, RemoveApplication, RotateClientSecret, SetApplicationDisabled};
use crate::api::auth::{
    AnswerChallenge, CompleteSetup, ForgotPassword, LoginEmail, LoginPassword, Logout, ResetPassword, SendSignInCode,
    SetPassword,
};
use crate::api::email::{PreviewMailTemplate, RestoreMailTemplate, SaveMailTemplate};
use crate::api::mfa::{ConfirmEnrolment, DisableMfa, RegenerateRecoveryCodes, SendEmailCode, StartEnrolment, StepUp};
use crate::api::policy::{
    SetBusinessHours, SetEmailCodes, SetEmailOnlyResets, SetMfaPolicy, SetPasswordExpiry, SetProviderSignInRequired,
    SetSignInMethod,
};
use crate::api::preferences::{SetMailPreferences, Unsubscribe};
use crate::api::roles::{CreateRole, SetRoleMfa};
use crate::api::team::{
    ChangeMemberRole, CorrectMemberEmail, InviteList, InviteMember, IssueAccessCode, ResendAllInvitations,
    ResendInvitation, ResetMemberMfa, RevokeInvitation, SetMemberDisabled,
};

/// What a route needs from the session. Step-up (a fresh second factor) is checked by the use
/// cases themselves, on top of `Full`; the step-up page then comes back to the function's `page`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A session whose password was right and whose second factor is still owed: the MFA
    /// challenge and nothing else.
    PasswordOk,
    /// A fully signed-in session, even one whose password expired or that the MFA policy
    /// confines to enrolment: choosing a new password once it expired.
    NewPassword,
    /// A fully signed-in session, even one confined to enrolment by the MFA policy (but not one
    /// whose password expired): the enrolment wizard.
    Enrolment,
    /// A fully signed-in session that the MFA policy does not confine.
    Full,
}

/// The permission a route needs on top of its session class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Nothing,
    One(Permission),
    /// Any one of these (the team list serves both member managers and the help desk).
    AnyOf(&'static [Permission]),
}

impl Need {
    pub fn met_by(self, can: impl Fn(Permission) -> bool) -> bool {
        match self {
            Need::Nothing => true,
            Need::One(p) => can(p),
            Need::AnyOf(ps) => ps.iter().any(|p| can(*p)),
        }
    }

    /// The permission to name when refusing.
    pub fn first(self) -> Option<Permission> {
        match self {
            Need::Nothing => None,
            Need::One(p) => Some(p),
            Need::AnyOf(ps) => ps.first().copied(),
        }
    }
}

/// The fields of a submitted form, as the no-JavaScript path reads them.
pub type Fields = [(String, String)];

/// The value of field `name`, or empty.
pub fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A server-rendered page.
    Page,
    /// A server function. A plain HTML form that posts here and fails gets `page` again (built
    /// from what it sent) with the error, and step-up comes back to `page` (with or without
    /// JavaScript); `rate_limited` puts it under the sign-in limit per IP.
    ServerFn { page: fn(&Fields) -> String, rate_limited: bool },
    /// Not a page: health checks, the CSV export.
    Other,
}

#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub need: Need,
    pub kind: Kind,
}

/// The largest form most server functions take: far more than any of their fields need.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// The functions of the mail template editor, whose two bodies of up to 20,000 characters each
/// (percent-encoded, so up to three times that) need more; `max_body_bytes` is their limit.
const LARGE_FORMS: &[&str] = &[PreviewMailTemplate::PATH, SaveMailTemplate::PATH];

impl RouteSpec {
    pub fn is_server_fn(&self) -> bool {
        matches!(self.kind, Kind::ServerFn { .. })
    }

    /// The largest request body this route reads, given the largest any route may
    /// (`max_body_bytes`).
    pub fn body_limit(&self, max_body_bytes: usize) -> usize {
        if LARGE_FORMS.contains(&self.path) {
            max_body_bytes
        } else {
            FORM_BODY_LIMIT.min(max_body_bytes)
        }
    }

    /// Whether `path` (a request's) is this route's, `{…}` standing for any one segment.
    pub fn matches(&self, path: &str) -> bool {
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) if w.starts_with('{') && !g.is_empty() => {}
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    }
}

const fn page(path: &'static str, access: Access) -> RouteSpec {
    RouteSpec { method: "GET", path, access, need: Need::Nothing, kind: Kind::Page }
}

const fn page_needing(path: &'static str, need: Need) -> RouteSpec {
    RouteSpec { method: "GET", path, access: Access::Full, need, kind: Kind::Page }
}

const fn server_fn(
    path: &'static str,
    access: Access,
    need: Need,
    rate_limited: bool,
    page: fn(&Fields) -> String,
) -> RouteSpec {
    RouteSpec { method: "POST", path, access, need, kind: Kind::ServerFn { page, rate_limited } }
}

const fn other(method: &'static str, path: &'static str, access: Access, need: Need) -> RouteSpec {
    RouteSpec { method, path, access, need, kind: Kind::Other }
}

const SIGN_IN: bool = true;
const TEAM: Need = Need::AnyOf(&[Permission::ManageMembers, Permission::ManageMfa]);

/// A one-time link's page again, with the token the form carried.
fn with_token(base: &str, fields: &Fields) -> String {
    let query = serde_urlencoded::to_string([("token", field(fields, "token"))]).unwrap_or_default();
    format!("{base}?{query}")
}

/// A member's page, for a form about that member (`member` is their id).
fn member_page(fields: &Fields) -> String {
    match field(fields, "member").trim().parse::<i64>() {
        Ok(id) => format!("/settings/team/{id}"),
        Err(_) => "/settings/team".into(),
    }
}

/// A mail template's editor, for a form about that mail (`kind` is its id).
fn template_page(fields: &Fields) -> String {
    match tessera_server::mail::MailKind::from_id(field(fields, "kind")) {
        Some(kind) => format!("/settings/email/{}", kind.id()),
        None => "/settings/email".into(),
    }
}

const EMAIL: Need = Need::One(Permission::ManageEmail);
const APPLICATIONS: Need = Need::One(Permission::ManageApplications);

/// An application's page in Settings, for a form about it (`client_id`).
fn application_page(fields: &Fields) -> String {
    let id = field(fields, "client_id");
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        format!("/settings/applications/{id}")
    } else {
        "/settings/applications".into()
    }
}

/// Every route besides static files.
pub const ROUTES: &[RouteSpec] = &[
    page("/", Access::Full),
    page("/login", Access::Public),
    page("/login/password", Access::Public),
    page("/login/disabled", Access::Public),
    page("/sso/{provider}/start", Access::Public),
    page("/sso/callback", Access::Public),
    page("/account/security/link/{provider}", Access::Full),
    page("/setup", Access::Public),
    page("/set-password", Access::Public),
    page("/forgot-password", Access::Public),
    page("/forgot-password/sent", Access::Public),
    page("/reset-password", Access::Public),
    page("/login/mfa", Access::PasswordOk),
    page("/account/security", Access::Full),
    // The enrolment wizard stays open to a user the MFA policy confines to it.
    page("/account/security/enrol-required", Access::Enrolment),
    page("/account/security/mfa", Access::Enrolment),
    // Shown once, right after a confirmation or regeneration.
    page("/account/security/recovery-codes", Access::Enrolment),
    page("/account/security/verify", Access::Full),
    page("/account/security/disable", Access::Full),
    page("/account/security/password", Access::Full),
    page("/account/security/new-password", Access::Full),
    page("/account/security/email", Access::Full),
    // Choosing a new password once it expired comes before anything else.
    page("/account/security/password-expired", Access::NewPassword),
    // The link mailed to a new address: it works signed in or not, in any browser.
    page("/account/email/confirm", Access::Public),
    page("/account/email-preferences", Access::Full),
    // An optional mail's unsubscribe link: no sign-in needed, and opening it changes nothing.
    page("/unsubscribe", Access::Public),
    // The same link posted to by a mail program (RFC 8058 one-click): the one route exempt from
    // the same-origin check (`tessera_server::web::CROSS_SITE_POSTS`), as it must be.
    other("POST", "/unsubscribe", Access::Public, Need::Nothing),
    page_needing("/settings/activity", Need::One(Permission::ViewActivityLog)),
    other("GET", "/settings/activity.csv", Access::Full, Need::One(Permission::ViewActivityLog)),
    page_needing("/settings/security", Need::One(Permission::ManagePolicy)),
    page_needing("/settings/security/require", Need::One(Permission::ManagePolicy)),
    page_needing("/settings/security/email-codes", Need::One(Permission::ManagePolicy)),
    // Seen by whoever manages the security policy; changed by owners only (the use case says).
    page_needing("/settings/security/sign-in", Need::One(Permission::ManagePolicy)),
    page_needing("/settings/team", TEAM),
    page_needing("/settings/team/invite", Need::One(Permission::ManageMembers)),
    page_needing("/settings/team/invite/list", Need::One(Permission::ManageMembers)),
    page_needing("/settings/team/{id}", TEAM),
    page_needing("/settings/team/{id}/reset-mfa", Need::One(Permission::ManageMfa)),
    // A new temporary access code, shown once to the administrator who issued it.
    page_needing("/settings/team/{id}/access-code", Need::One(Permission::ManageMfa)),
    page_needing("/settings/roles", Need::One(Permission::ManageRoles)),
    page_needing("/settings/email", EMAIL),
    page_needing("/settings/email/{kind}", EMAIL),
    page_needing("/settings/email/{kind}/versions", EMAIL),
    // The HTML body of the editor's draft with sample data, as the mail looks: a document of its
    // own for the editor's sandboxed frame, whose CSP lets a mail's inline styles apply.
    other("GET", "/settings/email/{kind}/preview", Access::Full, EMAIL),
    page_needing("/settings/applications", APPLICATIONS),
    page_needing("/settings/applications/{id}", APPLICATIONS),
    other("GET", "/healthz", Access::Public, Need::Nothing),
    other("GET", "/readyz", Access::Public, Need::Nothing),
    // --- OpenID Connect, for the organisation's applications. The authorisation endpoint finds
    // the session itself (it sends people to sign in with the request kept); the others are
    // called by applications, authenticated by their secret or a token, never by a cookie.
    other("GET", "/.well-known/openid-configuration", Access::Public, Need::Nothing),
    other("GET", "/oauth2/jwks", Access::Public, Need::Nothing),
    other("GET", "/oauth2/authorize", Access::Public, Need::Nothing),
    other("POST", "/oauth2/token", Access::Public, Need::Nothing),
    other("GET", "/oauth2/userinfo", Access::Public, Need::Nothing),
    other("POST", "/oauth2/userinfo", Access::Public, Need::Nothing),
    other("POST", "/oauth2/revoke", Access::Public, Need::Nothing),
    other("GET", "/oauth2/logout", Access::Public, Need::Nothing),
    // A public application's page asks its browser first (CORS preflight) before it sends an
    // Authorization header or a token request.
    other("OPTIONS", "/oauth2/token", Access::Public, Need::Nothing),
    other("OPTIONS", "/oauth2/userinfo", Access::Public, Need::Nothing),
    other("OPTIONS", "/oauth2/revoke", Access::Public, Need::Nothing),
    // --- server functions: signing in and out, first run, one-time links
    server_fn(LoginEmail::PATH, Access::Public, Need::Nothing, SIGN_IN, |_| "/login".into()),
    server_fn(LoginPassword::PATH, Access::Public, Need::Nothing, SIGN_IN, |_| "/login/password".into()),
    server_fn(AnswerChallenge::PATH, Access::PasswordOk, Need::Nothing, SIGN_IN, |f| {
        match field(f, "kind") {
            "recovery" => "/login/mfa?recovery",
            "email" => "/login/mfa?email",
            _ => "/login/mfa",
        }
        .into()
    }),
    server_fn(SendSignInCode::PATH, Access::PasswordOk, Need::Nothing, SIGN_IN, |_| "/login/mfa?email".into()),
    // Signing out must work from any state, including a half-finished sign-in.
    server_fn(Logout::PATH, Access::Public, Need::Nothing, false, |_| "/login".into()),
    server_fn(CompleteSetup::PATH, Access::Public, Need::Nothing, SIGN_IN, |f| with_token("/setup", f)),
    server_fn(SetPassword::PATH, Access::Public, Need::Nothing, SIGN_IN, |f| with_token("/set-password", f)),
    server_fn(ForgotPassword::PATH, Access::Public, Need::Nothing, SIGN_IN, |_| "/forgot-password".into()),
    server_fn(ResetPassword::PATH, Access::Public, Need::Nothing, SIGN_IN, |f| with_token("/reset-password", f)),
    // --- a person's own MFA; enrolling stays open to someone the policy confines to it
    server_fn(StartEnrolment::PATH, Access::Enrolment, Need::Nothing, false, |_| "/account/security".into()),
    server_fn(ConfirmEnrolment::PATH, Access::Enrolment, Need::Nothing, SIGN_IN, |_| "/account/security/mfa".into()),
    server_fn(StepUp::PATH, Access::Full, Need::Nothing, SIGN_IN, |f| {
        let query = serde_urlencoded::to_string([("next", field(f, "next"))]).unwrap_or_default();
        format!("/account/security/verify?{query}")
    }),
    server_fn(SendEmailCode::PATH, Access::Full, Need::Nothing, SIGN_IN, |f| {
        let query = serde_urlencoded::to_string([("next", field(f, "next"))]).unwrap_or_default();
        format!("/account/security/verify?{query}")
    }),
    server_fn(RegenerateRecoveryCodes::PATH, Access::Full, Need::Nothing, false, |_| "/account/security".into()),
    server_fn(DisableMfa::PATH, Access::Full, Need::Nothing, false, |_| "/account/security".into()),
    // A wrong current password counts like a sign-in attempt, so it is under the same limit.
    server_fn(ChangePassword::PATH, Access::Full, Need::Nothing, SIGN_IN, |_| "/account/security/password".into()),
    server_fn(UnlinkProvider::PATH, Access::Full, Need::Nothing, false, |_| "/account/security".into()),
    server_fn(LinkPendingProvider::PATH, Access::Full, Need::Nothing, false, |_| "/account/security".into()),
    server_fn(ForgetPendingProvider::PATH, Access::Full, Need::Nothing, false, |_| "/account/security".into()),
    // Sends mail to an address the person types: limited like sign-in on top of its own limits.
    server_fn(RequestEmailChange::PATH, Access::Full, Need::Nothing, SIGN_IN, |_| "/account/security/email".into()),
    server_fn(ConfirmEmailChange::PATH, Access::Public, Need::Nothing, SIGN_IN, |f| {
        with_token("/account/email/confirm", f)
    }),
    server_fn(ReplaceExpiredPassword::PATH, Access::NewPassword, Need::Nothing, SIGN_IN, |_| {
        "/account/security/password-expired".into()
    }),
    server_fn(AnswerPasswordPrompt::PATH, Access::Full, Need::Nothing, false, |_| {
        "/account/security/new-password".into()
    }),
    server_fn(SetMailPreferences::PATH, Access::Full, Need::Nothing, false, |_| "/account/email-preferences".into()),
    server_fn(Unsubscribe::PATH, Access::Public, Need::Nothing, SIGN_IN, |f| with_token("/unsubscribe", f)),
    // --- the organisation's policy
    server_fn(SetMfaPolicy::PATH, Access::Full, Need::One(Permission::ManagePolicy), false, |_| {
        "/settings/security".into()
    }),
    server_fn(SetEmailCodes::PATH, Access::Full, Need::One(Permission::ManagePolicy), false, |_| {
        "/settings/security".into()
    }),
    server_fn(SetEmailOnlyResets::PATH, Access::Full, Need::One(Permission::ManagePolicy), false, |_| {
        "/settings/security".into()
    }),
    server_fn(SetPasswordExpiry::PATH, Access::Full, Need::One(Permission::ManagePolicy), false, |_| {
        "/settings/security".into()
    }),
    server_fn(SetBusinessHours::PATH, Access::Full, Need::One(Permission::ManagePolicy), false, |_| {
        "/settings/security".into()
    }),
    server_fn(SetSignInMethod::PATH, Access::Full, Need::One(Permission::ManagePolicy), false, |_| {
        "/settings/security/sign-in".into()
    }),
    server_fn(SetProviderSignInRequired::PATH, Access::Full, Need::One(Permission::ManagePolicy), false, |_| {
        "/settings/security/sign-in".into()
    }),
    // --- the team and its roles
    server_fn(InviteMember::PATH, Access::Full, Need::One(Permission::ManageMembers), false, |_| {
        "/settings/team/invite".into()
    }),
    server_fn(InviteList::PATH, Access::Full, Need::One(Permission::ManageMembers), false, |_| {
        "/settings/team/invite/list".into()
    }),
    server_fn(ResendAllInvitations::PATH, Access::Full, Need::One(Permission::ManageMembers), false, |_| {
        "/settings/team".into()
    }),
    server_fn(ResendInvitation::PATH, Access::Full, Need::One(Permission::ManageMembers), false, member_page),
    server_fn(RevokeInvitation::PATH, Access::Full, Need::One(Permission::ManageMembers), false, member_page),
    server_fn(ChangeMemberRole::PATH, Access::Full, Need::One(Permission::ManageMembers), false, member_page),
    server_fn(SetMemberDisabled::PATH, Access::Full, Need::One(Permission::ManageMembers), false, member_page),
    server_fn(CorrectMemberEmail::PATH, Access::Full, Need::One(Permission::ManageMembers), false, member_page),
    server_fn(ResetMemberMfa::PATH, Access::Full, Need::One(Permission::ManageMfa), false, |f| {
        format!("{}/reset-mfa", member_page(f))
    }),
    server_fn(IssueAccessCode::PATH, Access::Full, Need::One(Permission::ManageMfa), false, member_page),
    server_fn(CreateRole::PATH, Access::Full, Need::One(Permission::ManageRoles), false, |_| "/settings/roles".into()),
    server_fn(SetRoleMfa::PATH, Access::Full, Need::One(Permission::ManageRoles), false, |_| "/settings/roles".into()),
    // --- the organisation's mail
    server_fn(PreviewMailTemplate::PATH, Access::Full, EMAIL, false, template_page),
    server_fn(SaveMailTemplate::PATH, Access::Full, EMAIL, false, template_page),
    server_fn(RestoreMailTemplate::PATH, Access::Full, EMAIL, false, template_page),
    // --- the organisation's applications
    server_fn(AddApplication::PATH, Access::Full, APPLICATIONS, false, |_| "/settings/applications".into()),
    server_fn(RotateClientSecret::PATH, Access::Full, APPLICATIONS, false, application_page),
    server_fn(SetApplicationDisabled::PATH, Access::Full, APPLICATIONS, false, application_page),
    server_fn(RemoveApplication::PATH, Access::Full, APPLICATIONS, false, application_page),
];

/// The route serving `method` and `path`, if any.
pub fn find(method: &Method, path: &str) -> Option<&'static RouteSpec> {
    // HEAD is a GET without the body.
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    ROUTES.iter().find(|r| r.method == method && r.matches(path))
}

/// Whether some route serves `path` with another method (a 405 rather than a 404).
pub fn other_method(path: &str) -> Option<&'static RouteSpec> {
    ROUTES.iter().find(|r| r.matches(path))
}

/// Compares the server functions Leptos registered with the table; `Err` lists every difference.
pub fn check_server_fns(registered: impl IntoIterator<Item = (&'static str, Method)>) -> Result<(), String> {
    let mut registered: Vec<(String, String)> =
        registered.into_iter().map(|(p, m)| (m.as_str().to_string(), p.to_string())).collect();
    registered.sort();
    let mut listed: Vec<(String, String)> =
        ROUTES.iter().filter(|r| r.is_server_fn()).map(|r| (r.method.to_string(), r.path.to_string())).collect();
    listed.sort();
    let missing: Vec<String> =
        registered.iter().filter(|r| !listed.contains(r)).map(|(m, p)| format!("{m} {p}")).collect();
    let stale: Vec<String> =
        listed.iter().filter(|r| !registered.contains(r)).map(|(m, p)| format!("{m} {p}")).collect();
    if missing.is_empty() && stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the access table and the registered server functions differ: not in the table: [{}]; in the table but not registered: [{}]",
            missing.join(", "),
            stale.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_segment_by_segment() {
        let r = page("/settings/team/{id}", Access::Full);
        assert!(r.matches("/settings/team/12"));
        assert!(!r.matches("/settings/team"));
        assert!(!r.matches("/settings/team/"));
        assert!(!r.matches("/settings/team/12/reset-mfa"));
        assert!(page("/", Access::Full).matches("/"));
        assert!(!page("/", Access::Full).matches("/x"));
    }

    #[test]
    fn every_route_is_listed_once() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{} {} twice", a.method, a.path);
            }
        }
    }

    #[test]
    fn a_difference_between_table_and_registry_is_named() {
        let mut registered: Vec<(&'static str, Method)> =
            ROUTES.iter().filter(|r| r.is_server_fn()).map(|r| (r.path, Method::POST)).collect();
        assert_eq!(check_server_fns(registered.clone()), Ok(()));
        registered.push(("/api/unlisted", Method::POST));
        let e = check_server_fns(registered.clone()).unwrap_err();
        assert!(e.contains("not in the table: [POST /api/unlisted]"), "{e}");
        registered.retain(|(p, _)| *p != LoginEmail::PATH);
        let e = check_server_fns(registered).unwrap_err();
        assert!(e.contains(&format!("in the table but not registered: [POST {}]", LoginEmail::PATH)), "{e}");
    }
}
