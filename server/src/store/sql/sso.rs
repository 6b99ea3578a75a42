//! The SQL of [`SsoStore`].

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::store::{AuditEvent, FlowPurpose, OrgProvider, ProviderMfa, SsoFlow, SsoIdentity, SsoProvider, SsoStore};

type FlowRow = (String, i64, String, String, Option<i64>, String, String, String, i64);

const FLOW_COLUMNS: &str =
    "state_hash, provider_id, browser_hash, purpose, user_id, nonce, pkce_verifier_sealed, destination, expires_at";

fn flow(
    (state_hash, provider_id, browser_hash, purpose, user_id, nonce, pkce_verifier_sealed, destination, expires_at): FlowRow,
) -> SsoFlow {
    let purpose = match (purpose.as_str(), user_id) {
        ("link", Some(user_id)) => FlowPurpose::Link { user_id },
        _ => FlowPurpose::SignIn,
    };
    SsoFlow {
        state_hash,
        provider_id,
        browser_hash,
        purpose,
        nonce,
        pkce_verifier_sealed,
        destination,
        expires_at: Timestamp(expires_at),
    }
}

type OrgProviderRow = (i64, i64, String, String, String, String);

const ORG_PROVIDER_COLUMNS: &str = "org_id, provider_id, accounts_from, mfa, trust_email_from, create_from";

/// (organisation, how it allows the provider).
fn org_provider((org_id, provider_id, from, mfa, trust, create): OrgProviderRow) -> (i64, OrgProvider) {
    let list = |s: String| -> Vec<String> { s.split_whitespace().map(str::to_string).collect() };
    let mfa = ProviderMfa::from_id(&mfa).unwrap_or_default();
    (
        org_id,
        OrgProvider {
            provider_id,
            accounts_from: list(from),
            mfa,
            trust_email_from: list(trust),
            create_from: list(create),
        },
    )
}

type IdentityRow = (i64, i64, String, Option<String>, i64);

const IDENTITY_COLUMNS: &str = "provider_id, user_id, subject, email, linked_at";

