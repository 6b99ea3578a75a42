//! The SQL of [`MfaStore`]: authenticators, pending enrolments and recovery codes.

use std::time::Duration;

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::{CodesToShow, MfaStore, TotpCredential};

macro_rules! impl_mfa_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Takes the authenticator's time step `step` for `user_id` unless it or a later one
            /// was taken: `false` then (a replay, or a parallel request first).
            pub(super) async fn consume_totp_step_in<'e, E: sqlx::Executor<'e, Database = $db>>(
                e: E,
                user_id: i64,
                step: i64,
            ) -> Result<bool> {
                let r = sqlx::query("UPDATE totp_credentials SET last_used_step = $2 WHERE user_id = $1 AND last_used_step < $2")
                    .bind(user_id)
                    .bind(step)
                    .execute(e)
                    .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn put_recovery_codes(tx: &mut sqlx::Transaction<'_, $db>, user_id: i64, hashes: &[String], now: Timestamp) -> Result<()> {
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
                for h in hashes {
                    sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
                        .bind(user_id)
                        .bind(h)
                        .bind(now.0)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl MfaStore for $store {
            async fn totp_credential(&self, user_id: i64) -> Result<Option<TotpCredential>> {
                let row: Option<(String, i64, i64)> = sqlx::query_as(
                    "SELECT secret_sealed, enabled_at, last_used_step FROM totp_credentials WHERE user_id = $1",
                )
                .bind(user_id)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.map(|(secret_sealed, enabled_at, last_used_step)| TotpCredential {
                    secret_sealed,
                    enabled_at: Timestamp(enabled_at),
                    last_used_step,
                }))
            }

            async fn put_pending_totp(&self, user_id: i64, sealed: &str, now: Timestamp, ttl: Duration) -> Result<()> {
                sqlx::query(
                    "INSERT INTO totp_pending (user_id, secret_sealed, created_at, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
                     created_at = excluded.created_at, expires_at = excluded.expires_at",
                )
                .bind(user_id)
                .bind(sealed)
                .bind(now.0)
                .bind(now.plus(ttl).0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(())
            }

            async fn pending_totp(&self, user_id: i64, now: Timestamp) -> Result<Option<String>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT secret_sealed FROM totp_pending WHERE user_id = $1 AND expires_at > $2")
                        .bind(user_id)
                        .bind(now.0)
                        .fetch_optional(&mut *self.reader.lend().await?)
                        .await?;
                Ok(row.map(|(s,)| s))
            }

            async fn confirm_totp(&self, user_id: i64, sealed: &str, step: i64, recovery_hashes: &[String], now: Timestamp) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let taken = sqlx::query("DELETE FROM totp_pending WHERE user_id = $1 AND secret_sealed = $2 AND expires_at > $3")
                    .bind(user_id)
                    .bind(sealed)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                if taken.rows_affected() != 1 {
                    return Ok(false);
                }
                // A reset keeps the original enabled_at; the old secret dies with this update.
                sqlx::query(
                    "INSERT INTO totp_credentials (user_id, secret_sealed, enabled_at, last_used_step) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_used_step = excluded.last_used_step",
                )
                .bind(user_id)
                .bind(sealed)
                .bind(now.0)
                .bind(step)
                .execute(&mut *tx)
                .await?;
                if !recovery_hashes.is_empty() {
                    Self::put_recovery_codes(&mut tx, user_id, recovery_hashes, now).await?;
                }
                // An administrator's hold ends once the person has an authenticator again.
                sqlx::query("DELETE FROM access_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn consume_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
                Self::consume_totp_step_in(&mut *self.writer.lend().await?, user_id, step).await
            }

            async fn consume_recovery_code(&self, user_id: i64, code_hash: &str, now: Timestamp) -> Result<bool> {
                let r = sqlx::query(
                    "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                )
                .bind(user_id)
                .bind(code_hash)
                .bind(now.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn recovery_codes_left(&self, user_id: i64) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
                    .bind(user_id)
                    .fetch_one(&mut *self.reader.lend().await?)
                    .await?;
                Ok(n)
            }

            async fn replace_recovery_codes(&self, user_id: i64, hashes: &[String], now: Timestamp) -> Result<()> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                Self::put_recovery_codes(&mut tx, user_id, hashes, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn disable_mfa(&self, user_id: i64) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let had = sqlx::query("DELETE FROM totp_credentials WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM totp_pending WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(had.rows_affected() == 1)
            }

            async fn put_codes_to_show(&self, session_hash: &str, codes: &CodesToShow, expires_at: Timestamp) -> Result<()> {
                sqlx::query(
                    "INSERT INTO codes_to_show (session_hash, regenerated, codes_sealed, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (session_hash) DO UPDATE SET regenerated = excluded.regenerated, \
                     codes_sealed = excluded.codes_sealed, expires_at = excluded.expires_at",
                )
                .bind(session_hash)
                .bind(codes.regenerated)
                .bind(&codes.codes_sealed)
                .bind(expires_at.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(())
            }

            async fn take_codes_to_show(&self, session_hash: &str, now: Timestamp) -> Result<Option<CodesToShow>> {
                // Expired or not, the row goes; only a live one is returned.
                let row: Option<(String, bool, i64)> = sqlx::query_as(
                    "DELETE FROM codes_to_show WHERE session_hash = $1 RETURNING codes_sealed, regenerated, expires_at",
                )
                .bind(session_hash)
                .fetch_optional(&mut *self.writer.lend().await?)
                .await?;
                Ok(row.filter(|(_, _, expires_at)| *expires_at > now.0).map(|(codes_sealed, regenerated, _)| CodesToShow { codes_sealed, regenerated }))
            }
        }
    };
}

impl_mfa_store!(SqliteStore, sqlx::Sqlite);
impl_mfa_store!(PgStore, sqlx::Postgres);
