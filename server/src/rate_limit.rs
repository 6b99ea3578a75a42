//! Per-IP rate limiting of the sign-in endpoints: a token bucket per address. It blunts one
//! machine spraying many accounts; the per-account budget in the database covers the rest. Each
//! process keeps its buckets in memory as a first filter that costs no query; on PostgreSQL,
//! where several instances may share the database, the same bucket is also kept there
//! ([`crate::store::SharedLimitStore`]), so the limit holds across instances.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Timestamp;

#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Requests allowed in a burst.
    pub burst: u32,
    /// One more request allowed every `refill`.
    pub refill: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit { burst: 30, refill: Duration::from_secs(2) }
    }
}

/// Bounded: past this many addresses, idle (full) buckets are swept out.
const MAX_TRACKED: usize = 100_000;

pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Credit is kept in milliseconds of refill time, so the arithmetic is exact: a request costs
/// `refill`, and the bucket holds at most `burst * refill`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    credit_ms: i64,
    updated: Timestamp,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// The bucket's size and the cost of one request, in milliseconds of refill time.
    pub fn cap_and_cost_ms(&self) -> (i64, i64) {
        let cost = self.limit.refill.as_millis().max(1) as i64;
        (cost * i64::from(self.limit.burst.max(1)), cost)
    }

    /// Takes one request from `ip`'s bucket; `Err(wait)` says how long until one is allowed.
    pub fn check(&self, ip: IpAddr, now: Timestamp) -> Result<(), Duration> {
        let (cap, cost) = self.cap_and_cost_ms();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, b| b.credit_ms + (now.0 - b.updated.0) < cap);
        }
        let b = map.entry(ip).or_insert(Bucket { credit_ms: cap, updated: now });
        b.credit_ms = (b.credit_ms + (now.0 - b.updated.0).max(0)).min(cap);
        b.updated = now;
        if b.credit_ms >= cost {
            b.credit_ms -= cost;
            Ok(())
        } else {
            Err(Duration::from_millis((cost - b.credit_ms) as u64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill_per_address() {
        let rl = RateLimiter::new(RateLimit { burst: 3, refill: Duration::from_secs(2) });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t = Timestamp(10_000);
        for _ in 0..3 {
            assert!(rl.check(a, t).is_ok());
        }
        assert_eq!(rl.check(a, t), Err(Duration::from_secs(2)));
        assert!(rl.check(b, t).is_ok(), "another address has its own bucket");
        assert!(rl.check(a, Timestamp(11_999)).is_err());
        assert!(rl.check(a, Timestamp(12_000)).is_ok());
    }
}
