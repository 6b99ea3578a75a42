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
    /// As stored; see [`crate::policy::email_codes_in_force`].
    pub email_codes_allowed: bool,
    /// "Passwords expire after N days", if set.
    pub password_max_age_days: Option<u32>,
}

/// When an organisation works: minutes after local midnight, Monday to Friday, in its time zone
/// (daylight saving included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    pub start_minute: i32,
    pub end_minute: i32,
    pub zone: Zone,
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours { start_minute: 8 * 60, end_minute: 18 * 60, zone: Zone::utc() }
    }
}

/// Where an organisation is: an IANA time zone (`Europe/London`), or a fixed offset from UTC
/// (`UTC+05:30`) kept from before time zones where no zone matched the offset exactly. The zone's
/// rules are resolved once, when it is parsed: the activity log and its export convert every
/// entry with them.
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Zone").field(&self.name).finish()
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone { name: "UTC".into(), tz: jiff::tz::TimeZone::UTC }
    }

    /// A zone by name: an IANA name Tessera knows, or `UTC±HH:MM`; `None` otherwise.
    pub fn parse(name: &str) -> Option<Zone> {
        let name = name.trim();
        if let Some(minutes) = Self::fixed_minutes(name) {
            let offset = jiff::tz::Offset::from_seconds(minutes * 60).ok()?;
            return Some(Zone { name: name.to_string(), tz: jiff::tz::TimeZone::fixed(offset) });
        }
        let tz = jiff::tz::TimeZone::get(name).ok()?;
        Some(Zone { name: tz.iana_name()?.to_string(), tz })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every IANA zone name Tessera knows, sorted, for choosing one.
    pub fn all_names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
        names.sort();
        names
    }

    fn fixed_minutes(name: &str) -> Option<i32> {
        let rest = name.strip_prefix("UTC")?;
        let (sign, hhmm) = match rest.as_bytes().first()? {
            b'+' => (1, &rest[1..]),
            b'-' => (-1, &rest[1..]),
            _ => return None,
        };
        // Exactly `HH:MM`, as Tessera writes them.
        let (h, m) = hhmm.split_once(':').filter(|(h, m)| h.len() == 2 && m.len() == 2)?;
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        let minutes = sign * (h * 60 + m);
        (m < 60 && (-12 * 60..=14 * 60).contains(&minutes)).then_some(minutes)
    }
}

impl BusinessHours {
    /// Checks an owner's choice: a non-empty day within 00:00-24:00 and a known time zone.
    pub fn new(start_minute: i32, end_minute: i32, zone: &str) -> Result<BusinessHours, Problem> {
        let times = (0..24 * 60).contains(&start_minute) && (1..=24 * 60).contains(&end_minute);
        let zone = Zone::parse(zone);
        let (true, Some(zone)) = (times, zone) else { return Err(Problem::OutOfRange) };
        if end_minute <= start_minute {
            return Err(Problem::EndsBeforeStart);
        }
        Ok(BusinessHours { start_minute, end_minute, zone })
    }

    fn local(&self, t: Timestamp) -> Option<jiff::Zoned> {
        jiff::Timestamp::from_millisecond(t.0).ok().map(|ts| ts.to_zoned(self.zone.tz.clone()))
    }

    /// The time at the organisation with its offset then, as `YYYY-MM-DD HH:MM:SS +01:00`.
    pub fn local_time(&self, t: Timestamp) -> String {
        self.local(t).map(|z| z.strftime("%Y-%m-%d %H:%M:%S %:z").to_string()).unwrap_or_else(|| t.to_display())
    }

    /// The time at the organisation to the minute, with the zone's name when it is not UTC:
    /// `2026-12-04 17:39 (Europe/London)`, or `2026-12-04 17:39 UTC`.
    pub fn local_minute(&self, t: Timestamp) -> String {
        match self.local(t) {
            Some(z) if !self.is_utc() => format!("{} ({})", z.strftime("%Y-%m-%d %H:%M"), self.zone.name()),
            _ => format!("{} UTC", t.to_display().chars().take(16).collect::<String>()),
        }
    }

