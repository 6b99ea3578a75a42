//! The per-account failure budget: a few free tries, then a growing wait between tries, capped so
//! an attacker can never lock a real user out for good. A waiting account answers exactly like a
//! wrong password, so the budget reveals nothing either.

use std::time::Duration;

/// Failures allowed before any delay.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait between two tries.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

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
    fn schedule_is_free_then_doubling_then_capped() {
        let table = [(0, 0), (1, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (14, 512), (15, 900), (1000, 900)];
        for (failures, secs) in table {
            assert_eq!(delay_after(failures), Duration::from_secs(secs), "after {failures} failures");
        }
    }
}
