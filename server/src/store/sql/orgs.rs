//! The SQL of [`OrgStore`]: organisations, and the first owner created with each.

use async_trait::async_trait;

use super::{org_from_row, OrgRow, PgStore, SqliteStore, INSERT_MEMBERSHIP, INSERT_ROLE, ORG_COLUMNS};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{NewUser, Organisation, Role};
use crate::policy::MfaPolicy;
use crate::store::{NewOrganisation, OrgStore};

const INSERT_ORG: &str = "INSERT INTO organisations (name, name_canonical, kind, created_at, mfa_policy) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

macro_rules! impl_org_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Inserts the organisation, the user and the owner membership inside `tx`.
            pub(super) async fn insert_org_and_owner(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: &NewOrganisation,
                owner: &NewUser,
                now: Timestamp,
            ) -> Result<(i64, i64)> {
                let (org_id,): (i64,) = sqlx::query_as(INSERT_ORG)
                    .bind(&org.name)
                    .bind(org.canonical_name())
                    .bind(org.kind.as_str())
                    .bind(now.0)
                    .bind(crate::policy::effective(org.kind, MfaPolicy::Visible).as_str())
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(|e| Error::from_insert(e, "an organisation with that name"))?;
                let mut owner_role = 0;
                for role in Role::ALL {
                    let (id,): (i64,) = sqlx::query_as(INSERT_ROLE)
                        .bind(org_id)
                        .bind(role.as_str())
                        .bind(role.label())
                        .bind(role.label().to_lowercase())
                        .bind("")
                        .bind(false)
                        .bind(now.0)
                        .bind(crate::roles::builtin_permissions(role).is_empty())
                        .fetch_one(&mut **tx)
                        .await?;
                    if role == Role::Owner {
                        owner_role = id;
                    }
                }
                let user_id = Self::insert_user(tx, owner, now).await?;
                sqlx::query(INSERT_MEMBERSHIP)
                    .bind(org_id)
                    .bind(user_id)
                    .bind(owner_role)
                    .bind(now.0)
                    .execute(&mut **tx)
                    .await?;
                Ok((org_id, user_id))
            }
        }

        #[async_trait]
        impl OrgStore for $store {
            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&mut *self.reader.lend().await?).await?;
                Ok(())
            }

            fn connections_in_use(&self) -> usize {
                self.lent_connections()
            }

            async fn count_organisations(&self) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations").fetch_one(&mut *self.reader.lend().await?).await?;
                Ok(n)
            }

            async fn find_organisation_by_name(&self, name: &str) -> Result<Option<Organisation>> {
                let row: Option<OrgRow> =
                    sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM organisations o WHERE o.name_canonical = $1"))
                        .bind(name.trim().to_lowercase())
                        .fetch_optional(&mut *self.reader.lend().await?)
                        .await?;
                row.map(org_from_row).transpose()
            }

            async fn set_password_max_age(&self, org_id: i64, days: Option<u32>) -> Result<()> {
                sqlx::query("UPDATE organisations SET password_max_age_days = $2 WHERE id = $1")
                    .bind(org_id)
                    .bind(days.map(|d| i32::try_from(d).unwrap_or(i32::MAX)))
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(())
            }

            async fn set_email_codes_allowed(&self, org_id: i64, allowed: bool, roles: Option<&[i64]>) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let done = sqlx::query("UPDATE organisations SET email_codes_allowed = $2 WHERE id = $1 AND email_codes_allowed <> $2")
                    .bind(org_id)
                    .bind(allowed)
                    .execute(&mut *tx)
                    .await?;
                let mut changed = done.rows_affected();
                if let Some(chosen) = roles {
                    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM roles WHERE org_id = $1")
                        .bind(org_id)
                        .fetch_all(&mut *tx)
                        .await?;
                    for (id,) in ids {
                        let done = sqlx::query("UPDATE roles SET email_codes = $3 WHERE org_id = $1 AND id = $2 AND email_codes <> $3")
                            .bind(org_id)
                            .bind(id)
                            .bind(chosen.contains(&id))
                            .execute(&mut *tx)
                            .await?;
                        changed += done.rows_affected();
                    }
                }
                tx.commit().await?;
                Ok(changed > 0)
            }

            async fn set_email_only_resets(&self, org_id: i64, allowed: bool) -> Result<bool> {
                let done = sqlx::query("UPDATE organisations SET email_only_resets = $2 WHERE id = $1 AND email_only_resets <> $2")
                    .bind(org_id)
                    .bind(allowed)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_mfa_policy(&self, org_id: i64, policy: MfaPolicy, grace_until: Option<Timestamp>) -> Result<()> {
                sqlx::query("UPDATE organisations SET mfa_policy = $2, mfa_grace_until = $3 WHERE id = $1")
                    .bind(org_id)
                    .bind(policy.as_str())
                    .bind(grace_until.map(|t| t.0))
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(())
            }

            async fn create_organisation(&self, org: &NewOrganisation, owner: &NewUser, now: Timestamp) -> Result<(i64, i64)> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let ids = Self::insert_org_and_owner(&mut tx, org, owner, now).await?;
                tx.commit().await?;
                Ok(ids)
            }

            async fn business_hours(&self, org_id: i64) -> Result<crate::model::BusinessHours> {
                let row: Option<(i32, i32, String)> = sqlx::query_as(
                    "SELECT business_start_minute, business_end_minute, time_zone FROM organisations WHERE id = $1",
                )
                .bind(org_id)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                let (start_minute, end_minute, zone) = row.ok_or(Error::NotFound("organisation"))?;
                Ok(business_hours_of(start_minute, end_minute, &zone))
            }

            async fn set_business_hours(&self, org_id: i64, hours: crate::model::BusinessHours) -> Result<()> {
                sqlx::query(
                    "UPDATE organisations SET business_start_minute = $2, business_end_minute = $3, time_zone = $4 WHERE id = $1",
                )
                .bind(org_id)
                .bind(hours.start_minute)
                .bind(hours.end_minute)
                .bind(hours.zone.name())
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(())
            }
        }
    };
}

/// An organisation's business hours as stored.
pub(super) fn business_hours_of(start_minute: i32, end_minute: i32, zone: &str) -> crate::model::BusinessHours {
    // Zones are checked when saved; one this build does not know reads as UTC.
    let zone = crate::model::Zone::parse(zone).unwrap_or_else(crate::model::Zone::utc);
    crate::model::BusinessHours { start_minute, end_minute, zone }
}

impl_org_store!(SqliteStore, sqlx::Sqlite);
impl_org_store!(PgStore, sqlx::Postgres);
