//! How often Tessera mails one account a link or a code it asked for: at most one a minute and
//! five an hour, so nobody can flood a mailbox through the product. The count is taken in the
//! transaction that issues the link or code (see the stores), so requests at the same moment
//! count each other.

use std::time::Duration;

use crate::clock::Timestamp;

/// The least time between two mails of one kind to one account.
pub const COOLDOWN: Duration = Duration::from_secs(60);
/// The most mails of one kind to one account in an hour.
pub const PER_HOUR: u32 = 5;
/// The window [`PER_HOUR`] counts in.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Whether a mail was sent, or when one may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Yes,
    NotBefore(Timestamp),
}

/// What the account was sent within [`WINDOW`] before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recent {
    pub count: u32,
    pub oldest: Option<Timestamp>,
    pub newest: Option<Timestamp>,
}

/// The start of the window that ends at `now`.
pub fn window_start(now: Timestamp) -> Timestamp {
    Timestamp(now.0 - WINDOW.as_millis() as i64)
}

/// `None` when one more mail may go now; otherwise the earliest time it may.
pub fn next_allowed(recent: Recent, now: Timestamp) -> Option<Timestamp> {
    let by_hour = (recent.count >= PER_HOUR).then(|| recent.oldest.map(|t| t.plus(WINDOW))).flatten();
    let by_cooldown = recent.newest.map(|t| t.plus(COOLDOWN)).filter(|t| *t > now);
    match (by_hour.filter(|t| *t > now), by_cooldown) {
        (Some(a), Some(b)) => Some(Timestamp(a.0.max(b.0))),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_a_minute_and_five_an_hour() {
        let now = Timestamp(10_000_000);
        let ago = |ms: i64| Some(Timestamp(now.0 - ms));
        assert_eq!(next_allowed(Recent::default(), now), None);
        let just_sent = Recent { count: 1, oldest: ago(59_999), newest: ago(59_999) };
        assert_eq!(next_allowed(just_sent, now), Some(Timestamp(now.0 + 1)), "59.999 s after the last one");
        let a_minute = Recent { count: 1, oldest: ago(60_000), newest: ago(60_000) };
        assert_eq!(next_allowed(a_minute, now), None, "60 s after");
        let fifth = Recent { count: 4, oldest: ago(600_000), newest: ago(60_000) };
        assert_eq!(next_allowed(fifth, now), None, "the fifth in the hour");
        let sixth = Recent { count: 5, oldest: ago(600_000), newest: ago(60_000) };
        assert_eq!(
            next_allowed(sixth, now),
            Some(Timestamp(now.0 - 600_000 + 3_600_000)),
            "when the oldest leaves the hour"
        );
        let both = Recent { count: 5, oldest: ago(3_599_000), newest: ago(1_000) };
        assert_eq!(next_allowed(both, now), Some(Timestamp(now.0 + 59_000)), "the later of the two");
    }
}