    /// The zone's name, as the activity log heads its local-time column.
    pub fn zone_label(&self) -> String {
        self.zone.name().to_string()
    }

    /// Whether the organisation keeps UTC (the activity log then needs no second time column).
    pub fn is_utc(&self) -> bool {
        matches!(self.zone.name(), "UTC" | "Etc/UTC" | "UTC+00:00" | "UTC-00:00")
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        let Some(local) = self.local(t) else { return false };
        let minute = i32::from(local.hour()) * 60 + i32::from(local.minute());
        let workday = local.weekday().to_monday_zero_offset() < 5;
        workday && (self.start_minute..self.end_minute).contains(&minute)
    }
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
    /// Not the address a one-time link was sent to.
    NotLinkAddress,
    /// A value typed twice came out different.
    Mismatch,
    /// Not the account's current password.
    NotCurrentPassword,
    /// A new password that is the current one.
    SameAsCurrent,
    /// A way of verifying someone that does not prove who they are (an email alone).
    NotEnoughProof,
    /// A line of a list (of people to invite) that cannot be used: the first such line, and how
    /// many more lines have a problem.
    InList {
        issue: ListIssue,
        line: u16,
        more: u16,
    },
    /// More entries than a list may have.
    TooMany {
        max: u16,
        have: u16,
    },
}

/// What is wrong with a line of a list of people to invite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListIssue {
    /// No email address on it, or something that is not one.
    NotAnEmail,
    /// A name that is too long or has control characters.
    Name,
    /// The address already has an account (a member here, or someone elsewhere).
    HasAccount,
    /// Invited here already, with permissions the actor does not hold.
    NotYours,
    /// A URI (of an application) that is not a full address.
    NotAnAddress,
    /// A URI that is plain http away from the machine itself.
    NotHttps,
    /// A URI with a user name or password in it.
    UriCredentials,
    /// A URI ending in a `#fragment`.
    UriFragment,
    /// A URI longer than 2,000 characters.
    UriTooLong,
    /// Sign-in methods: not a domain name like example.org.
    NotADomain,
    /// Sign-in methods: not a Microsoft tenant id (a GUID).
    NotATenant,
    /// Sign-in methods: a tenant id the operator did not configure for the provider.
    TenantNotAccepted,
}

impl fmt::Display for ListIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ListIssue::NotAnEmail => "is not an email address like name@example.com",
            ListIssue::Name => "has a name that is too long or contains control characters",
            ListIssue::HasAccount => "is the address of an existing account",
            ListIssue::NotYours => "is an invitation with permissions you do not hold",
            ListIssue::NotAnAddress => "is not a full address like https://wiki.example.org/callback",
            ListIssue::NotHttps => {
                "must use https (plain http only on the machine itself: localhost, 127.0.0.1 or [::1])"
            }
            ListIssue::UriCredentials => "must not hold a user name or password",
            ListIssue::UriFragment => "must not end in a #fragment",
            ListIssue::UriTooLong => "is longer than 2,000 characters",
            ListIssue::NotADomain => "is not a domain name like example.org",
            ListIssue::NotATenant => "is not a tenant id like 72f988bf-86f1-41af-91ab-2d7cd011db47",
            ListIssue::TenantNotAccepted => "is not one of the tenants this Tessera accepts for the provider",
        })
    }
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
            Problem::NotLinkAddress => f.write_str("is not the address the link was sent to"),
            Problem::Mismatch => f.write_str("does not match"),
            Problem::NotCurrentPassword => f.write_str("is not the current password"),
            Problem::SameAsCurrent => f.write_str("is the current password"),
            Problem::NotEnoughProof => f.write_str("does not prove who is asking"),
            Problem::InList { issue, line, more: 0 } => write!(f, "has a problem: line {line} {issue}"),
            Problem::InList { issue, line, more } => {
                write!(f, "has problems: line {line} {issue}, and {more} more lines have a problem")
            }
            Problem::TooMany { max, have } => write!(f, "has {have} entries, more than the {max} allowed"),
        }
    }
}

