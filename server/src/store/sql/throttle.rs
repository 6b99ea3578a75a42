//! The SQL of [`ThrottleStore`]: the per-account failure budget.

use std::time::Duration;

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::{Budget, ThrottleAttempt, ThrottleStore};

macro_rules! impl_throttle_store {
    ($store:ty) => {
        #[async_trait]
        impl ThrottleStore for $store {
            async fn throttle_take(&self, account_key: &str, now: Timestamp, delay_after: fn(i64) -> Duration) -> Result<Budget> {
                // One transaction: the conditional UPDATE locks the row (PostgreSQL) or holds the
                // only writer (SQLite), so concurrent attempts are counted one by one.
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "INSERT INTO signin_throttle (account_key, failures, blocked_until, updated_at) VALUES ($1, 0, 0, $2) \
                     ON CONFLICT (account_key) DO NOTHING",
                )
                .bind(account_key)
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
                let taken: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE signin_throttle SET failures = failures + 1, updated_at = $2 \
                     WHERE account_key = $1 AND blocked_until <= $2 RETURNING failures, blocked_until",
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
                        let blocked_until = now.plus(delay_after(failures));
                        sqlx::query("UPDATE signin_throttle SET blocked_until = $2 WHERE account_key = $1")
                            .bind(account_key)
                            .bind(blocked_until.0)
                            .execute(&mut *tx)
                            .await?;
                        Budget::Taken(ThrottleAttempt { failures, previous_blocked_until: Timestamp(previous), blocked_until })
                    }
                };
                tx.commit().await?;
                Ok(budget)
            }

            async fn throttle_refund(&self, account_key: &str, attempt: &ThrottleAttempt) -> Result<()> {
                // Undo the wait this attempt set, unless a later attempt has set its own since.
                let mut tx = self.writer.begin().await?;
                let restored = sqlx::query(
                    "UPDATE signin_throttle SET failures = failures - 1, blocked_until = $2 \
                     WHERE account_key = $1 AND failures = $3 AND blocked_until = $4",
                )
                .bind(account_key)
                .bind(attempt.previous_blocked_until.0)
                .bind(attempt.failures)
                .bind(attempt.blocked_until.0)
                .execute(&mut *tx)
                .await?;
                if restored.rows_affected() == 0 {
                    sqlx::query("UPDATE signin_throttle SET failures = failures - 1 WHERE account_key = $1 AND failures > 0")
                        .bind(account_key)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn throttle_clear(&self, account_key: &str, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE signin_throttle SET failures = 0, blocked_until = 0, updated_at = $2 WHERE account_key = $1")
                    .bind(account_key)
                    .bind(now.0)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }
        }
    };
}

impl_throttle_store!(SqliteStore);
impl_throttle_store!(PgStore);
