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

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MfaPolicy {
    /// Not offered to members; anyone already enrolled still uses their factor.
    Hidden,
    /// Each user chooses.
    Visible,
    /// Every sign-in needs a second factor.
    Required,
}

impl MfaPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaPolicy::Hidden => "hidden",
            MfaPolicy::Visible => "visible",
            MfaPolicy::Required => "required",
        }
    }
}

impl FromStr for MfaPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hidden" => Ok(MfaPolicy::Hidden),
            "visible" => Ok(MfaPolicy::Visible),
            "required" => Ok(MfaPolicy::Required),
            other => Err(format!("unknown MFA policy {other:?} (hidden, visible or required)")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub created_at: Timestamp,
    /// As stored; see [`crate::policy::effective`] for what is in force.
    pub mfa_policy: MfaPolicy,
    pub mfa_grace_until: Option<Timestamp>,
}

/// When an organisation works: minutes after local midnight, Monday to Friday, at a fixed offset
/// from UTC (no daylight-saving rules: owners adjust the offset when the clocks change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessHours {
    pub start_minute: i32,
    pub end_minute: i32,
    pub utc_offset_minutes: i32,
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours { start_minute: 8 * 60, end_minute: 18 * 60, utc_offset_minutes: 0 }
    }
}

impl BusinessHours {
    /// Checks an owner's choice: a non-empty day within 00:00-24:00, an offset within UTC-12..+14.
    pub fn new(start_minute: i32, end_minute: i32, utc_offset_minutes: i32) -> Result<BusinessHours, Problem> {
        let times = (0..24 * 60).contains(&start_minute) && (1..=24 * 60).contains(&end_minute);
        if !times || !(-12 * 60..=14 * 60).contains(&utc_offset_minutes) {
            return Err(Problem::OutOfRange);
        }
        if end_minute <= start_minute {
            return Err(Problem::EndsBeforeStart);
        }
        Ok(BusinessHours { start_minute, end_minute, utc_offset_minutes })
    }

    fn local_ms(&self, t: Timestamp) -> i64 {
        t.0 + i64::from(self.utc_offset_minutes) * 60_000
    }

    /// The time at the organisation, as `YYYY-MM-DD HH:MM:SS`.
    pub fn local_time(&self, t: Timestamp) -> String {
        Timestamp(self.local_ms(t)).to_display()
    }

    /// `UTC+01:00`, `UTC-05:30`, `UTC`.
    pub fn offset_label(&self) -> String {
        let m = self.utc_offset_minutes;
        if m == 0 {
            return "UTC".into();
        }
        let sign = if m < 0 { '-' } else { '+' };
        format!("UTC{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        let local = self.local_ms(t);
        // 1970-01-01 was a Thursday: day 0 is weekday 3, counting Monday as 0.
        let weekday = (local.div_euclid(DAY_MS) + 3).rem_euclid(7);
        let minute = (local.rem_euclid(DAY_MS) / 60_000) as i32;
        weekday < 5 && (self.start_minute..self.end_minute).contains(&minute)
    }
}

const DAY_MS: i64 = 86_400_000;

/// An email address as typed and its canonical form used for lookups and uniqueness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub display: String,
    pub canonical: String,
}

impl Email {
    /// Trims, checks the rough shape (one `@`, something on both sides, no spaces) and lowercases
    /// for the canonical form. Full RFC 5322 validation is pointless: the mail either arrives or not.
    pub fn parse(input: &str) -> Result<Email, Problem> {
        let display = input.trim();
        if display.is_empty() {
            return Err(Problem::Missing);
        }
        if display.chars().count() > 254 {
            return Err(Problem::TooLong);
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
            return Err(Problem::NotAnEmail);
        }
        Ok(Email { display: display.to_string(), canonical: canonical_email(display) })
    }
}

/// The form of an address used for lookups, uniqueness and failure budgets: Unicode compatibility
/// normalisation (NFKC) and full case folding, so look-alikes such as a full-width `ａ` or
/// `ß`/`ss` name one account, not two. Defined for any text, so even input that is not an
/// address throttles the same way as its look-alikes.
pub fn canonical_email(input: &str) -> String {
    use caseless::Caseless;
    use unicode_normalization::UnicodeNormalization;
    // Folding can undo normalisation (and the reverse), hence NFKC on both sides, as in
    // Unicode's NFKC_Casefold.
    input.trim().nfkc().default_case_fold().nfkc().collect()
}

