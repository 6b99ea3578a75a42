//! The SQL of [`TokenStore`]: one-time links, and the changes made in the transaction that uses one.

use std::time::Duration;

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::NewUser;
use crate::send_limit::{self, Recent, Sent};
use crate::store::{LinkRecord, NewOrganisation, TokenPurpose, TokenStore, ValidToken};

fn purpose_from(s: &str) -> Result<TokenPurpose> {
    match s {
        "setup" => Ok(TokenPurpose::Setup),
        "set_password" => Ok(TokenPurpose::SetPassword),
        "reset_password" => Ok(TokenPurpose::ResetPassword),
        other => Err(Error::Database(sqlx::Error::Decode(format!("unknown token purpose {other}").into()))),
    }
}

const USE_TOKEN: &str = "UPDATE one_time_tokens SET used_at = $3 \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id";

macro_rules! impl_token_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Kills every unused link of `purpose` (of `user_id`, or everyone's), in a
            /// transaction of another area or on its own.
            pub(super) async fn revoke_tokens_in<'e, E: sqlx::Executor<'e, Database = $db>>(
                e: E,
                purpose: TokenPurpose,
                user_id: Option<i64>,
                now: Timestamp,
            ) -> Result<u64> {
                let r = sqlx::query(
                    "UPDATE one_time_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL \
                     AND ($3 IS NULL OR user_id = $3)",
                )
                .bind(now.0)
                .bind(purpose.as_str())
                .bind(user_id)
                .execute(e)
                .await?;
                Ok(r.rows_affected())
            }

            /// A write first in a transaction: it locks the account's row (PostgreSQL) or the
            /// database (SQLite) until commit, so a second request for the same account waits,
            /// then sees what the first one wrote.
            pub(super) async fn lock_account(tx: &mut sqlx::Transaction<'_, $db>, user_id: i64) -> Result<()> {
                sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// The start of sending one more row of `table` (`email_codes` or `email_changes`, whose
            /// rows die by `used_at`) to `user_id`: locks the account, and unless
            /// [`send_limit`] refuses, given the rows the account got in the hour, kills its unused
            /// ones. `Some(at)`: not before then, and nothing changed.
            pub(super) async fn begin_limited_send(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &'static str,
                user_id: i64,
                now: Timestamp,
            ) -> Result<Option<Timestamp>> {
                Self::lock_account(tx, user_id).await?;
                let count = format!(
                    "SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM {table} WHERE user_id = $1 AND created_at > $2"
                );
                let recent = Self::recent_sends(
                    tx,
                    sqlx::query_as(&count).bind(user_id).bind(send_limit::window_start(now).0),
                )
                .await?;
                if let Some(at) = send_limit::next_allowed(recent, now) {
                    return Ok(Some(at));
                }
                sqlx::query(&format!("UPDATE {table} SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL"))
                    .bind(now.0)
                    .bind(user_id)
                    .execute(&mut **tx)
                    .await?;
                Ok(None)
            }

            /// What the account was sent in the window, as `query` selects it: the count, the
            /// oldest and the newest.
            pub(super) async fn recent_sends<'q>(
                tx: &mut sqlx::Transaction<'_, $db>,
                query: sqlx::query::QueryAs<
                    'q,
                    $db,
                    (i64, Option<i64>, Option<i64>),
                    <$db as sqlx::Database>::Arguments<'q>,
                >,
            ) -> Result<Recent> {
                let (count, oldest, newest) = query.fetch_one(&mut **tx).await?;
                Ok(Recent {
                    count: u32::try_from(count).unwrap_or(u32::MAX),
                    oldest: oldest.map(Timestamp),
                    newest: newest.map(Timestamp),
                })
            }
        }

        #[async_trait]
        impl TokenStore for $store {
            async fn create_token(
                &self,
                token_hash: &str,
                purpose: TokenPurpose,
                user_id: Option<i64>,
                issued_by: Option<i64>,
                now: Timestamp,
                ttl: Duration,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO one_time_tokens (token_hash, purpose, user_id, issued_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(user_id)
                .bind(issued_by)
                .bind(now.0)
                .bind(now.plus(ttl).0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(())
            }

            async fn revoke_tokens(&self, purpose: TokenPurpose, user_id: Option<i64>, now: Timestamp) -> Result<u64> {
                Self::revoke_tokens_in(&mut *self.writer.lend().await?, purpose, user_id, now).await
            }

            async fn link_record(&self, token_hash: &str, purpose: TokenPurpose) -> Result<Option<LinkRecord>> {
                let row: Option<(Option<i64>, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT user_id, expires_at, used_at, issued_by FROM one_time_tokens \
                     WHERE token_hash = $1 AND purpose = $2",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.map(|(user_id, expires_at, used_at, issued_by)| LinkRecord {
                    user_id,
                    expires_at: Timestamp(expires_at),
                    used: used_at.is_some(),
                    issued_by,
                }))
            }

            async fn issue_limited_token(
                &self,
                token_hash: &str,
                purpose: TokenPurpose,
                user_id: i64,
                now: Timestamp,
                ttl: Duration,
            ) -> Result<Sent> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                Self::lock_account(&mut tx, user_id).await?;
                let recent = Self::recent_sends(
                    &mut tx,
                    sqlx::query_as(
                        "SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM one_time_tokens \
                         WHERE user_id = $1 AND created_at > $2 AND purpose = $3",
                    )
                    .bind(user_id)
                    .bind(send_limit::window_start(now).0)
                    .bind(purpose.as_str()),
                )
                .await?;
                if let Some(at) = send_limit::next_allowed(recent, now) {
                    return Ok(Sent::NotBefore(at));
                }
                sqlx::query(
                    "UPDATE one_time_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL AND user_id = $3",
                )
                .bind(now.0)
                .bind(purpose.as_str())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO one_time_tokens (token_hash, purpose, user_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(user_id)
                .bind(now.0)
                .bind(now.plus(ttl).0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Sent::Yes)
            }

            async fn peek_token(
                &self,
                token_hash: &str,
                purpose: TokenPurpose,
                now: Timestamp,
            ) -> Result<Option<ValidToken>> {
                let row: Option<(String, Option<i64>, i64)> = sqlx::query_as(
                    "SELECT purpose, user_id, expires_at FROM one_time_tokens \
                     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(now.0)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                row.map(|(p, user_id, expires_at)| {
                    Ok(ValidToken { purpose: purpose_from(&p)?, user_id, expires_at: Timestamp(expires_at) })
                })
                .transpose()
            }

            async fn complete_setup(
                &self,
                token_hash: &str,
                org: &NewOrganisation,
                owner: &NewUser,
                now: Timestamp,
            ) -> Result<Option<(i64, i64)>> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let used: Option<(Option<i64>,)> = sqlx::query_as(USE_TOKEN)
                    .bind(token_hash)
                    .bind(TokenPurpose::Setup.as_str())
                    .bind(now.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if used.is_none() {
                    return Ok(None);
                }
                let (orgs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations").fetch_one(&mut *tx).await?;
                if orgs > 0 {
                    return Ok(None);
                }
                let ids = Self::insert_org_and_owner(&mut tx, org, owner, now).await?;
                tx.commit().await?;
                Ok(Some(ids))
            }

            async fn complete_set_password(
                &self,
                token_hash: &str,
                purpose: TokenPurpose,
                password_hash: &str,
                now: Timestamp,
            ) -> Result<Option<i64>> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let used: Option<(Option<i64>,)> = sqlx::query_as(USE_TOKEN)
                    .bind(token_hash)
                    .bind(purpose.as_str())
                    .bind(now.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((Some(user_id),)) = used else { return Ok(None) };
                sqlx::query(
                    "UPDATE users SET password_hash = $1, updated_at = $2, password_changed_at = $2 WHERE id = $3",
                )
                .bind(password_hash)
                .bind(now.0)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                // A new password ends every session opened with the old one.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                Self::revoke_grants_in(&mut *tx, user_id, now).await?;
                tx.commit().await?;
                Ok(Some(user_id))
            }
        }
    };
}

impl_token_store!(SqliteStore, sqlx::Sqlite);
impl_token_store!(PgStore, sqlx::Postgres);
