//! The SQL of [`TokenStore`]: one-time links, and the changes made in the transaction that uses one.

use std::time::Duration;

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::NewUser;
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
    ($store:ty) => {
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
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn revoke_tokens(&self, purpose: TokenPurpose, user_id: Option<i64>, now: Timestamp) -> Result<u64> {
                let r = sqlx::query(
                    "UPDATE one_time_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL \
                     AND ($3 IS NULL OR user_id = $3)",
                )
                .bind(now.0)
                .bind(purpose.as_str())
                .bind(user_id)
                .execute(&self.writer)
                .await?;
                Ok(r.rows_affected())
            }

            async fn link_record(&self, token_hash: &str, purpose: TokenPurpose) -> Result<Option<LinkRecord>> {
                let row: Option<(Option<i64>, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT user_id, expires_at, used_at, issued_by FROM one_time_tokens \
                     WHERE token_hash = $1 AND purpose = $2",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .fetch_optional(&self.reader)
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
                may_send: fn(u32, Option<Timestamp>, Timestamp) -> bool,
            ) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                // A write first: it locks the account's row (PostgreSQL) or the database
                // (SQLite) until commit, so a second request waits and then counts this link.
                sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                let (count, newest): (i64, Option<i64>) = sqlx::query_as(
                    "SELECT COUNT(*), MAX(created_at) FROM one_time_tokens \
                     WHERE user_id = $1 AND purpose = $2 AND created_at > $3",
                )
                .bind(user_id)
                .bind(purpose.as_str())
                .bind(now.0 - 3_600_000)
                .fetch_one(&mut *tx)
                .await?;
                if !may_send(u32::try_from(count).unwrap_or(u32::MAX), newest.map(Timestamp), now) {
                    return Ok(false);
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
                Ok(true)
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
                .fetch_optional(&self.reader)
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
                let mut tx = self.writer.begin().await?;
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
                let mut tx = self.writer.begin().await?;
                let used: Option<(Option<i64>,)> = sqlx::query_as(USE_TOKEN)
                    .bind(token_hash)
                    .bind(purpose.as_str())
                    .bind(now.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((Some(user_id),)) = used else { return Ok(None) };
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(password_hash)
                    .bind(now.0)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                // A new password ends every session opened with the old one.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(Some(user_id))
            }
        }
    };
}

impl_token_store!(SqliteStore);
impl_token_store!(PgStore);
