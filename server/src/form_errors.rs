//! How a form's input is refused: per field, for people, or worded for the command line.

use crate::error::Error;
use crate::model::Problem;

/// Problems with what a person typed, per field (named as the form names it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, Problem)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<Problem> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, p)| *p)
    }

    pub(crate) fn push(&mut self, field: &'static str, problem: Problem) {
        self.0.push((field, problem));
    }

    pub(crate) fn one(field: &'static str, problem: Problem) -> FieldErrors {
        FieldErrors(vec![(field, problem)])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An operator's input that the rules refuse, worded for the command line.
pub(crate) fn invalid(what: &str, problem: Problem) -> Error {
    Error::Invalid(format!("{what} {problem}"))
}

/// A form that failed, or could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The one-time link is unknown, used or expired.
    #[error("the link is no longer valid")]
    LinkInvalid,
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Internal(Error),
}

impl From<Error> for FormError {
    fn from(e: Error) -> Self {
        match e {
            Error::Busy => FormError::Busy,
            other => FormError::Internal(other),
        }
    }
}
