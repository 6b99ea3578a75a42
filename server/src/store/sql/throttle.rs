//! The SQL of [`ThrottleStore`]: the per-account failure budget.

use std::time::Duration;

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::{Budget, SharedLimitStore, ThrottleAttempt, ThrottleStore};

macro_rules! impl_throttle_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Gives back one attempt (see [`ThrottleStore::throttle_refund`]), in a transaction
            /// of another area or on its own.
            pub(super) async fn refund_budget_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                account_key: &str,
                attempt: &ThrottleAttempt,
            ) -> Result<()> {
                // Undo the wait this attempt set, unless a later attempt has set its own since.
                let restored = sqlx::query(
                    "UPDATE signin_throttle SET failures = failures - 1, blocked_until = $2 \
                     WHERE account_key = $1 AND failures = $3 AND blocked_until = $4",
                )
                .bind(account_key)
                .bind(attempt.previous_blocked_until.0)
                .bind(attempt.failures)
                .bind(attempt.blocked_until.0)
                .execute(&mut **tx)
                .await?;
                if restored.rows_affected() == 0 {
                    sqlx::query("UPDATE signin_throttle SET failures = failures - 1 WHERE account_key = $1 AND failures > 0")
                        .bind(account_key)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// Until when the account waits out its failure budget, if it does now; the row is
            /// locked (PostgreSQL) or the only writer held (SQLite) until `tx` ends, so no
            /// parallel attempt changes the answer meanwhile.
            pub(super) async fn waiting_until_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                account_key: &str,
                now: Timestamp,
            ) -> Result<Option<Timestamp>> {
                // An UPDATE that changes nothing, for the lock a plain read would not take.
                let row: Option<(i64,)> = sqlx::query_as(
                    "UPDATE signin_throttle SET blocked_until = blocked_until WHERE account_key = $1 \
                     RETURNING blocked_until",
                )
                .bind(account_key)
                .fetch_optional(&mut **tx)
                .await?;
                Ok(row.map(|(until,)| Timestamp(until)).filter(|until| *until > now))
            }

            pub(super) async fn clear_budget_in<'e, E: sqlx::Executor<'e, Database = $db>>(
                e: E,
                account_key: &str,
                now: Timestamp,
            ) -> Result<()> {
                sqlx::query("UPDATE signin_throttle SET failures = 0, blocked_until = 0, updated_at = $2 WHERE account_key = $1")
                    .bind(account_key)
                    .bind(now.0)
                    .execute(e)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl ThrottleStore for $store {
            async fn throttle_take(&self, account_key: &str, now: Timestamp, delay_after: fn(i64) -> Duration) -> Result<Budget> {
                // One transaction: the conditional UPDATE locks the row (PostgreSQL) or holds the
                // only writer (SQLite), so concurrent attempts are counted one by one.
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                // A first try makes the row with its one failure; a later one counts only where
                // the account is not waiting (no row comes back otherwise).
                let taken: Option<(i64, i64)> = sqlx::query_as(
                    "INSERT INTO signin_throttle (account_key, failures, blocked_until, updated_at) VALUES ($1, 1, 0, $2) \
                     ON CONFLICT (account_key) DO UPDATE SET failures = signin_throttle.failures + 1, updated_at = $2 \
                     WHERE signin_throttle.blocked_until <= $2 RETURNING failures, blocked_until",
                )
                .bind(account_key)
                .bind(now.0)
                .fetch_optional(&mut *tx)
                .await?;
                let budget = match taken {
                    None => {
                        let (until,): (i64,) = sqlx::query_as("SELECT blocked_until FROM signin_throttle WHERE account_key = $1")
                            .bind(account_key)
                            .fetch_one(&mut *tx)
                            .await?;
                        Budget::Waiting { until: Timestamp(until) }
                    }
                    Some((failures, previous)) => {
                        // A free try sets no wait of its own: "until now" would hold back a
                        // parallel try whose clock read a moment earlier (another request, or
                        // another instance), as if the account were waiting. It keeps the
                        // previous wait, so there is nothing to write.
                        let delay = delay_after(failures);
                        let blocked_until = if delay.is_zero() { Timestamp(previous) } else { now.plus(delay) };
                        if !delay.is_zero() {
                            sqlx::query("UPDATE signin_throttle SET blocked_until = $2 WHERE account_key = $1")
                                .bind(account_key)
                                .bind(blocked_until.0)
                                .execute(&mut *tx)
                                .await?;
                        }
                        Budget::Taken(ThrottleAttempt { failures, previous_blocked_until: Timestamp(previous), blocked_until })
                    }
                };
                tx.commit().await?;
                Ok(budget)
            }

            async fn throttle_refund(&self, account_key: &str, attempt: &ThrottleAttempt) -> Result<()> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                Self::refund_budget_in(&mut tx, account_key, attempt).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn throttle_clear(&self, account_key: &str, now: Timestamp) -> Result<()> {
                Self::clear_budget_in(&mut *self.writer.lend().await?, account_key, now).await
            }
        }
    };
}

