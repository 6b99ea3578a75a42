//! The SQL of [`MailTemplateStore`].

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::mail::Parts;
use crate::store::{AuditEvent, MailTemplateStore, TemplateVersion};

fn parts((subject, text, html): (String, String, String)) -> Parts {
    Parts { subject, text, html }
}

macro_rules! impl_mail_template_store {
    ($store:ty) => {
        #[async_trait]
        impl MailTemplateStore for $store {
            async fn mail_template(&self, org_id: i64, kind: &str) -> Result<Option<Parts>> {
                let row: Option<(String, String, String)> = sqlx::query_as(
                    "SELECT subject, text_body, html_body FROM mail_templates WHERE org_id = $1 AND kind = $2",
                )
                .bind(org_id)
                .bind(kind)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.map(parts))
            }

            async fn customised_mail_templates(&self, org_id: i64) -> Result<Vec<(String, Timestamp)>> {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT kind, updated_at FROM mail_templates WHERE org_id = $1 ORDER BY kind")
                        .bind(org_id)
                        .fetch_all(&mut *self.reader.lend().await?)
                        .await?;
                Ok(rows.into_iter().map(|(k, at)| (k, Timestamp(at))).collect())
            }

            async fn save_mail_template(
                &self,
                org_id: i64,
                kind: &str,
                parts: Option<&Parts>,
                by: i64,
                now: Timestamp,
                audit: &AuditEvent,
            ) -> Result<()> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                match parts {
                    Some(p) => {
                        sqlx::query(
                            "INSERT INTO mail_templates (org_id, kind, subject, text_body, html_body, updated_at, updated_by) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (org_id, kind) DO UPDATE SET subject = excluded.subject, \
                             text_body = excluded.text_body, html_body = excluded.html_body, \
                             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                        )
                        .bind(org_id)
                        .bind(kind)
                        .bind(&p.subject)
                        .bind(&p.text)
                        .bind(&p.html)
                        .bind(now.0)
                        .bind(by)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM mail_templates WHERE org_id = $1 AND kind = $2")
                            .bind(org_id)
                            .bind(kind)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                sqlx::query(
                    "INSERT INTO mail_template_versions (org_id, kind, subject, text_body, html_body, saved_at, saved_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(org_id)
                .bind(kind)
                .bind(parts.map(|p| p.subject.as_str()))
                .bind(parts.map(|p| p.text.as_str()))
                .bind(parts.map(|p| p.html.as_str()))
                .bind(now.0)
                .bind(by)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM mail_template_drafts WHERE org_id = $1 AND user_id = $2 AND kind = $3")
                    .bind(org_id)
                    .bind(by)
                    .bind(kind)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn mail_template_versions(&self, org_id: i64, kind: &str, limit: i64) -> Result<Vec<TemplateVersion>> {
                #[allow(clippy::type_complexity)]
                let rows: Vec<(i64, Option<String>, Option<String>, Option<String>, i64, Option<String>, Option<String>)> =
                    sqlx::query_as(
                        "SELECT v.id, v.subject, v.text_body, v.html_body, v.saved_at, u.display_name, u.email \
                         FROM mail_template_versions v LEFT JOIN users u ON u.id = v.saved_by \
                         WHERE v.org_id = $1 AND v.kind = $2 ORDER BY v.id DESC LIMIT $3",
                    )
                    .bind(org_id)
                    .bind(kind)
                    .bind(limit)
                    .fetch_all(&mut *self.reader.lend().await?)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, subject, text, html, at, name, email)| TemplateVersion {
                        id,
                        parts: match (subject, text, html) {
                            (Some(s), Some(t), Some(h)) => Some(parts((s, t, h))),
                            _ => None,
                        },
                        saved_at: Timestamp(at),
                        saved_by: name.zip(email).map(|(n, e)| format!("{n} ({e})")),
                    })
                    .collect())
            }

            async fn save_mail_template_draft(
                &self,
                org_id: i64,
                user_id: i64,
                kind: &str,
                p: &Parts,
                now: Timestamp,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO mail_template_drafts (org_id, user_id, kind, subject, text_body, html_body, saved_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (org_id, user_id, kind) DO UPDATE SET subject = excluded.subject, \
                     text_body = excluded.text_body, html_body = excluded.html_body, saved_at = excluded.saved_at",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(kind)
                .bind(&p.subject)
                .bind(&p.text)
                .bind(&p.html)
                .bind(now.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(())
            }

            async fn mail_template_draft(&self, org_id: i64, user_id: i64, kind: &str) -> Result<Option<Parts>> {
                let row: Option<(String, String, String)> = sqlx::query_as(
                    "SELECT subject, text_body, html_body FROM mail_template_drafts \
                     WHERE org_id = $1 AND user_id = $2 AND kind = $3",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(kind)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.map(parts))
            }
        }
    };
}

impl_mail_template_store!(SqliteStore);
impl_mail_template_store!(PgStore);
