//! The per-account failure budget: a few free tries, then a growing wait between tries, capped so
//! an attacker can never lock a real user out for good. A waiting account answers exactly like a
//! wrong password, so the budget reveals nothing either.

use std::time::Duration;

/// Failures allowed before any delay.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait between two tries.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// The rule in words, as the sign-in page and the lock-out mail state it.
pub const RULE: &str =
    "After 5 wrong tries in a row, each further try waits longer: 1 second, then 2, 4, 8 and so on, up to 15 minutes.";

/// How long the account waits after its `failures`-th consecutive failure.
pub fn delay_after(failures: i64) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = (failures - FREE_FAILURES).min(20) as u32;
    Duration::from_secs(1u64 << exp).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_in_words_is_the_rule_in_force() {
        assert!(RULE.starts_with(&format!("After {FREE_FAILURES} wrong tries in a row")));
        assert_eq!(delay_after(FREE_FAILURES), Duration::from_secs(1));
        assert!(RULE.contains("1 second, then 2, 4, 8") && delay_after(FREE_FAILURES + 3) == Duration::from_secs(8));
        assert!(RULE.ends_with(&format!("up to {} minutes.", MAX_DELAY.as_secs() / 60)));
    }

    #[test]
    fn schedule_is_free_then_doubling_then_capped() {
        let table = [(0, 0), (1, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (14, 512), (15, 900), (1000, 900)];
        for (failures, secs) in table {
            assert_eq!(delay_after(failures), Duration::from_secs(secs), "after {failures} failures");
        }
    }
}
