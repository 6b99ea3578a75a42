//! What Tessera counts for its operators, through the `metrics` facade: nothing is kept unless
//! the binary installs a recorder (`TESSERA_METRICS_ADDR`), so tests and the library pay nothing.
//! Every name is here, once; labels are fixed words, never a person's data (no address, no id).

use std::time::Duration;

pub const SIGN_INS: &str = "tessera_sign_in_attempts_total";
pub const SECOND_FACTORS: &str = "tessera_second_factor_checks_total";
pub const ENROLMENTS: &str = "tessera_mfa_enrolments_total";
pub const RESETS: &str = "tessera_mfa_resets_total";
pub const MAIL: &str = "tessera_mail_total";
pub const HASH_QUEUE: &str = "tessera_password_hash_queue";
pub const HASH_WAIT: &str = "tessera_password_hash_wait_seconds";
pub const DB_CONNECTIONS: &str = "tessera_db_connections_in_use";
pub const REQUESTS: &str = "tessera_http_request_duration_seconds";

/// Says what each metric means, for the exposition's `# HELP` lines.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        SIGN_INS,
        "Password steps of sign-in, by outcome: success, wrong_password (unknown accounts alike), locked (the account's failure budget is spent), throttled (too many from one address), shed (503: every hashing slot busy)"
    );
    describe_counter!(
        SECOND_FACTORS,
        "Second-factor checks at sign-in and step-up, by method (totp, recovery_code, email, access_code) and outcome (success, wrong, replayed, locked)"
    );
    describe_counter!(ENROLMENTS, "Authenticator apps confirmed");
    describe_counter!(RESETS, "MFA resets by administrators and operators");
    describe_counter!(MAIL, "Mail handed to the mail server, by outcome (sent, failed)");
    describe_gauge!(HASH_QUEUE, "Password hashes running or waiting for a slot");
    describe_histogram!(HASH_WAIT, Unit::Seconds, "Time a password hash waited for a slot");
    describe_gauge!(DB_CONNECTIONS, "Database connections in use");
    describe_histogram!(REQUESTS, Unit::Seconds, "Time to answer, by kind of route (page, server_fn, static, other)");
}

/// A password step of sign-in, by outcome (also one refused before it reached the rules, by the
/// per-address rate limit).
pub fn sign_in_outcome(outcome: &'static str) {
    metrics::counter!(SIGN_INS, "outcome" => outcome).increment(1);
}

/// A second-factor check, by method and outcome.
pub(crate) fn second_factor(method: &'static str, outcome: &'static str) {
    metrics::counter!(SECOND_FACTORS, "method" => method, "outcome" => outcome).increment(1);
}

pub(crate) fn enrolled() {
    metrics::counter!(ENROLMENTS).increment(1);
}

pub(crate) fn reset() {
    metrics::counter!(RESETS).increment(1);
}

pub(crate) fn mail(sent: bool) {
    metrics::counter!(MAIL, "outcome" => if sent { "sent" } else { "failed" }).increment(1);
}

pub(crate) fn hash_queue(depth: usize) {
    metrics::gauge!(HASH_QUEUE).set(depth as f64);
}

pub(crate) fn hash_wait(waited: Duration) {
    metrics::histogram!(HASH_WAIT).record(waited.as_secs_f64());
}

pub fn db_connections(in_use: usize) {
    metrics::gauge!(DB_CONNECTIONS).set(in_use as f64);
}

pub fn request(kind: &'static str, took: Duration) {
    metrics::histogram!(REQUESTS, "kind" => kind).record(took.as_secs_f64());
}
