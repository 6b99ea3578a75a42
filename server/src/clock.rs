//! The only source of "now" in Tessera. Token expiry, throttling and session timeouts all read a
//! [`Clock`], so tests can pin and move time instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, UTC. Stored as `BIGINT` in both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(d.as_millis().min(i64::MAX as u128) as i64))
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0).max(0) as u64)
    }

    /// How long ago `self` was at `now`, in words: "just now", "5 minutes ago", "1 day ago".
    pub fn ago(self, now: Timestamp) -> String {
        match span_words(now.since(self)) {
            None => "just now".into(),
            Some(w) => format!("{w} ago"),
        }
    }

    /// How long from `now` until `self`, in words: "in 3 hours"; "now" once it has passed.
    pub fn from_now(self, now: Timestamp) -> String {
        match span_words(self.since(now)) {
            None => "now".into(),
            Some(w) => format!("in {w}"),
        }
    }

    /// RFC 3339 in UTC, second precision, for people and logs.
    pub fn to_rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
    }

    /// `YYYY-MM-DD HH:MM:SS`, as pages and mails show times (the caller says which zone).
    pub fn to_display(self) -> String {
        self.to_rfc3339().replace('T', " ").replace('Z', "")
    }
}

impl Timestamp {
    /// Midnight UTC of a `YYYY-MM-DD` date; `None` if it is not a real date.
    pub fn from_date(s: &str) -> Option<Timestamp> {
        let mut parts = s.trim().splitn(3, '-');
        let y: i64 = parts.next()?.parse().ok()?;
        let m: u32 = parts.next()?.parse().ok()?;
        let d: u32 = parts.next()?.parse().ok()?;
        if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 {
            return None;
        }
        let days = days_from_civil(y, m, d);
        // Round trip to refuse 2026-02-30 and the like.
        (civil_from_days(days) == (y, m, d)).then_some(Timestamp(days * 86_400_000))
    }
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl SystemClock {
    /// For names and ids only (outbox files); everything that decides uses a [`Clock`].
    pub fn now_millis(self) -> i64 {
        self.now().0
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Timestamp(d.as_millis() as i64)
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        FixedClock(AtomicI64::new(at.0))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// A span as people say it, in its largest whole unit; `None` under a minute.
fn span_words(d: Duration) -> Option<String> {
    let minutes = d.as_secs() / 60;
    let (n, unit) = match minutes {
        0 => return None,
        m if m < 60 => (m, "minute"),
        m if m < 48 * 60 => (m / 60, "hour"),
        m => (m / (24 * 60), "day"),
    };
    Some(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_said_in_their_largest_whole_unit() {
        let now = Timestamp(10 * 86_400_000);
        let before = |secs: i64| Timestamp(now.0 - secs * 1000);
        assert_eq!(before(59).ago(now), "just now");
        assert_eq!(before(60).ago(now), "1 minute ago");
        assert_eq!(before(59 * 60).ago(now), "59 minutes ago");
        assert_eq!(before(3600).ago(now), "1 hour ago");
        assert_eq!(before(47 * 3600).ago(now), "47 hours ago");
        assert_eq!(before(3 * 86_400).ago(now), "3 days ago");
        assert_eq!(Timestamp(now.0 + 2 * 3600 * 1000).from_now(now), "in 2 hours");
        assert_eq!(before(5).from_now(now), "now");
    }

    #[test]
    fn formats_utc() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(1_795_877_596_000).to_rfc3339(), "2026-11-28T14:53:16Z");
        assert_eq!(Timestamp(951_782_400_000).to_rfc3339(), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn dates_parse_to_utc_midnight() {
        assert_eq!(Timestamp::from_date("1970-01-01"), Some(Timestamp(0)));
        assert_eq!(Timestamp::from_date("2026-11-28").unwrap().to_rfc3339(), "2026-11-28T00:00:00Z");
        assert_eq!(Timestamp::from_date("2000-02-29").unwrap().to_rfc3339(), "2000-02-29T00:00:00Z");
        for bad in ["", "2026-02-30", "2026-13-01", "2026-1", "x-y-z", "2026-01-00"] {
            assert_eq!(Timestamp::from_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = FixedClock::new(Timestamp(1_000));
        assert_eq!(c.now(), Timestamp(1_000));
        c.advance(Duration::from_secs(2));
        assert_eq!(c.now(), Timestamp(3_000));
        assert_eq!(c.now().since(Timestamp(1_000)), Duration::from_secs(2));
        assert_eq!(Timestamp(1_000).since(c.now()), Duration::ZERO);
    }
}
