//! How an administrator verified who was asking before resetting their MFA. A request that came
//! only by email proves nothing (the mailbox may be the attacker's, or the address spoofed), so
//! it is refused unless the organisation chose to allow it, and then it is flagged in the
//! activity log.

/// The ways of verifying a person the Reset MFA confirmation offers, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityCheck {
    InPerson,
    VideoCall,
    KnownNumber,
    Ticket,
    EmailOnly,
}

impl IdentityCheck {
    pub const ALL: [IdentityCheck; 5] = [
        IdentityCheck::InPerson,
        IdentityCheck::VideoCall,
        IdentityCheck::KnownNumber,
        IdentityCheck::Ticket,
        IdentityCheck::EmailOnly,
    ];

    /// What the form sends.
    pub fn id(self) -> &'static str {
        match self {
            IdentityCheck::InPerson => "in-person",
            IdentityCheck::VideoCall => "video-call",
            IdentityCheck::KnownNumber => "known-number",
            IdentityCheck::Ticket => "ticket",
            IdentityCheck::EmailOnly => "email-only",
        }
    }

    pub fn from_id(id: &str) -> Option<IdentityCheck> {
        IdentityCheck::ALL.into_iter().find(|c| c.id() == id.trim())
    }

    /// The choice as the confirmation words it.
    pub fn label(self) -> &'static str {
        match self {
            IdentityCheck::InPerson => "In person, with photo ID",
            IdentityCheck::VideoCall => "A video call where I recognised them",
            IdentityCheck::KnownNumber => "I called them back on a number already on record",
            IdentityCheck::Ticket => "A ticket they raised while signed in to another company system",
            IdentityCheck::EmailOnly => "Only by email (not enough on its own)",
        }
    }

    /// Whether this way proves who is asking.
    pub fn is_enough(self) -> bool {
        self != IdentityCheck::EmailOnly
    }

    /// The reset's activity log detail: how the person was verified, and whether the reset put a
    /// hold for a temporary access code on the account.
    pub fn reset_detail(self, held: bool) -> &'static str {
        use IdentityCheck::*;
        match (self, held) {
            (InPerson, false) => "verified in person with photo ID",
            (InPerson, true) => "verified in person with photo ID; temporary access code issued",
            (VideoCall, false) => "verified on a video call",
            (VideoCall, true) => "verified on a video call; temporary access code issued",
            (KnownNumber, false) => "verified by a call to a number on record",
            (KnownNumber, true) => "verified by a call to a number on record; temporary access code issued",
            (Ticket, false) => "verified by an authenticated ticket",
            (Ticket, true) => "verified by an authenticated ticket; temporary access code issued",
            (EmailOnly, false) => EMAIL_ONLY_DETAIL,
            (EmailOnly, true) => "verified by email only; temporary access code issued",
        }
    }
}

/// How every reset verified by email alone starts its detail (the activity log flags it).
pub const EMAIL_ONLY_DETAIL: &str = "verified by email only";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_and_only_email_is_not_enough() {
        for c in IdentityCheck::ALL {
            assert_eq!(IdentityCheck::from_id(c.id()), Some(c));
            assert_eq!(c.is_enough(), c != IdentityCheck::EmailOnly);
            assert!(c.reset_detail(true).ends_with("temporary access code issued"));
            assert!(!c.reset_detail(false).contains("access code"));
            assert_eq!(c.reset_detail(true).starts_with(EMAIL_ONLY_DETAIL), c == IdentityCheck::EmailOnly);
            assert_eq!(c.reset_detail(false).starts_with(EMAIL_ONLY_DETAIL), c == IdentityCheck::EmailOnly);
        }
        assert_eq!(IdentityCheck::from_id(""), None);
        assert_eq!(IdentityCheck::from_id("phone"), None);
    }
}
