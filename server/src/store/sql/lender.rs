//! The connections statements run on, lent for one statement or one transaction at a time.
//!
//! SQLite: sqlx's pool tests each connection on its way back with a ping, and sqlx runs each
//! SQLite connection on a thread of its own, so every statement cost a second hand-off to that
//! thread and back (two thread switches, about a tenth of a signed-in page's server time). A
//! connection to a local file cannot hang up, so [`Lender`] lends them and takes them back as
//! they are. A statement cut short (its request went away) leaves its connection in order: the
//! connection's thread finishes or rolls back what was sent before it takes the next command.
//!
//! PostgreSQL: a connection can break (a server restart, a proxy), so [`PgLender`] keeps sqlx's
//! pool and its checks.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a statement waits for a connection before it fails (sqlx's pool's default too).
const WAIT_AT_MOST: Duration = Duration::from_secs(30);

/// A connection idle this long is pinged before it is lent again, and replaced if it does not
/// answer (its thread stopped: a bug in sqlx, since a file cannot hang up). One in steady use
/// is not, as the ping is what this module saves.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(10);

/// Up to `size` SQLite connections, opened when first needed and kept.
pub(super) struct Lender {
    options: SqliteConnectOptions,
    /// With the time each was given back.
    idle: Mutex<Vec<(SqliteConnection, Instant)>>,
    /// One per connection, idle or lent; waiting here is first come, first served.
    permits: Semaphore,
    size: usize,
}

/// A connection lent by a [`Lender`]: back to it when dropped.
pub(super) struct Lent<'a> {
    conn: Option<SqliteConnection>,
    lender: &'a Lender,
    // Dropped after `drop` has put the connection back, so a permit never finds none idle.
    _permit: SemaphorePermit<'a>,
}

impl Lender {
    pub(super) fn new(options: SqliteConnectOptions, size: usize) -> Lender {
        Lender { options, idle: Mutex::new(Vec::with_capacity(size)), permits: Semaphore::new(size), size }
    }

    pub(super) async fn lend(&self) -> Result<Lent<'_>, sqlx::Error> {
        let permit = tokio::time::timeout(WAIT_AT_MOST, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some((mut conn, since)) if since.elapsed() >= CHECK_IDLE_AFTER => match conn.ping().await {
                Ok(()) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "a database connection stopped answering; opening another");
                    self.options.connect().await?
                }
            },
            Some((conn, _)) => conn,
            None => self.options.connect().await?,
        };
        Ok(Lent { conn: Some(conn), lender: self, _permit: permit })
    }

    /// Connections lent out now.
    pub(super) fn lent(&self) -> usize {
        self.size - self.permits.available_permits()
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.lender.idle.lock().unwrap_or_else(|e| e.into_inner()).push((conn, Instant::now()));
        }
    }
}

impl Deref for Lent<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn.as_ref().expect("lent until dropped")
    }
}

impl DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("lent until dropped")
    }
}

/// sqlx's PostgreSQL pool, lending as [`Lender`] does.
#[derive(Clone)]
pub(super) struct PgLender(pub(super) sqlx::PgPool);

impl PgLender {
    pub(super) async fn lend(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, sqlx::Error> {
        self.0.acquire().await
    }

    /// Connections lent out now.
    pub(super) fn lent(&self) -> usize {
        (self.0.size() as usize).saturating_sub(self.0.num_idle())
    }
}
