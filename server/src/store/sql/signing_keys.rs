//! The SQL of [`SigningKeyStore`].

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::{NewSigningKey, SigningKey, SigningKeyStore};

const INSERT: &str = "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, created_at, replaced_at) \
     VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT DO NOTHING";
const COLUMNS: &str = "kid, alg, private_sealed, public_jwk, created_at, replaced_at";

type Row = (String, String, String, String, i64, Option<i64>);

fn key((kid, alg, private_sealed, public_jwk, created_at, replaced_at): Row) -> SigningKey {
    SigningKey {
        kid,
        alg,
        private_sealed,
        public_jwk,
        created_at: Timestamp(created_at),
        replaced_at: replaced_at.map(Timestamp),
    }
}

macro_rules! impl_signing_key_store {
    ($store:ty) => {
        #[async_trait]
        impl SigningKeyStore for $store {
            async fn add_signing_key(&self, k: &NewSigningKey, replace: bool) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                if replace {
                    sqlx::query("UPDATE signing_keys SET replaced_at = $2 WHERE alg = $1 AND replaced_at IS NULL")
                        .bind(&k.alg)
                        .bind(k.created_at.0)
                        .execute(&mut *tx)
                        .await?;
                }
                let added = sqlx::query(INSERT)
                    .bind(&k.kid)
                    .bind(&k.alg)
                    .bind(&k.private_sealed)
                    .bind(&k.public_jwk)
                    .bind(k.created_at.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(added.rows_affected() == 1)
            }

            async fn current_signing_keys(&self) -> Result<Vec<SigningKey>> {
                let rows: Vec<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM signing_keys WHERE replaced_at IS NULL ORDER BY alg"
                ))
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows.into_iter().map(key).collect())
            }

            async fn published_signing_keys(&self, since: Timestamp) -> Result<Vec<SigningKey>> {
                let rows: Vec<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM signing_keys WHERE replaced_at IS NULL OR replaced_at >= $1 \
                     ORDER BY created_at DESC, kid"
                ))
                .bind(since.0)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows.into_iter().map(key).collect())
            }

            async fn delete_replaced_signing_keys(&self, before: Timestamp) -> Result<u64> {
                let gone = sqlx::query("DELETE FROM signing_keys WHERE replaced_at < $1")
                    .bind(before.0)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(gone.rows_affected())
            }
        }
    };
}

impl_signing_key_store!(SqliteStore);
impl_signing_key_store!(PgStore);