/// What sign-in needs to know about an account.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCredentials {
    pub user_id: i64,
    pub password_hash: Option<String>,
    pub disabled: bool,
    /// Which second factors stand behind the password, read with it so that a sign-in asks the
    /// database once: an authenticator app, an administrator's MFA reset holding the account.
    pub factors: Factors,
}

/// The second factors an account has, as the store last saw them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Factors {
    pub has_mfa: bool,
    pub held: bool,
}

impl fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user_id", &self.user_id)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "<redacted>"))
            .field("disabled", &self.disabled)
            .field("factors", &self.factors)
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
        // 07:30 UTC in November is 09:30 in Helsinki and 02:30 in New York.
        let east = BusinessHours::new(9 * 60, 17 * 60, "Europe/Helsinki").unwrap();
        let west = BusinessHours::new(9 * 60, 17 * 60, "America/New_York").unwrap();
        let t = Timestamp(MONDAY + 7 * HOUR + 30 * 60_000);
        assert!(east.contains(t) && !west.contains(t));
        assert_eq!(east.local_time(t), "2026-11-23 09:30:00 +02:00");
        assert_eq!([east.zone_label(), west.zone_label()], ["Europe/Helsinki", "America/New_York"]);
        assert!(utc.is_utc() && !east.is_utc());
        assert_eq!(BusinessHours::new(600, 500, "UTC"), Err(Problem::EndsBeforeStart));
        assert_eq!(BusinessHours::new(0, 24 * 60, "Mars/Olympus_Mons"), Err(Problem::OutOfRange));
        assert_eq!(BusinessHours::new(0, 24 * 60 + 1, "UTC"), Err(Problem::OutOfRange));
    }

    #[test]
    fn business_hours_keep_daylight_saving() {
        // At 08:30 UTC London is at 09:30 in summer (BST: open) and 08:30 in winter (GMT: not
        // yet open), without anyone changing a setting.
        let london = BusinessHours::new(9 * 60, 17 * 60, "Europe/London").unwrap();
        let summer = Timestamp(1_782_894_600_000); // Wednesday 2026-07-01 08:30 UTC
        let winter = Timestamp(1_767_601_800_000); // Monday 2026-01-05 08:30 UTC
        assert_eq!(summer.to_rfc3339(), "2026-07-01T08:30:00Z");
        assert_eq!(winter.to_rfc3339(), "2026-01-05T08:30:00Z");
        assert!(london.contains(summer) && !london.contains(winter));
        assert_eq!(london.local_time(summer), "2026-07-01 09:30:00 +01:00");
        assert_eq!(london.local_time(winter), "2026-01-05 08:30:00 +00:00");
    }

    #[test]
    fn zones_are_iana_names_or_fixed_offsets_kept_from_before() {
        assert_eq!(Zone::parse("Europe/London").map(|z| z.name().to_string()), Some("Europe/London".into()));
        assert_eq!(Zone::parse("UTC+05:30").map(|z| z.name().to_string()), Some("UTC+05:30".into()));
        for bad in ["", "Europe/Nowhere", "UTC+15:00", "UTC+5:75", "../../etc/passwd", "UTC+005:00"] {
            assert_eq!(Zone::parse(bad), None, "{bad}");
        }
        let fixed = BusinessHours::new(9 * 60, 17 * 60, "UTC+05:30").unwrap();
        assert_eq!(fixed.local_time(Timestamp(MONDAY)), "2026-11-23 05:30:00 +05:30");
        assert!(Zone::all_names().iter().any(|n| n == "Europe/London") && Zone::all_names().len() > 300);
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
