//! The SQL of [`MailScheduleStore`].

use std::time::Duration;

use async_trait::async_trait;

use super::{org_from_row, OrgRow, PgStore, SqliteStore, ORG_COLUMNS};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::Organisation;
use crate::store::{MailOutcome, MailScheduleStore, ScheduledMail};

type ScheduledRow = (i64, i64, i64, String, String, i64);

macro_rules! impl_mail_schedule_store {
    ($store:ty) => {
        #[async_trait]
        impl MailScheduleStore for $store {
            async fn organisations_in_grace(&self, now: Timestamp) -> Result<Vec<Organisation>> {
                let rows: Vec<OrgRow> = sqlx::query_as(&format!(
                    "SELECT {ORG_COLUMNS} FROM organisations o \
                     WHERE o.mfa_policy = 'required' AND o.mfa_grace_until > $1 ORDER BY o.id"
                ))
                .bind(now.0)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                rows.into_iter().map(org_from_row).collect()
            }

            async fn organisation_by_id(&self, org_id: i64) -> Result<Option<Organisation>> {
                let row: Option<OrgRow> =
                    sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM organisations o WHERE o.id = $1"))
                        .bind(org_id)
                        .fetch_optional(&mut *self.reader.lend().await?)
                        .await?;
                row.map(org_from_row).transpose()
            }

            async fn organisations(&self) -> Result<Vec<Organisation>> {
                let rows: Vec<OrgRow> =
                    sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM organisations o ORDER BY o.id"))
                        .fetch_all(&mut *self.reader.lend().await?)
                        .await?;
                rows.into_iter().map(org_from_row).collect()
            }

            async fn plan_mail(
                &self,
                org_id: i64,
                user_id: i64,
                kind: &str,
                period: &str,
                now: Timestamp,
            ) -> Result<bool> {
                let r = sqlx::query(
                    "INSERT INTO scheduled_mails (org_id, user_id, kind, period, created_at, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (org_id, user_id, kind, period) DO NOTHING",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(kind)
                .bind(period)
                .bind(now.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn planned_in(&self, org_id: i64, kind: &str, period: &str) -> Result<bool> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM scheduled_mails WHERE org_id = $1 AND kind = $2 AND period = $3 LIMIT 1",
                )
                .bind(org_id)
                .bind(kind)
                .bind(period)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.is_some())
            }

            async fn claim_due_mail(&self, now: Timestamp, lease: Duration) -> Result<Option<ScheduledMail>> {
                // The inner query picks a candidate; the outer condition, checked again on the row
                // itself, makes sure that of two instances picking the same one only one gets it.
                let row: Option<ScheduledRow> = sqlx::query_as(
                    "UPDATE scheduled_mails SET claimed_until = $2, attempts = attempts + 1 \
                     WHERE id = (SELECT id FROM scheduled_mails \
                                 WHERE outcome IS NULL AND next_attempt_at <= $1 \
                                   AND (claimed_until IS NULL OR claimed_until <= $1) \
                                 ORDER BY next_attempt_at, id LIMIT 1) \
                       AND outcome IS NULL AND (claimed_until IS NULL OR claimed_until <= $1) \
                     RETURNING id, org_id, user_id, kind, period, CAST(attempts AS BIGINT)",
                )
                .bind(now.0)
                .bind(now.plus(lease).0)
                .fetch_optional(&mut *self.writer.lend().await?)
                .await?;
                Ok(row.map(|(id, org_id, user_id, kind, period, attempts)| ScheduledMail {
                    id,
                    org_id,
                    user_id,
                    kind,
                    period,
                    attempts,
                }))
            }

            async fn finish_mail(&self, id: i64, outcome: MailOutcome, now: Timestamp) -> Result<()> {
                sqlx::query(
                    "UPDATE scheduled_mails SET outcome = $2, done_at = $3, claimed_until = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(outcome.as_str())
                .bind(now.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(())
            }

            async fn retry_mail(&self, id: i64, at: Timestamp) -> Result<()> {
                sqlx::query("UPDATE scheduled_mails SET next_attempt_at = $2, claimed_until = NULL WHERE id = $1")
                    .bind(id)
                    .bind(at.0)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(())
            }

            async fn opted_out_topics(&self, user_id: i64) -> Result<Vec<String>> {
                let rows: Vec<(String,)> =
                    sqlx::query_as("SELECT topic FROM mail_opt_outs WHERE user_id = $1 ORDER BY topic")
                        .bind(user_id)
                        .fetch_all(&mut *self.reader.lend().await?)
                        .await?;
                Ok(rows.into_iter().map(|(t,)| t).collect())
            }

            async fn set_opt_out(&self, user_id: i64, topic: &str, off: bool, now: Timestamp) -> Result<bool> {
                let r = if off {
                    sqlx::query(
                        "INSERT INTO mail_opt_outs (user_id, topic, created_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (user_id, topic) DO NOTHING",
                    )
                    .bind(user_id)
                    .bind(topic)
                    .bind(now.0)
                    .execute(&mut *self.writer.lend().await?)
                    .await?
                } else {
                    sqlx::query("DELETE FROM mail_opt_outs WHERE user_id = $1 AND topic = $2")
                        .bind(user_id)
                        .bind(topic)
                        .execute(&mut *self.writer.lend().await?)
                        .await?
                };
                Ok(r.rows_affected() == 1)
            }
        }
    };
}

impl_mail_schedule_store!(SqliteStore);
impl_mail_schedule_store!(PgStore);
