//! The connections statements run on, lent for one statement or one transaction at a time.
//!
//! SQLite: sqlx's pool tests each connection on its way back with a ping, and sqlx runs each
//! SQLite connection on a thread of its own, so every statement cost a second hand-off to that
//! thread and back (two thread switches; a fifth of a signed-in page's server time). A
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
        // A timer only when there is a wait: most statements find a connection free.
        let permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            Err(_) => tokio::time::timeout(WAIT_AT_MOST, self.permits.acquire())
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)?
                .map_err(|_| sqlx::Error::PoolClosed)?,
        };
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

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::Connection;

    use super::*;

    async fn lender(dir: &tempfile::TempDir, size: usize) -> Lender {
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let options = SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        Lender::new(options, size)
    }

    #[tokio::test]
    async fn connections_are_opened_once_and_lent_again() {
        let dir = tempfile::tempdir().unwrap();
        let lender = lender(&dir, 2).await;
        // A temporary table lives only on the connection that made it: seen again, it is the
        // same connection.
        sqlx::query("CREATE TEMP TABLE mine (x INTEGER)").execute(&mut *lender.lend().await.unwrap()).await.unwrap();
        assert_eq!(lender.lent(), 0, "given back when dropped");
        let (mut one, mut two) = (lender.lend().await.unwrap(), lender.lend().await.unwrap());
        assert_eq!(lender.lent(), 2);
        let mut has_it = 0;
        for c in [&mut one, &mut two] {
            let q = "SELECT COUNT(*) FROM sqlite_temp_master WHERE name = 'mine'";
            has_it += sqlx::query_scalar::<_, i64>(q).fetch_one(&mut **c).await.unwrap();
        }
        assert_eq!(has_it, 1, "one of the two is the first, lent again");
        // A third waits for one of them.
        let third = tokio::time::timeout(Duration::from_millis(100), lender.lend()).await;
        assert!(third.is_err(), "no more than two are lent at once");
        drop(one);
        assert!(tokio::time::timeout(Duration::from_secs(5), lender.lend()).await.is_ok());
    }

    #[tokio::test]
    async fn a_transaction_dropped_unfinished_is_rolled_back_before_the_connection_is_used_again() {
        let dir = tempfile::tempdir().unwrap();
        let lender = lender(&dir, 1).await;
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&mut *lender.lend().await.unwrap()).await.unwrap();
        {
            let mut lent = lender.lend().await.unwrap();
            let mut tx = lent.begin().await.unwrap();
            sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *tx).await.unwrap();
            // Dropped here, as when a request goes away mid-transaction.
        }
        let mut lent = lender.lend().await.unwrap();
        let mut tx = lent.begin().await.expect("not still inside the dropped transaction");
        sqlx::query("INSERT INTO t VALUES (2)").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t").fetch_all(&mut *lent).await.unwrap();
        assert_eq!(rows, [2]);
    }
}
