//! The SQL of [`ApplicationStore`].

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::store::{Application, ApplicationStore, AuditEvent, NewApplication};

const COLUMNS: &str =
    "id, org_id, client_id, name, confidential, require_mfa, disabled, created_at, secret_hash, id_token_alg";

type Row = (i64, i64, String, String, bool, bool, bool, i64, Option<String>, String);

fn application(
    (id, org_id, client_id, name, confidential, require_mfa, disabled, created_at, _, id_token_alg): Row,
) -> Application {
    Application {
        id,
        org_id,
        client_id,
        name,
        confidential,
        require_mfa,
        disabled,
        created_at: Timestamp(created_at),
        id_token_alg,
        redirect_uris: Vec::new(),
        logout_uris: Vec::new(),
        role_ids: Vec::new(),
    }
}

macro_rules! impl_application_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Fills in each application's URIs and roles.
            async fn with_details(&self, mut apps: Vec<Application>) -> Result<Vec<Application>> {
                for app in &mut apps {
                    let uris: Vec<(String, String)> = sqlx::query_as(
                        "SELECT purpose, uri FROM application_uris WHERE application_id = $1 ORDER BY purpose, uri",
                    )
                    .bind(app.id)
                    .fetch_all(&mut *self.reader.lend().await?)
                    .await?;
                    for (purpose, uri) in uris {
                        match purpose.as_str() {
                            "redirect" => app.redirect_uris.push(uri),
                            _ => app.logout_uris.push(uri),
                        }
                    }
                    app.role_ids = sqlx::query_scalar(
                        "SELECT role_id FROM application_roles WHERE application_id = $1 ORDER BY role_id",
                    )
                    .bind(app.id)
                    .fetch_all(&mut *self.reader.lend().await?)
                    .await?;
                }
                Ok(apps)
            }
        }

        #[async_trait]
        impl ApplicationStore for $store {
            async fn add_application(&self, a: &NewApplication, now: Timestamp, audit: &AuditEvent) -> Result<i64> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO applications (org_id, client_id, name, name_canonical, confidential, secret_hash, \
                     require_mfa, disabled, created_at, id_token_alg) VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $9) RETURNING id",
                )
                .bind(a.org_id)
                .bind(&a.client_id)
                .bind(&a.name)
                .bind(&a.name_canonical)
                .bind(a.secret_hash.is_some())
                .bind(a.secret_hash.as_deref())
                .bind(a.require_mfa)
                .bind(now.0)
                .bind(&a.id_token_alg)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| Error::from_insert(e, "an application with that name"))?;
                let uris = a.redirect_uris.iter().map(|u| ("redirect", u)).chain(a.logout_uris.iter().map(|u| ("logout", u)));
                for (purpose, uri) in uris {
                    sqlx::query(
                        "INSERT INTO application_uris (application_id, purpose, uri) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(purpose)
                    .bind(uri)
                    .execute(&mut *tx)
                    .await?;
                }
                for role_id in &a.role_ids {
                    // Only the organisation's own roles.
                    sqlx::query(
                        "INSERT INTO application_roles (application_id, role_id) \
                         SELECT $1, id FROM roles WHERE id = $2 AND org_id = $3 ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(role_id)
                    .bind(a.org_id)
                    .execute(&mut *tx)
                    .await?;
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn applications(&self, org_id: i64) -> Result<Vec<Application>> {
                let rows: Vec<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM applications WHERE org_id = $1 ORDER BY name_canonical"
                ))
                .bind(org_id)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                self.with_details(rows.into_iter().map(application).collect()).await
            }

            async fn application_by_client_id(&self, client_id: &str) -> Result<Option<(Application, Option<String>)>> {
                let row: Option<Row> =
                    sqlx::query_as(&format!("SELECT {COLUMNS} FROM applications WHERE client_id = $1"))
                        .bind(client_id)
                        .fetch_optional(&mut *self.reader.lend().await?)
                        .await?;
                let Some(row) = row else { return Ok(None) };
                let hash = row.8.clone();
                let app = self.with_details(vec![application(row)]).await?.remove(0);
                Ok(Some((app, hash)))
            }

            async fn set_application_disabled(
                &self,
                org_id: i64,
                client_id: &str,
                disabled: bool,
                now: Timestamp,
                audit: &AuditEvent,
            ) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let set = sqlx::query("UPDATE applications SET disabled = $3 WHERE org_id = $1 AND client_id = $2")
                    .bind(org_id)
                    .bind(client_id)
                    .bind(disabled)
                    .execute(&mut *tx)
                    .await?;
                if set.rows_affected() != 1 {
                    return Ok(false);
                }
                if disabled {
                    sqlx::query(
                        "UPDATE oidc_grants SET revoked_at = $3 WHERE revoked_at IS NULL AND application_id = \
                         (SELECT id FROM applications WHERE org_id = $1 AND client_id = $2)",
                    )
                    .bind(org_id)
                    .bind(client_id)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_client_secret(
                &self,
                org_id: i64,
                client_id: &str,
                secret_hash: &str,
                audit: &AuditEvent,
            ) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let set = sqlx::query(
                    "UPDATE applications SET secret_hash = $3 WHERE org_id = $1 AND client_id = $2 AND confidential",
                )
                .bind(org_id)
                .bind(client_id)
                .bind(secret_hash)
                .execute(&mut *tx)
                .await?;
                if set.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn remove_application(&self, org_id: i64, client_id: &str, audit: &AuditEvent) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let gone = sqlx::query("DELETE FROM applications WHERE org_id = $1 AND client_id = $2")
                    .bind(org_id)
                    .bind(client_id)
                    .execute(&mut *tx)
                    .await?;
                if gone.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

impl_application_store!(SqliteStore, sqlx::Sqlite);
impl_application_store!(PgStore, sqlx::Postgres);
