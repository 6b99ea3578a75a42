//! The SQL of [`OidcStore`].

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::{AuditEvent, Grant, NewCode, NewGrant, NewToken, OidcStore, Spent, SpentCode, TokenKind};

const GRANT_COLUMNS: &str = "g.id, g.application_id, g.user_id, g.org_id, g.scope, g.auth_time, g.amr";

type GrantRow = (i64, i64, i64, i64, String, i64, String);

fn grant((id, application_id, user_id, org_id, scope, auth_time, amr): GrantRow) -> Grant {
    Grant { id, application_id, user_id, org_id, scope, auth_time: Timestamp(auth_time), amr }
}

const REVOKE_GRANT: &str = "UPDATE oidc_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";

/// Every live grant of a person: said once, run inside the transactions that end their sessions.
pub(super) const REVOKE_USER_GRANTS: &str =
    "UPDATE oidc_grants SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";

macro_rules! impl_oidc_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Ends every live grant of `user_id`, inside the caller's transaction.
            pub(super) async fn revoke_grants_in<'e, E: sqlx::Executor<'e, Database = $db>>(
                e: E,
                user_id: i64,
                now: Timestamp,
            ) -> Result<()> {
                sqlx::query(REVOKE_USER_GRANTS).bind(user_id).bind(now.0).execute(e).await?;
                Ok(())
            }

            async fn insert_tokens(
                conn: &mut <$db as sqlx::Database>::Connection,
                grant_id: i64,
                tokens: &[NewToken],
            ) -> Result<()> {
                for t in tokens {
                    sqlx::query(
                        "INSERT INTO oidc_tokens (token_hash, grant_id, kind, expires_at, used_at) \
                         VALUES ($1, $2, $3, $4, NULL)",
                    )
                    .bind(&t.token_hash)
                    .bind(grant_id)
                    .bind(t.kind.as_str())
                    .bind(t.expires_at.0)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }

            /// What a second use of a spent code or token leads to: its grant revoked.
            async fn replayed<T>(
                conn: &mut <$db as sqlx::Database>::Connection,
                grant_id: i64,
                now: Timestamp,
            ) -> Result<Spent<T>> {
                let owner: Option<(i64, i64)> =
                    sqlx::query_as("SELECT user_id, org_id FROM oidc_grants WHERE id = $1")
                        .bind(grant_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                sqlx::query(REVOKE_GRANT).bind(grant_id).bind(now.0).execute(&mut *conn).await?;
                Ok(match owner {
                    Some((user_id, org_id)) => Spent::Again { grant_id, user_id, org_id },
                    None => Spent::Unknown,
                })
            }
        }

        #[async_trait]
        impl OidcStore for $store {
            async fn issue_code(&self, g: &NewGrant, c: &NewCode, audit: &AuditEvent) -> Result<i64> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO oidc_grants (application_id, user_id, org_id, scope, auth_time, amr, created_at, \
                     revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) RETURNING id",
                )
                .bind(g.application_id)
                .bind(g.user_id)
                .bind(g.org_id)
                .bind(&g.scope)
                .bind(g.auth_time.0)
                .bind(&g.amr)
                .bind(g.created_at.0)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO oidc_codes (code_hash, grant_id, redirect_uri, code_challenge, nonce, expires_at, \
                     used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
                )
                .bind(&c.code_hash)
                .bind(id)
                .bind(&c.redirect_uri)
                .bind(c.code_challenge.as_deref())
                .bind(c.nonce.as_deref())
                .bind(c.expires_at.0)
                .execute(&mut *tx)
                .await?;
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn spend_code(&self, code_hash: &str, application_id: i64, now: Timestamp) -> Result<Spent<SpentCode>> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let spent: Option<(i64, String, Option<String>, Option<String>, i64)> = sqlx::query_as(
                    "UPDATE oidc_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL \
                     AND grant_id IN (SELECT id FROM oidc_grants WHERE application_id = $3) \
                     RETURNING grant_id, redirect_uri, code_challenge, nonce, expires_at",
                )
                .bind(code_hash)
                .bind(now.0)
                .bind(application_id)
                .fetch_optional(&mut *tx)
                .await?;
                let result = match spent {
                    Some((grant_id, redirect_uri, code_challenge, nonce, expires_at)) => {
                        let live: Option<GrantRow> = sqlx::query_as(&format!(
                            "SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.id = $1 AND g.revoked_at IS NULL"
                        ))
                        .bind(grant_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match live {
                            Some(row) => Spent::Now(SpentCode {
                                grant: grant(row),
                                redirect_uri,
                                code_challenge,
                                nonce,
                                expires_at: Timestamp(expires_at),
                            }),
                            None => Spent::Unknown,
                        }
                    }
                    None => {
                        // Spent before (by anyone): whoever holds it now may have stolen it.
                        let before: Option<(i64,)> = sqlx::query_as(
                            "SELECT grant_id FROM oidc_codes WHERE code_hash = $1 AND used_at IS NOT NULL",
                        )
                        .bind(code_hash)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match before {
                            Some((grant_id,)) => Self::replayed(&mut *tx, grant_id, now).await?,
                            None => Spent::Unknown,
                        }
                    }
                };
                tx.commit().await?;
                Ok(result)
            }

            async fn add_tokens(&self, grant_id: i64, tokens: &[NewToken]) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let live: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM oidc_grants WHERE id = $1 AND revoked_at IS NULL")
                        .bind(grant_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if live.is_none() {
                    return Ok(false);
                }
                Self::insert_tokens(&mut *tx, grant_id, tokens).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn rotate_refresh_token(
                &self,
                token_hash: &str,
                application_id: i64,
                successors: &[NewToken],
                now: Timestamp,
            ) -> Result<Spent<Grant>> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let spent: Option<(i64,)> = sqlx::query_as(
                    "UPDATE oidc_tokens SET used_at = $2 WHERE token_hash = $1 AND kind = 'refresh' \
                     AND used_at IS NULL AND expires_at > $2 \
                     AND grant_id IN (SELECT id FROM oidc_grants WHERE application_id = $3 AND revoked_at IS NULL) \
                     RETURNING grant_id",
                )
                .bind(token_hash)
                .bind(now.0)
                .bind(application_id)
                .fetch_optional(&mut *tx)
                .await?;
                let result = match spent {
                    Some((grant_id,)) => {
                        let row: GrantRow =
                            sqlx::query_as(&format!("SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.id = $1"))
                                .bind(grant_id)
                                .fetch_one(&mut *tx)
                                .await?;
                        Self::insert_tokens(&mut *tx, grant_id, successors).await?;
                        Spent::Now(grant(row))
                    }
                    None => {
                        let before: Option<(i64,)> = sqlx::query_as(
                            "SELECT t.grant_id FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id \
                             WHERE t.token_hash = $1 AND t.kind = 'refresh' AND t.used_at IS NOT NULL \
                             AND g.application_id = $2",
                        )
                        .bind(token_hash)
                        .bind(application_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match before {
                            Some((grant_id,)) => Self::replayed(&mut *tx, grant_id, now).await?,
                            None => Spent::Unknown,
                        }
                    }
                };
                tx.commit().await?;
                Ok(result)
            }

            async fn grant_of_token(&self, token_hash: &str, kind: TokenKind, now: Timestamp) -> Result<Option<Grant>> {
                let row: Option<GrantRow> = sqlx::query_as(&format!(
                    "SELECT {GRANT_COLUMNS} FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id \
                     WHERE t.token_hash = $1 AND t.kind = $2 AND t.expires_at > $3 AND t.used_at IS NULL \
                     AND g.revoked_at IS NULL"
                ))
                .bind(token_hash)
                .bind(kind.as_str())
                .bind(now.0)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.map(grant))
            }

            async fn revoke_grant_of_token(&self, token_hash: &str, application_id: i64, now: Timestamp) -> Result<bool> {
                let r = sqlx::query(
                    "UPDATE oidc_grants SET revoked_at = $3 WHERE revoked_at IS NULL AND application_id = $2 \
                     AND id IN (SELECT grant_id FROM oidc_tokens WHERE token_hash = $1)",
                )
                .bind(token_hash)
                .bind(application_id)
                .bind(now.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(r.rows_affected() > 0)
            }

            async fn revoke_user_grants(&self, user_id: i64, now: Timestamp) -> Result<u64> {
                let r = sqlx::query(REVOKE_USER_GRANTS).bind(user_id).bind(now.0).execute(&mut *self.writer.lend().await?).await?;
                Ok(r.rows_affected())
            }

            async fn recent_applications(
                &self,
                org_id: i64,
                user_id: i64,
                since: Timestamp,
            ) -> Result<Vec<(String, Timestamp)>> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT a.name, MAX(g.created_at) FROM oidc_grants g \
                     JOIN applications a ON a.id = g.application_id \
                     WHERE g.org_id = $1 AND g.user_id = $2 AND g.created_at >= $3 \
                     GROUP BY a.name ORDER BY MAX(g.created_at) DESC LIMIT 20",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(since.0)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows.into_iter().map(|(name, at)| (name, Timestamp(at))).collect())
            }

            async fn purge_grants(&self, before: Timestamp) -> Result<u64> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let codes =
                    sqlx::query("DELETE FROM oidc_codes WHERE expires_at < $1").bind(before.0).execute(&mut *tx).await?;
                let tokens =
                    sqlx::query("DELETE FROM oidc_tokens WHERE expires_at < $1").bind(before.0).execute(&mut *tx).await?;
                let grants = sqlx::query(
                    "DELETE FROM oidc_grants WHERE created_at < $1 \
                     AND NOT EXISTS (SELECT 1 FROM oidc_codes c WHERE c.grant_id = oidc_grants.id) \
                     AND NOT EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = oidc_grants.id)",
                )
                .bind(before.0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(codes.rows_affected() + tokens.rows_affected() + grants.rows_affected())
            }
        }
    };
}

impl_oidc_store!(SqliteStore, sqlx::Sqlite);
impl_oidc_store!(PgStore, sqlx::Postgres);
