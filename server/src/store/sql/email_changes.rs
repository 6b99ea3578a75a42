//! The SQL of [`EmailChangeStore`].

use std::time::Duration;

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::canonical_email;
use crate::send_limit::Sent;
use crate::store::{EmailChangeStore, EmailChanged};

macro_rules! impl_email_change_store {
    ($store:ty) => {
        #[async_trait]
        impl EmailChangeStore for $store {
            async fn request_email_change(
                &self,
                user_id: i64,
                token_hash: &str,
                new_email: &str,
                now: Timestamp,
                ttl: Duration,
            ) -> Result<Sent> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                if let Some(at) = Self::begin_limited_send(&mut tx, "email_changes", user_id, now).await? {
                    return Ok(Sent::NotBefore(at));
                }
                sqlx::query(
                    "INSERT INTO email_changes (user_id, token_hash, new_email, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user_id)
                .bind(token_hash)
                .bind(new_email)
                .bind(now.0)
                .bind(now.plus(ttl).0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Sent::Yes)
            }

            async fn pending_email_change(&self, token_hash: &str, now: Timestamp) -> Result<Option<(i64, String)>> {
                Ok(sqlx::query_as(
                    "SELECT user_id, new_email FROM email_changes \
                     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(now.0)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?)
            }

            async fn confirm_email_change(&self, token_hash: &str, now: Timestamp) -> Result<EmailChanged> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let used: Option<(i64, String)> = sqlx::query_as(
                    "UPDATE email_changes SET used_at = $2 \
                     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id, new_email",
                )
                .bind(token_hash)
                .bind(now.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((user_id, new_email)) = used else { return Ok(EmailChanged::Invalid) };
                let (old_email,): (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let canonical = canonical_email(&new_email);
                let taken: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM users WHERE email_canonical = $1 AND id <> $2")
                        .bind(&canonical)
                        .bind(user_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if taken.is_some() {
                    tx.commit().await?;
                    return Ok(EmailChanged::Taken { user_id, new_email });
                }
                let moved = sqlx::query(
                    "UPDATE users SET email = $2, email_canonical = $3, updated_at = $4 WHERE id = $1",
                )
                .bind(user_id)
                .bind(&new_email)
                .bind(&canonical)
                .bind(now.0)
                .execute(&mut *tx)
                .await;
                match moved.map_err(|e| Error::from_insert(e, "email address")) {
                    Ok(_) => {}
                    // Taken by another account in the same moment.
                    Err(Error::Conflict(_)) => return Ok(EmailChanged::Taken { user_id, new_email }),
                    Err(e) => return Err(e),
                }
                // Whatever was mailed to the old address stops working.
                sqlx::query(
                    "UPDATE one_time_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL \
                     AND purpose IN ('set_password', 'reset_password')",
                )
                .bind(user_id)
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE email_codes SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
                    .bind(user_id)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(EmailChanged::Changed { user_id, old_email, new_email })
            }
        }
    };
}

impl_email_change_store!(SqliteStore);
impl_email_change_store!(PgStore);
