//! The SQL of [`EmailCodeStore`].

use std::time::Duration;

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::send_limit::Sent;
use crate::store::{CodeUse, EmailCodeStore};

macro_rules! impl_email_code_store {
    ($store:ty) => {
        #[async_trait]
        impl EmailCodeStore for $store {
            async fn issue_email_code(
                &self,
                user_id: i64,
                session_hash: &str,
                code_hash: &str,
                now: Timestamp,
                ttl: Duration,
            ) -> Result<Sent> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                if let Some(at) = Self::begin_limited_send(&mut tx, "email_codes", user_id, now).await? {
                    return Ok(Sent::NotBefore(at));
                }
                sqlx::query(
                    "INSERT INTO email_codes (user_id, session_hash, code_hash, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user_id)
                .bind(session_hash)
                .bind(code_hash)
                .bind(now.0)
                .bind(now.plus(ttl).0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Sent::Yes)
            }

            async fn use_email_code(&self, session_hash: &str, code_hash: &str, now: Timestamp) -> Result<CodeUse> {
                let used = sqlx::query(
                    "UPDATE email_codes SET used_at = $3 WHERE session_hash = $1 AND code_hash = $2 \
                     AND used_at IS NULL AND expires_at > $3",
                )
                .bind(session_hash)
                .bind(code_hash)
                .bind(now.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                if used.rows_affected() == 1 {
                    return Ok(CodeUse::Used);
                }
                let expired: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM email_codes WHERE session_hash = $1 AND code_hash = $2 \
                     AND used_at IS NULL AND expires_at <= $3",
                )
                .bind(session_hash)
                .bind(code_hash)
                .bind(now.0)
                .fetch_optional(&mut *self.writer.lend().await?)
                .await?;
                Ok(if expired.is_some() { CodeUse::Expired } else { CodeUse::Refused })
            }

            async fn email_code_expiry(&self, session_hash: &str, now: Timestamp) -> Result<Option<Timestamp>> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT MAX(expires_at) FROM email_codes WHERE session_hash = $1 AND used_at IS NULL \
                     AND expires_at > $2 HAVING COUNT(*) > 0",
                )
                .bind(session_hash)
                .bind(now.0)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.map(|(t,)| Timestamp(t)))
            }
        }
    };
}

impl_email_code_store!(SqliteStore);
impl_email_code_store!(PgStore);
