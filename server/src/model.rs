//! Domain types shared by the store, the services and the web layer.

use std::fmt;
use std::str::FromStr;

use crate::clock::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Standard,
    Healthcare,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Standard => "standard",
            OrgKind::Healthcare => "healthcare",
        }
    }
}

impl FromStr for OrgKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" => Ok(OrgKind::Standard),
            "healthcare" => Ok(OrgKind::Healthcare),
            other => Err(format!("unknown organisation kind {other:?} (standard or healthcare)")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
/// The built-in roles every organisation has; see [`crate::roles`] for what each may do.
pub enum Role {
    Owner,
    Admin,
    HelpDesk,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::HelpDesk => "helpdesk",
            Role::Member => "member",
        }
    }

    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::HelpDesk, Role::Member];

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Administrator",
            Role::HelpDesk => "Help desk",
            Role::Member => "Member",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "helpdesk" => Ok(Role::HelpDesk),
            "member" => Ok(Role::Member),
            other => Err(format!("unknown role {other:?} (owner, admin, helpdesk or member)")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub created_at: Timestamp,
    /// As stored; see [`crate::policy::effective`] for what is in force.
    pub mfa_policy: crate::policy::MfaPolicy,
    pub mfa_grace_until: Option<Timestamp>,
}

/// An email address as typed and its canonical form used for lookups and uniqueness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub display: String,
    pub canonical: String,
}

impl Email {
    /// Trims, checks the rough shape (one `@`, something on both sides, no spaces) and lowercases
    /// for the canonical form. Full RFC 5322 validation is pointless: the mail either arrives or not.
    pub fn parse(input: &str) -> Result<Email, String> {
        let display = input.trim();
        if display.is_empty() {
            return Err("Enter your email address.".into());
        }
        if display.chars().count() > 254 {
            return Err("That email address is too long.".into());
        }
        let valid = match display.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !display.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !valid {
            return Err("Enter an email address like name@example.com.".into());
        }
        Ok(Email { display: display.to_string(), canonical: display.to_lowercase() })
    }
}

/// What sign-in needs to know about an account.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCredentials {
    pub user_id: i64,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

impl fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user_id", &self.user_id)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "<redacted>"))
            .field("disabled", &self.disabled)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub password_hash: Option<String>,
}

/// Checks a display name or organisation name: trimmed, 1..=100 characters, no control characters.
pub fn parse_name(input: &str, what: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err(format!("Enter {what}."));
    }
    if name.chars().count() > 100 {
        return Err(format!("{} must be at most 100 characters.", capitalise(what)));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{} cannot contain control characters.", capitalise(what)));
    }
    Ok(name.to_string())
}

fn capitalise(s: &str) -> String {
    let s = s.strip_prefix("the ").or_else(|| s.strip_prefix("your ")).unwrap_or(s);
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_canonicalised_and_checked() {
        let e = Email::parse("  Ada.Lovelace@Example.ORG ").unwrap();
        assert_eq!(e.display, "Ada.Lovelace@Example.ORG");
        assert_eq!(e.canonical, "ada.lovelace@example.org");
        for bad in ["", "   ", "ada", "@example.org", "ada@", "a b@example.org", "a@b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Acme  ", "the organisation name").unwrap(), "Acme");
        assert_eq!(parse_name(" ", "the organisation name").unwrap_err(), "Enter the organisation name.");
        assert_eq!(parse_name(&"x".repeat(101), "your name").unwrap_err(), "Name must be at most 100 characters.");
        assert!(parse_name("a\u{0}b", "your name").is_err());
    }

    #[test]
    fn roles_and_kinds_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        for k in [OrgKind::Standard, OrgKind::Healthcare] {
            assert_eq!(k.as_str().parse::<OrgKind>().unwrap(), k);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
