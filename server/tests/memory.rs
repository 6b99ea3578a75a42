//! Memory under a burst of sign-ins: each argon2 hash needs a 7 MiB block. The process must not
//! keep those blocks once the burst is over (the hasher keeps one per worker between hashes and
//! hands them back when quiet), and must not grow past a few blocks during it.
//! Alone in its own test binary, so nothing else moves the numbers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_server::password::PasswordHasher;

/// A line of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of KiB")
}

const MIB: u64 = 1024;
/// One argon2 block of today's parameters, m = 7168 KiB.
const BLOCK_MIB: u64 = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_sign_ins_leaves_no_hashing_memory_behind() {
    let workers = 2;
    let hasher = PasswordHasher::new(workers, 256);
    let stored = Arc::new(hasher.hash("plum tractor sings quietly tonight".into()).await.unwrap());
    quiet(&hasher).await;
    let idle = status_kib("VmRSS:");
    let mut peak = 0;
    for _round in 0..4 {
        let tasks: Vec<_> = (0..48)
            .map(|i| {
                let (hasher, stored) = (hasher.clone(), stored.clone());
                tokio::spawn(async move { hasher.verify(&format!("guess number {i}"), Some(&stored)).await })
            })
            .collect();
        for t in tasks {
            assert!(!t.await.unwrap().unwrap().ok);
        }
        peak = peak.max(status_kib("VmHWM:"));
    }
    quiet(&hasher).await;
    let after = status_kib("VmRSS:");
    eprintln!("idle {} KiB, peak {} KiB, after {} KiB", idle, peak, after);
    // During: the process as it was plus one block per hash running at once, with room for the
    // runtime's own churn.
    assert!(peak <= idle + (BLOCK_MIB * workers as u64 + 24) * MIB, "peak {peak} KiB from {idle} KiB idle");
    // After: back near where it started, not holding a block per thread that ever hashed.
    assert!(after <= idle + 8 * MIB, "{after} KiB after the burst, {idle} KiB before");
}

/// Waits until the hasher has handed its kept blocks back (it does within seconds of its last hash).
async fn quiet(hasher: &PasswordHasher) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while hasher.blocks_kept() > 0 {
        assert!(Instant::now() < deadline, "the hasher still keeps {} blocks", hasher.blocks_kept());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