/// What is wrong with something a person typed. The web layer words it for the field it is about;
/// `Display` is the operator's wording (command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Missing,
    TooLong,
    ControlCharacters,
    NotAnEmail,
    /// Another organisation, account or role already has it.
    Taken,
    /// Not one of the choices offered.
    NotInList,
    /// A number or time outside what is allowed.
    OutOfRange,
    /// A working day that ends before it starts.
    EndsBeforeStart,
    Weak(crate::password::Weakness),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("is missing"),
            Problem::TooLong => f.write_str("is too long"),
            Problem::ControlCharacters => f.write_str("contains control characters"),
            Problem::NotAnEmail => f.write_str("is not an email address like name@example.com"),
            Problem::Taken => f.write_str("is already taken"),
            Problem::NotInList => f.write_str("is not one of the choices"),
            Problem::OutOfRange => f.write_str("is out of range"),
            Problem::EndsBeforeStart => f.write_str("ends before it starts"),
            Problem::Weak(w) => write!(f, "is refused: {w}"),
        }
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
pub fn parse_name(input: &str) -> Result<String, Problem> {
    let name = input.trim();
    if name.is_empty() {
        return Err(Problem::Missing);
    }
    if name.chars().count() > 100 {
        return Err(Problem::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(Problem::ControlCharacters);
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_canonicalised_and_checked() {
        let e = Email::parse("  Ada.Lovelace@Example.ORG ").unwrap();
        assert_eq!(e.display, "Ada.Lovelace@Example.ORG");
        assert_eq!(e.canonical, "ada.lovelace@example.org");
        for bad in ["", "   "] {
            assert_eq!(Email::parse(bad), Err(Problem::Missing), "{bad:?}");
        }
        for bad in ["ada", "@example.org", "ada@", "a b@example.org", "a@b@c"] {
            assert_eq!(Email::parse(bad), Err(Problem::NotAnEmail), "{bad:?}");
        }
        assert_eq!(Email::parse(&format!("{}@example.org", "a".repeat(250))), Err(Problem::TooLong));
    }

    #[test]
    fn look_alike_addresses_share_one_canonical_form() {
        let canonical = |s: &str| Email::parse(s).unwrap().canonical;
        let alice = canonical("alice@example.org");
        // Full-width letters, a compatibility ligature, mathematical letters, upper case.
        for same in [
            "\u{ff41}lice@example.org",
            "ALICE@EXAMPLE.ORG",
            "\u{ff21}lice@\u{ff45}xample.org",
            "\u{1d41a}lice@example.org",
        ] {
            assert_eq!(canonical(same), alice, "{same:?}");
        }
        assert_eq!(canonical("\u{fb00}@example.org"), canonical("FF@example.org"), "ligature ﬀ");
        assert_eq!(canonical("stra\u{df}e@example.org"), canonical("STRASSE@example.org"), "ß folds to ss");
        // Composed and decomposed accents are one address; different letters stay different.
        assert_eq!(canonical("jos\u{e9}@example.org"), canonical("jose\u{301}@example.org"));
        assert_ne!(canonical("jos\u{e9}@example.org"), canonical("jose@example.org"));
        assert_ne!(canonical("alice@example.org"), canonical("alicia@example.org"));
        // The display form keeps what was typed.
        assert_eq!(Email::parse(" \u{ff41}lice@example.org").unwrap().display, "\u{ff41}lice@example.org");
        assert_eq!(canonical_email("  Not An Address "), "not an address");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Acme  ").unwrap(), "Acme");
        assert_eq!(parse_name(" "), Err(Problem::Missing));
        assert_eq!(parse_name(&"x".repeat(100)).map(|n| n.len()), Ok(100));
        assert_eq!(parse_name(&"x".repeat(101)), Err(Problem::TooLong));
        assert_eq!(parse_name("a\u{0}b"), Err(Problem::ControlCharacters));
    }

    /// 2026-11-23 was a Monday.
    const MONDAY: i64 = 1_795_392_000_000;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn business_hours_follow_the_organisations_clock() {
        assert_eq!(Timestamp(MONDAY).to_rfc3339(), "2026-11-23T00:00:00Z");
        let utc = BusinessHours::default();
        let table = [
            (MONDAY + 8 * HOUR, true),
            (MONDAY + 18 * HOUR - 1, true),
            (MONDAY + 18 * HOUR, false),
            (MONDAY + 7 * HOUR, false),
            (MONDAY + 4 * 24 * HOUR + 12 * HOUR, true),  // Friday noon
            (MONDAY + 5 * 24 * HOUR + 12 * HOUR, false), // Saturday noon
            (MONDAY - 12 * HOUR, false),                 // Sunday noon
        ];
        for (t, inside) in table {
            assert_eq!(utc.contains(Timestamp(t)), inside, "{}", Timestamp(t).to_rfc3339());
        }
        // 07:30 UTC is 09:30 two hours east and 02:30 five hours west.
        let east = BusinessHours::new(9 * 60, 17 * 60, 120).unwrap();
        let west = BusinessHours::new(9 * 60, 17 * 60, -300).unwrap();
        let t = Timestamp(MONDAY + 7 * HOUR + 30 * 60_000);
        assert!(east.contains(t) && !west.contains(t));
        assert_eq!(east.local_time(t), "2026-11-23 09:30:00");
        assert_eq!([east.offset_label(), west.offset_label(), utc.offset_label()], ["UTC+02:00", "UTC-05:00", "UTC"]);
        assert_eq!(BusinessHours::new(600, 500, 0), Err(Problem::EndsBeforeStart));
        assert_eq!(BusinessHours::new(0, 24 * 60, 15 * 60), Err(Problem::OutOfRange));
        assert_eq!(BusinessHours::new(0, 24 * 60 + 1, 0), Err(Problem::OutOfRange));
    }

    #[test]
    fn roles_and_kinds_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        for k in [OrgKind::Standard, OrgKind::Healthcare] {
            assert_eq!(k.as_str().parse::<OrgKind>().unwrap(), k);
        }
        for p in [MfaPolicy::Hidden, MfaPolicy::Visible, MfaPolicy::Required] {
            assert_eq!(p.as_str().parse::<MfaPolicy>().unwrap(), p);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
