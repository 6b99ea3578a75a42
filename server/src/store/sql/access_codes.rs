//! The SQL of [`AccessCodeStore`].

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::{AccessCodeStore, AccessHold, CodeUse, NewAccessCode};

const PUT_ACCESS_CODE: &str =
    "INSERT INTO access_codes (user_id, code_hash, issued_by, created_at, expires_at, used_at) \
     VALUES ($1, $2, $3, $4, $5, NULL) \
     ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, issued_by = excluded.issued_by, \
     created_at = excluded.created_at, expires_at = excluded.expires_at, used_at = NULL";

macro_rules! impl_access_code_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Puts the hold and its code inside another area's transaction (the reset itself).
            pub(super) async fn insert_access_code<'e, E: sqlx::Executor<'e, Database = $db>>(
                e: E,
                user_id: i64,
                code: &NewAccessCode,
                now: Timestamp,
            ) -> Result<()> {
                sqlx::query(PUT_ACCESS_CODE)
                    .bind(user_id)
                    .bind(&code.code_hash)
                    .bind(code.issued_by)
                    .bind(now.0)
                    .bind(code.expires_at.0)
                    .execute(e)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl AccessCodeStore for $store {
            async fn put_access_code(&self, user_id: i64, code: &NewAccessCode, now: Timestamp) -> Result<()> {
                Self::insert_access_code(&mut *self.writer.lend().await?, user_id, code, now).await
            }

            async fn use_access_code(&self, user_id: i64, code_hash: &str, now: Timestamp) -> Result<CodeUse> {
                let used = sqlx::query(
                    "UPDATE access_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 \
                     AND used_at IS NULL AND expires_at > $3",
                )
                .bind(user_id)
                .bind(code_hash)
                .bind(now.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                if used.rows_affected() == 1 {
                    return Ok(CodeUse::Used);
                }
                let expired: Option<(i64,)> = sqlx::query_as(
                    "SELECT user_id FROM access_codes WHERE user_id = $1 AND code_hash = $2 \
                     AND used_at IS NULL AND expires_at <= $3",
                )
                .bind(user_id)
                .bind(code_hash)
                .bind(now.0)
                .fetch_optional(&mut *self.writer.lend().await?)
                .await?;
                Ok(if expired.is_some() { CodeUse::Expired } else { CodeUse::Refused })
            }

            async fn access_hold(&self, user_id: i64) -> Result<Option<AccessHold>> {
                let row: Option<(i64, i64, Option<i64>)> =
                    sqlx::query_as("SELECT created_at, expires_at, used_at FROM access_codes WHERE user_id = $1")
                        .bind(user_id)
                        .fetch_optional(&mut *self.reader.lend().await?)
                        .await?;
                Ok(row.map(|(issued_at, expires_at, used_at)| AccessHold {
                    issued_at: Timestamp(issued_at),
                    expires_at: Timestamp(expires_at),
                    used_at: used_at.map(Timestamp),
                }))
            }

            async fn put_access_code_to_show(
                &self,
                session_hash: &str,
                user_id: i64,
                sealed: &str,
                expires_at: Timestamp,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO access_codes_to_show (session_hash, user_id, code_sealed, expires_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (session_hash) DO UPDATE SET user_id = excluded.user_id, \
                     code_sealed = excluded.code_sealed, expires_at = excluded.expires_at",
                )
                .bind(session_hash)
                .bind(user_id)
                .bind(sealed)
                .bind(expires_at.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(())
            }

            async fn take_access_code_to_show(
                &self,
                session_hash: &str,
                user_id: i64,
                now: Timestamp,
            ) -> Result<Option<String>> {
                // Expired or not, the row goes; only a live one is returned.
                let row: Option<(String, i64)> = sqlx::query_as(
                    "DELETE FROM access_codes_to_show WHERE session_hash = $1 AND user_id = $2 \
                     RETURNING code_sealed, expires_at",
                )
                .bind(session_hash)
                .bind(user_id)
                .fetch_optional(&mut *self.writer.lend().await?)
                .await?;
                Ok(row.filter(|(_, expires_at)| *expires_at > now.0).map(|(sealed, _)| sealed))
            }
        }
    };
}

impl_access_code_store!(SqliteStore, sqlx::Sqlite);
impl_access_code_store!(PgStore, sqlx::Postgres);
