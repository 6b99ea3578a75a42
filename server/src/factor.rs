//! The second factors a person proves, and how proving a code can fail: shared by sign-in,
//! step-up, enrolment and the emailed codes.

use std::time::Duration;

use crate::error::Error;
use crate::roles::Refusal;

/// Which second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    RecoveryCode {
        left: i64,
    },
    /// A code mailed to the account's address (only for people without an authenticator app).
    EmailCode,
    /// A temporary access code from an administrator: not a second factor, only the way through
    /// to enrolment for an account an MFA reset holds.
    AccessCode,
}

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// Wrong, expired or malformed: all answered alike.
    #[error("that code did not work")]
    Invalid,
    /// A right code whose time step was already used (or passed by a newer code). Only someone
    /// who had the right code can get this answer, so it tells a guesser nothing; it tells the
    /// person why and what to do: wait for the next code.
    #[error("that code was already used")]
    Replayed,
    /// The account's failure budget is spent: try again after this long. The person already
    /// proved their password (or is signed in), so saying so reveals nothing.
    #[error("too many attempts")]
    Waiting(Duration),
    /// Nothing to check against (no authenticator, or no pending enrolment).
    #[error("no authenticator to check against")]
    NotApplicable,
    /// The action needs a fresh second factor first.
    #[error("step-up required")]
    StepUpRequired,
    /// A mailed code that ran out of time: ask for a new one.
    #[error("that code has expired")]
    Expired,
    /// A new code by mail may be asked for after this long (one a minute, five an hour).
    #[error("a new code can be sent later")]
    TooSoon(Duration),
    /// The rules do not allow it.
    #[error("{}", .0.message())]
    NotAllowed(Refusal),
    #[error(transparent)]
    Internal(#[from] Error),
}

/// Counts a second-factor check for the operators; `tried` names the method when the check
/// failed (which factor it was is known only on success).
pub(crate) fn count(tried: &'static str, result: Result<&Factor, &CodeError>) {
    let (method, outcome) = match result {
        Ok(Factor::Totp) => ("totp", "success"),
        Ok(Factor::RecoveryCode { .. }) => ("recovery_code", "success"),
        Ok(Factor::EmailCode) => ("email", "success"),
        Ok(Factor::AccessCode) => ("access_code", "success"),
        Err(CodeError::Invalid | CodeError::Expired) => (tried, "wrong"),
        Err(CodeError::Replayed) => (tried, "replayed"),
        Err(CodeError::Waiting(_)) => (tried, "locked"),
        Err(_) => return,
    };
    crate::telemetry::second_factor(method, outcome);
}
