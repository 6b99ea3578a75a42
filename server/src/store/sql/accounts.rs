//! The SQL of [`AccountStore`]: users and their credentials.

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{NewUser, UserCredentials};
use crate::store::{AccountStore, AuditEvent, NewSession, TokenPurpose};

const INSERT_USER: &str =
    "INSERT INTO users (email, email_canonical, display_name, password_hash, disabled, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, FALSE, $5, $5) RETURNING id";

macro_rules! impl_account_store {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(super) async fn insert_user(
                tx: &mut sqlx::Transaction<'_, $db>,
                user: &NewUser,
                now: Timestamp,
            ) -> Result<i64> {
                let (id,): (i64,) = sqlx::query_as(INSERT_USER)
                    .bind(&user.email.display)
                    .bind(&user.email.canonical)
                    .bind(&user.display_name)
                    .bind(user.password_hash.as_deref())
                    .bind(now.0)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(|e| Error::from_insert(e, "an account with that email"))?;
                Ok(id)
            }

            pub(super) async fn record_sign_in_in<'e, E: sqlx::Executor<'e, Database = $db>>(
                e: E,
                user_id: i64,
                now: Timestamp,
            ) -> Result<()> {
                sqlx::query("UPDATE users SET last_sign_in_at = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(now.0)
                    .execute(e)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl AccountStore for $store {
            async fn credentials_by_email(&self, canonical_email: &str) -> Result<Option<UserCredentials>> {
                let row: Option<(i64, Option<String>, bool, bool, bool)> = sqlx::query_as(
                    "SELECT u.id, u.password_hash, u.disabled, \
                            EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id), \
                            EXISTS (SELECT 1 FROM access_codes a WHERE a.user_id = u.id) \
                     FROM users u WHERE u.email_canonical = $1",
                )
                .bind(canonical_email)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.map(|(user_id, password_hash, disabled, has_mfa, held)| UserCredentials {
                    user_id,
                    password_hash,
                    disabled,
                    factors: crate::model::Factors { has_mfa, held },
                }))
            }

            async fn set_password_hash(&self, user_id: i64, hash: &str, now: Timestamp) -> Result<()> {
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(now.0)
                    .bind(user_id)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(())
            }

            async fn change_password(
                &self,
                user_id: i64,
                hash: &str,
                old_session: &str,
                new: &NewSession,
                event: &AuditEvent,
                now: Timestamp,
            ) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let gone = sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND user_id = $2")
                    .bind(old_session)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                if gone.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query(
                    "UPDATE users SET password_hash = $1, updated_at = $2, password_changed_at = $2, \
                     password_prompt_pending = TRUE WHERE id = $3",
                )
                .bind(hash)
                .bind(now.0)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                // This session's row is gone already: every row left is another session.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                Self::revoke_grants_in(&mut *tx, user_id, now).await?;
                Self::revoke_tokens_in(&mut *tx, TokenPurpose::ResetPassword, Some(user_id), now).await?;
                Self::insert_session(&mut *tx, new, now).await?;
                Self::insert_audit(&mut *tx, event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn password_prompt_pending(&self, user_id: i64) -> Result<bool> {
                let row: Option<(bool,)> = sqlx::query_as("SELECT password_prompt_pending FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(&mut *self.reader.lend().await?)
                    .await?;
                Ok(row.is_some_and(|(p,)| p))
            }

            async fn set_password_prompt(&self, user_id: i64, pending: bool) -> Result<bool> {
                // Conditional, so of two answers at once only one changes anything.
                let r = sqlx::query(
                    "UPDATE users SET password_prompt_pending = $2 WHERE id = $1 AND password_prompt_pending <> $2",
                )
                .bind(user_id)
                .bind(pending)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(r.rows_affected() == 1)
            }
        }
    };
}

impl_account_store!(SqliteStore, sqlx::Sqlite);
impl_account_store!(PgStore, sqlx::Postgres);
