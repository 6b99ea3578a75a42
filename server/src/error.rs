//! Errors of the server crate. The web layer maps them once to what a browser may see.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("the server is busy")]
    Busy,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Unique-constraint violations become a conflict the caller can explain; the rest stay.
    pub(crate) fn from_insert(e: sqlx::Error, what: &'static str) -> Error {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(what),
            _ => Error::Database(e),
        }
    }
}