impl_throttle_store!(SqliteStore, sqlx::Sqlite);
impl_throttle_store!(PgStore, sqlx::Postgres);

/// One process serves a SQLite database, so its in-memory buckets are the whole limit; keeping
/// them here would add a durable commit (an fsync) to every sign-in request.
#[async_trait]
impl SharedLimitStore for SqliteStore {
    async fn take_shared_credit(&self, _: &str, _: Timestamp, _: i64, _: i64) -> Result<Option<Duration>> {
        Ok(None)
    }

    async fn purge_shared_credit(&self, _: Timestamp) -> Result<()> {
        Ok(())
    }
}

/// Several instances share a PostgreSQL database: the bucket is one row, taken from by one
/// conditional upsert (the row lock orders concurrent requests). A limit is not worth an fsync:
/// the transaction commits without waiting for its WAL to reach the disk (a crash may forget the
/// last few hundred milliseconds of spending, never a code or a session).
#[async_trait]
impl SharedLimitStore for PgStore {
    async fn take_shared_credit(
        &self,
        bucket: &str,
        now: Timestamp,
        cap_ms: i64,
        cost_ms: i64,
    ) -> Result<Option<Duration>> {
        let mut lent = self.writer.lend().await?;
        let mut tx = sqlx::Connection::begin(&mut *lent).await?;
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        let taken: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO shared_limits AS l (bucket, credit_ms, updated_at) VALUES ($1, $3 - $4, $2) \
             ON CONFLICT (bucket) DO UPDATE SET \
               credit_ms = LEAST($3, l.credit_ms + GREATEST(0, $2 - l.updated_at)) - $4, \
               updated_at = GREATEST(l.updated_at, $2) \
             WHERE LEAST($3, l.credit_ms + GREATEST(0, $2 - l.updated_at)) >= $4 \
             RETURNING credit_ms",
        )
        .bind(bucket)
        .bind(now.0)
        .bind(cap_ms)
        .bind(cost_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let wait = match taken {
            Some(_) => None,
            None => {
                let (credit,): (i64,) = sqlx::query_as(
                    "SELECT LEAST($3, credit_ms + GREATEST(0, $2 - updated_at)) FROM shared_limits WHERE bucket = $1",
                )
                .bind(bucket)
                .bind(now.0)
                .bind(cap_ms)
                .fetch_one(&mut *tx)
                .await?;
                Some(Duration::from_millis((cost_ms - credit).max(1) as u64))
            }
        };
        tx.commit().await?;
        Ok(wait)
    }

    async fn purge_shared_credit(&self, before: Timestamp) -> Result<()> {
        sqlx::query("DELETE FROM shared_limits WHERE updated_at < $1")
            .bind(before.0)
            .execute(&mut *self.writer.lend().await?)
            .await?;
        Ok(())
    }
}