fn identity((provider_id, user_id, subject, email, linked_at): IdentityRow) -> SsoIdentity {
    SsoIdentity { provider_id, user_id, subject, email, linked_at: Timestamp(linked_at) }
}

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
                .fetch_one(&mut *self.writer.lend().await?)
                .await
                .map_err(|e| Error::from_insert(e, "a sign-in provider with that name"))?;
                Ok(id)
            }

            async fn sso_providers(&self) -> Result<Vec<SsoProvider>> {
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, kind, name, issuer, client_id, client_secret_sealed, tenants, created_at \
                     FROM sso_providers ORDER BY id",
                )
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows.into_iter().map(provider).collect())
            }

            async fn remove_sso_provider(&self, name: &str) -> Result<bool> {
                let gone = sqlx::query("DELETE FROM sso_providers WHERE name_key = $1")
                    .bind(name_key(name))
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(gone.rows_affected() == 1)
            }

            async fn start_sso_flow(&self, f: &SsoFlow) -> Result<()> {
                let (purpose, user_id) = match f.purpose {
                    FlowPurpose::SignIn => ("sign_in", None),
                    FlowPurpose::Link { user_id } => ("link", Some(user_id)),
                };
                sqlx::query(&format!(
                    "INSERT INTO sso_flows ({FLOW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ))
                .bind(&f.state_hash)
                .bind(f.provider_id)
                .bind(&f.browser_hash)
                .bind(purpose)
                .bind(user_id)
                .bind(&f.nonce)
                .bind(&f.pkce_verifier_sealed)
                .bind(&f.destination)
                .bind(f.expires_at.0)
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(())
            }

            async fn take_sso_flow(
                &self,
                state_hash: &str,
                browser_hash: &str,
                now: Timestamp,
            ) -> Result<Option<SsoFlow>> {
                let row: Option<FlowRow> = sqlx::query_as(&format!(
                    "UPDATE sso_flows SET used_at = $2 WHERE state_hash = $1 AND browser_hash = $3 \
                     AND used_at IS NULL AND expires_at > $2 RETURNING {FLOW_COLUMNS}"
                ))
                .bind(state_hash)
                .bind(now.0)
                .bind(browser_hash)
                .fetch_optional(&mut *self.writer.lend().await?)
                .await?;
                Ok(row.map(flow))
            }

            async fn purge_sso_flows(&self, before: Timestamp) -> Result<u64> {
                let gone = sqlx::query("DELETE FROM sso_flows WHERE expires_at < $1")
                    .bind(before.0)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(gone.rows_affected())
            }

            async fn link_sso_identity(&self, i: &SsoIdentity) -> Result<()> {
                sqlx::query(&format!("INSERT INTO sso_identities ({IDENTITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"))
                    .bind(i.provider_id)
                    .bind(i.user_id)
                    .bind(&i.subject)
                    .bind(&i.email)
                    .bind(i.linked_at.0)
                    .execute(&mut *self.writer.lend().await?)
                    .await
                    .map_err(|e| Error::from_insert(e, "a link to that provider"))?;
                Ok(())
            }

            async fn sso_identity(&self, provider_id: i64, subject: &str) -> Result<Option<SsoIdentity>> {
                let row: Option<IdentityRow> = sqlx::query_as(&format!(
                    "SELECT {IDENTITY_COLUMNS} FROM sso_identities WHERE provider_id = $1 AND subject = $2"
                ))
                .bind(provider_id)
                .bind(subject)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                Ok(row.map(identity))
            }

            async fn sso_identities_of(&self, user_id: i64) -> Result<Vec<SsoIdentity>> {
                let rows: Vec<IdentityRow> = sqlx::query_as(&format!(
                    "SELECT {IDENTITY_COLUMNS} FROM sso_identities WHERE user_id = $1 ORDER BY provider_id"
                ))
                .bind(user_id)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows.into_iter().map(identity).collect())
            }

            async fn unlink_sso_identity(&self, user_id: i64, provider_id: i64) -> Result<bool> {
                let gone = sqlx::query("DELETE FROM sso_identities WHERE user_id = $1 AND provider_id = $2")
                    .bind(user_id)
                    .bind(provider_id)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(gone.rows_affected() == 1)
            }

            async fn set_org_sso_provider(
                &self,
                org_id: i64,
                provider_id: i64,
                setting: Option<&OrgProvider>,
                audit: &AuditEvent,
            ) -> Result<()> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                match setting {
                    Some(setting) => sqlx::query(
                        "INSERT INTO sso_org_providers (org_id, provider_id, accounts_from, mfa, trust_email_from, create_from) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, provider_id) DO UPDATE SET \
                             accounts_from = excluded.accounts_from, mfa = excluded.mfa, \
                             trust_email_from = excluded.trust_email_from, create_from = excluded.create_from",
                    )
                    .bind(org_id)
                    .bind(provider_id)
                    .bind(setting.accounts_from.join(" "))
                    .bind(setting.mfa.id())
                    .bind(setting.trust_email_from.join(" "))
                    .bind(setting.create_from.join(" "))
                    .execute(&mut *tx)
                    .await?,
                    None => {
                        sqlx::query("DELETE FROM sso_org_providers WHERE org_id = $1 AND provider_id = $2")
                            .bind(org_id)
                            .bind(provider_id)
                            .execute(&mut *tx)
                            .await?
                    }
                };
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn org_sso_providers(&self, org_id: i64) -> Result<Vec<OrgProvider>> {
                let rows: Vec<OrgProviderRow> = sqlx::query_as(&format!(
                    "SELECT {ORG_PROVIDER_COLUMNS} FROM sso_org_providers WHERE org_id = $1 ORDER BY provider_id"
                ))
                .bind(org_id)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows.into_iter().map(|r| org_provider(r).1).collect())
            }

            async fn orgs_allowing_sso_provider(&self, provider_id: i64) -> Result<Vec<(i64, OrgProvider)>> {
                let rows: Vec<OrgProviderRow> = sqlx::query_as(&format!(
                    "SELECT {ORG_PROVIDER_COLUMNS} FROM sso_org_providers WHERE provider_id = $1 ORDER BY org_id"
                ))
                .bind(provider_id)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows.into_iter().map(org_provider).collect())
            }

            async fn sso_required(&self, org_id: i64) -> Result<bool> {
                let row: Option<(bool,)> = sqlx::query_as("SELECT sso_required FROM organisations WHERE id = $1")
                    .bind(org_id)
                    .fetch_optional(&mut *self.reader.lend().await?)
                    .await?;
                Ok(row.is_some_and(|(required,)| required))
            }

            async fn set_sso_required(&self, org_id: i64, required: bool, audit: &AuditEvent) -> Result<()> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                sqlx::query("UPDATE organisations SET sso_required = $2 WHERE id = $1")
                    .bind(org_id)
                    .bind(required)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn offered_sso_providers(&self) -> Result<Vec<(i64, String)>> {
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT id, name FROM sso_providers p \
                     WHERE EXISTS (SELECT 1 FROM sso_org_providers o WHERE o.provider_id = p.id) ORDER BY id",
                )
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                Ok(rows)
            }
        }
    };
}

impl_sso_store!(SqliteStore);
impl_sso_store!(PgStore);
