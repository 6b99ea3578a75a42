//! The SQL of [`SsoStore`].

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::store::{SsoProvider, SsoStore};

type Row = (i64, String, String, String, String, String, String, i64);

fn provider((id, kind, name, issuer, client_id, client_secret_sealed, tenants, created_at): Row) -> SsoProvider {
    SsoProvider {
        id,
        kind,
        name,
        issuer,
        client_id,
        client_secret_sealed,
        tenants: tenants.split_whitespace().map(str::to_string).collect(),
        created_at: Timestamp(created_at),
    }
}

/// Names compare without regard to case: "google" and "Google" would be one button twice.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

macro_rules! impl_sso_store {
    ($store:ty) => {
        #[async_trait]
        impl SsoStore for $store {
            async fn add_sso_provider(&self, p: &SsoProvider) -> Result<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO sso_providers \
                     (kind, name, name_key, issuer, client_id, client_secret_sealed, tenants, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(&p.kind)
                .bind(&p.name)
                .bind(name_key(&p.name))
                .bind(&p.issuer)
                .bind(&p.client_id)
                .bind(&p.client_secret_sealed)
                .bind(p.tenants.join(" "))
                .bind(p.created_at.0)
                .fetch_one(&self.writer)
                .await
                .map_err(|e| Error::from_insert(e, "a sign-in provider with that name"))?;
                Ok(id)
            }

            async fn sso_providers(&self) -> Result<Vec<SsoProvider>> {
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, kind, name, issuer, client_id, client_secret_sealed, tenants, created_at \
                     FROM sso_providers ORDER BY id",
                )
                .fetch_all(&self.reader)
                .await?;
                Ok(rows.into_iter().map(provider).collect())
            }

            async fn remove_sso_provider(&self, name: &str) -> Result<bool> {
                let gone = sqlx::query("DELETE FROM sso_providers WHERE name_key = $1")
                    .bind(name_key(name))
                    .execute(&self.writer)
                    .await?;
                Ok(gone.rows_affected() == 1)
            }
        }
    };
}

impl_sso_store!(SqliteStore);
impl_sso_store!(PgStore);
