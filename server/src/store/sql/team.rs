//! The SQL of [`TeamStore`]: roles, memberships and the team list.

use async_trait::async_trait;

use super::{
    org_from_row, role_from_row, PgStore, RoleRow, SqliteStore, INSERT_MEMBERSHIP, INSERT_ROLE, ORG_COLUMNS,
    ROLE_COLUMNS,
};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{NewUser, Organisation, Role};
use crate::roles::{Permissions, RoleInfo};
use crate::store::{Adoption, AuditEvent, Cursor, Member, MemberFilter, NewAccessCode, Overview, TeamStore};

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: i64,
    email: String,
    email_canonical: String,
    display_name: String,
    disabled: bool,
    last_sign_in_at: Option<i64>,
    joined_at: i64,
    role_id: i64,
    role_builtin: Option<String>,
    role_name: String,
    role_permissions: String,
    role_requires_mfa: bool,
    role_email_codes: bool,
    totp_count: i64,
    pending: bool,
    invited_at: Option<i64>,
    invitation_expires_at: Option<i64>,
}

const MEMBER_COLUMNS: &str = "u.id AS user_id, u.email, u.email_canonical, u.display_name, u.disabled, \
     u.last_sign_in_at, m.created_at AS joined_at, r.id AS role_id, r.builtin AS role_builtin, r.name AS role_name, \
     r.permissions AS role_permissions, r.requires_mfa AS role_requires_mfa, r.email_codes AS role_email_codes, \
     (SELECT COUNT(*) FROM totp_credentials t WHERE t.user_id = u.id) AS totp_count, \
     u.password_hash IS NULL AS pending, \
     CASE WHEN u.password_hash IS NULL THEN (SELECT MAX(k.created_at) FROM one_time_tokens k \
          WHERE k.user_id = u.id AND k.purpose = 'set_password') END AS invited_at, \
     CASE WHEN u.password_hash IS NULL THEN (SELECT MAX(k.expires_at) FROM one_time_tokens k \
          WHERE k.user_id = u.id AND k.purpose = 'set_password') END AS invitation_expires_at \
     FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id";

/// The team list's filter: `$1` organisation, `$2` search pattern, `$3` role, `$4` MFA filter,
/// `$5` whether the organisation requires MFA of everyone.
const MEMBER_FILTER: &str = "m.org_id = $1 \
     AND ($2 IS NULL OR u.email_canonical LIKE $2 ESCAPE '\\' OR lower(u.display_name) LIKE $2 ESCAPE '\\') \
     AND ($3 IS NULL OR m.role_id = $3) \
     AND ($4 IS NULL \
          OR ($4 = 'enabled' AND EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id)) \
          OR ($4 = 'not_enabled' AND NOT EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id)) \
          OR ($4 = 'required' AND ($5 OR r.requires_mfa) \
              AND NOT EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id)))";

fn member_from_row(r: MemberRow) -> Result<Member> {
    Ok(Member {
        user_id: r.user_id,
        email: r.email,
        email_canonical: r.email_canonical,
        display_name: r.display_name,
        role: role_from_row((
            r.role_id,
            r.role_builtin,
            r.role_name,
            r.role_permissions,
            r.role_requires_mfa,
            r.role_email_codes,
        ))?,
        has_mfa: r.totp_count > 0,
        disabled: r.disabled,
        last_sign_in_at: r.last_sign_in_at.map(Timestamp),
        joined_at: Timestamp(r.joined_at),
        pending: r.pending,
        invited_at: r.invited_at.map(Timestamp),
        invitation_expires_at: r.invitation_expires_at.map(Timestamp),
    })
}

/// A search term as a LIKE pattern matching it anywhere, with LIKE's own characters escaped.
fn like_pattern(search: &str) -> String {
    let escaped = search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

macro_rules! impl_team_store {
    ($store:ty) => {
        #[async_trait]
        impl TeamStore for $store {
            async fn roles(&self, org_id: i64) -> Result<Vec<RoleInfo>> {
                let rows: Vec<RoleRow> = sqlx::query_as(&format!(
                    "SELECT {ROLE_COLUMNS} FROM roles r WHERE r.org_id = $1 \
                     ORDER BY CASE WHEN r.builtin IS NULL THEN 1 ELSE 0 END, r.id"
                ))
                .bind(org_id)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                rows.into_iter().map(role_from_row).collect()
            }

            async fn role(&self, org_id: i64, role_id: i64) -> Result<Option<RoleInfo>> {
                let row: Option<RoleRow> =
                    sqlx::query_as(&format!("SELECT {ROLE_COLUMNS} FROM roles r WHERE r.org_id = $1 AND r.id = $2"))
                        .bind(org_id)
                        .bind(role_id)
                        .fetch_optional(&mut *self.reader.lend().await?)
                        .await?;
                row.map(role_from_row).transpose()
            }

            async fn builtin_role(&self, org_id: i64, role: Role) -> Result<Option<RoleInfo>> {
                let row: Option<RoleRow> =
                    sqlx::query_as(&format!("SELECT {ROLE_COLUMNS} FROM roles r WHERE r.org_id = $1 AND r.builtin = $2"))
                        .bind(org_id)
                        .bind(role.as_str())
                        .fetch_optional(&mut *self.reader.lend().await?)
                        .await?;
                row.map(role_from_row).transpose()
            }

            async fn create_role(&self, org_id: i64, name: &str, permissions: Permissions, requires_mfa: bool, now: Timestamp) -> Result<i64> {
                let (id,): (i64,) = sqlx::query_as(INSERT_ROLE)
                    .bind(org_id)
                    .bind(None::<String>)
                    .bind(name)
                    .bind(name.to_lowercase())
                    .bind(permissions.to_ids())
                    .bind(requires_mfa)
                    .bind(now.0)
                    .bind(permissions.is_empty())
                    .fetch_one(&mut *self.writer.lend().await?)
                    .await
                    .map_err(|e| Error::from_insert(e, "a role with that name"))?;
                Ok(id)
            }

            async fn update_role(&self, org_id: i64, role_id: i64, permissions: Option<Permissions>, requires_mfa: bool) -> Result<bool> {
                // Built-in roles keep their permissions (defined in code); only custom ones change.
                let r = sqlx::query(
                    "UPDATE roles SET requires_mfa = $3, \
                     permissions = CASE WHEN builtin IS NULL AND $4 IS NOT NULL THEN $4 ELSE permissions END \
                     WHERE org_id = $1 AND id = $2",
                )
                .bind(org_id)
                .bind(role_id)
                .bind(requires_mfa)
                .bind(permissions.map(Permissions::to_ids))
                .execute(&mut *self.writer.lend().await?)
                .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn add_member(&self, org_id: i64, user: &NewUser, role_id: i64, now: Timestamp) -> Result<i64> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                let user_id = Self::insert_user(&mut tx, user, now).await?;
                sqlx::query(INSERT_MEMBERSHIP)
                    .bind(org_id)
                    .bind(user_id)
                    .bind(role_id)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(user_id)
            }

            async fn members(&self, org_id: i64, filter: &MemberFilter, org_requires_mfa: bool, cursor: &Cursor, limit: i64) -> Result<(Vec<Member>, i64)> {
                let pattern = filter.search.as_deref().map(like_pattern);
                let mfa = filter.mfa.map(|f| f.as_str());
                let (key, cmp, order) = match cursor {
                    Cursor::First => (None, ">", "ASC"),
                    Cursor::After(k) => (Some(k.as_str()), ">", "ASC"),
                    Cursor::Before(k) => (Some(k.as_str()), "<", "DESC"),
                };
                let sql = format!(
                    "SELECT {MEMBER_COLUMNS} WHERE {MEMBER_FILTER} AND ($6 IS NULL OR u.email_canonical {cmp} $6) \
                     ORDER BY u.email_canonical {order} LIMIT $7"
                );
                let rows: Vec<MemberRow> = sqlx::query_as(&sql)
                    .bind(org_id)
                    .bind(pattern.as_deref())
                    .bind(filter.role_id)
                    .bind(mfa)
                    .bind(org_requires_mfa)
                    .bind(key)
                    .bind(limit)
                    .fetch_all(&mut *self.reader.lend().await?)
                    .await?;
                let mut members = rows.into_iter().map(member_from_row).collect::<Result<Vec<_>>>()?;
                if matches!(cursor, Cursor::Before(_)) {
                    members.reverse();
                }
                let (total,): (i64,) = sqlx::query_as(&format!(
                    "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id \
                     WHERE {MEMBER_FILTER}"
                ))
                .bind(org_id)
                .bind(pattern.as_deref())
                .bind(filter.role_id)
                .bind(mfa)
                .bind(org_requires_mfa)
                .fetch_one(&mut *self.reader.lend().await?)
                .await?;
                Ok((members, total))
            }

            async fn pending_members(&self, org_id: i64) -> Result<Vec<Member>> {
                let rows: Vec<MemberRow> = sqlx::query_as(&format!(
                    "SELECT {MEMBER_COLUMNS} WHERE m.org_id = $1 AND u.password_hash IS NULL ORDER BY u.email_canonical"
                ))
                .bind(org_id)
                .fetch_all(&mut *self.reader.lend().await?)
                .await?;
                rows.into_iter().map(member_from_row).collect()
            }

            async fn pending_count(&self, org_id: i64) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.org_id = $1 AND u.password_hash IS NULL",
                )
                .bind(org_id)
                .fetch_one(&mut *self.reader.lend().await?)
                .await?;
                Ok(n)
            }

            async fn org_overview(&self, org_id: i64, org_requires_mfa: bool, logged: (&str, &str)) -> Result<Overview> {
                // One row: the organisation's, beside the adoption counts (an aggregate, so
                // exactly one row even for an organisation without members).
                let row: Option<(i64, i64, i64, bool, i32, i32, String)> = sqlx::query_as(
                    "SELECT x.members, x.enabled, x.required_not_enrolled, \
                            EXISTS (SELECT 1 FROM audit_events a WHERE a.org_id = o.id AND a.action = $3 AND a.outcome = $4), \
                            o.business_start_minute, o.business_end_minute, o.time_zone \
                     FROM organisations o CROSS JOIN \
                          (SELECT COUNT(*) AS members, \
                                  COALESCE(SUM(CASE WHEN y.has_mfa THEN 1 ELSE 0 END), 0) AS enabled, \
                                  COALESCE(SUM(CASE WHEN NOT y.has_mfa AND ($2 OR y.requires_mfa) THEN 1 ELSE 0 END), 0) \
                                      AS required_not_enrolled \
                           FROM (SELECT r.requires_mfa, \
                                        EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id) AS has_mfa \
                                 FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id \
                                 WHERE m.org_id = $1 AND NOT u.disabled) y) x \
                     WHERE o.id = $1",
                )
                .bind(org_id)
                .bind(org_requires_mfa)
                .bind(logged.0)
                .bind(logged.1)
                .fetch_optional(&mut *self.reader.lend().await?)
                .await?;
                let (members, enabled, required_not_enrolled, logged, start_minute, end_minute, zone) =
                    row.ok_or(Error::NotFound("organisation"))?;
                Ok(Overview {
                    adoption: Adoption { members, enabled, required_not_enrolled },
                    logged,
                    hours: super::orgs::business_hours_of(start_minute, end_minute, &zone),
                })
            }

            async fn member(&self, org_id: i64, user_id: i64) -> Result<Option<Member>> {
                let row: Option<MemberRow> =
                    sqlx::query_as(&format!("SELECT {MEMBER_COLUMNS} WHERE m.org_id = $1 AND m.user_id = $2"))
                        .bind(org_id)
                        .bind(user_id)
                        .fetch_optional(&mut *self.reader.lend().await?)
                        .await?;
                row.map(member_from_row).transpose()
            }

            async fn reset_member_mfa(
                &self,
                org_id: i64,
                user_id: i64,
                role_id: i64,
                hold: Option<&NewAccessCode>,
                event: &AuditEvent,
            ) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                // The rules ran against this role: if it changed since, nothing happens and they
                // must run again. One statement, so the check and the removal cannot be split.
                let had = sqlx::query(
                    "DELETE FROM totp_credentials WHERE user_id = $2 AND EXISTS \
                     (SELECT 1 FROM memberships m WHERE m.org_id = $1 AND m.user_id = $2 AND m.role_id = $3)",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(role_id)
                .execute(&mut *tx)
                .await?;
                if had.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM totp_pending WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                Self::revoke_grants_in(&mut *tx, user_id, event.occurred_at).await?;
                if let Some(code) = hold {
                    Self::insert_access_code(&mut *tx, user_id, code, event.occurred_at).await?;
                }
                Self::insert_audit(&mut *tx, event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn revoke_invitation(&self, org_id: i64, user_id: i64, event: &AuditEvent) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                // Kept for the activity log first (undone with the rest if the account stays).
                sqlx::query(
                    "INSERT INTO former_accounts (user_id, email, email_canonical, display_name, deleted_at) \
                     SELECT id, email, email_canonical, display_name, $2 FROM users WHERE id = $1 \
                     ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, \
                     email_canonical = excluded.email_canonical, display_name = excluded.display_name, \
                     deleted_at = excluded.deleted_at",
                )
                .bind(user_id)
                .bind(event.occurred_at.0)
                .execute(&mut *tx)
                .await?;
                // One statement: someone who chose their password a moment ago keeps the account.
                let r = sqlx::query(
                    "DELETE FROM users WHERE id = $1 AND password_hash IS NULL \
                     AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = $1 AND m.org_id = $2)",
                )
                .bind(user_id)
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
                if r.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_audit(&mut *tx, event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn correct_member_email(
                &self,
                org_id: i64,
                user_id: i64,
                role_id: i64,
                email: &crate::model::Email,
                event: &AuditEvent,
                now: Timestamp,
            ) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                // The rules ran against `role_id`: a member whose role changed since is left alone.
                let moved = sqlx::query(
                    "UPDATE users SET email = $3, email_canonical = $4, updated_at = $5 WHERE id = $2 \
                     AND EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = $1 AND m.user_id = $2 AND m.role_id = $6)",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(&email.display)
                .bind(&email.canonical)
                .bind(now.0)
                .bind(role_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::from_insert(e, "an account with that email"))?;
                if moved.rows_affected() != 1 {
                    return Ok(false);
                }
                // Whatever went to the old address, or was opened with it, ends here.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                Self::revoke_grants_in(&mut *tx, user_id, now).await?;
                for purpose in [crate::store::TokenPurpose::ResetPassword, crate::store::TokenPurpose::SetPassword] {
                    Self::revoke_tokens_in(&mut *tx, purpose, Some(user_id), now).await?;
                }
                sqlx::query("DELETE FROM email_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("UPDATE email_changes SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
                    .bind(user_id)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit(&mut *tx, event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_member_role(&self, org_id: i64, user_id: i64, from_role: i64, role_id: i64) -> Result<bool> {
                // The composite foreign key refuses a role of another organisation; the rules ran
                // against `from_role`, so a role changed since means nothing happens here.
                let r = sqlx::query("UPDATE memberships SET role_id = $4 WHERE org_id = $1 AND user_id = $2 AND role_id = $3")
                    .bind(org_id)
                    .bind(user_id)
                    .bind(from_role)
                    .bind(role_id)
                    .execute(&mut *self.writer.lend().await?)
                    .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn set_member_disabled(&self, org_id: i64, user_id: i64, role_id: i64, disabled: bool, now: Timestamp) -> Result<bool> {
                let mut lent = self.writer.lend().await?;
                let mut tx = sqlx::Connection::begin(&mut *lent).await?;
                // One statement: the check of the role the rules ran against and the change.
                let r = sqlx::query(
                    "UPDATE users SET disabled = $3, updated_at = $4 WHERE id = $2 \
                     AND EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = $1 AND m.user_id = $2 AND m.role_id = $5)",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(disabled)
                .bind(now.0)
                .bind(role_id)
                .execute(&mut *tx)
                .await?;
                if r.rows_affected() != 1 {
                    return Ok(false);
                }
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                Self::revoke_grants_in(&mut *tx, user_id, now).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn primary_membership(&self, user_id: i64) -> Result<Option<(Organisation, RoleInfo)>> {
                let row: Option<(i64, String, String, i64, String, Option<i64>, bool, Option<i32>, i64, Option<String>, String, String, bool, bool)> =
                    sqlx::query_as(&format!(
                        "SELECT {ORG_COLUMNS}, {ROLE_COLUMNS} \
                         FROM memberships m JOIN organisations o ON o.id = m.org_id JOIN roles r ON r.id = m.role_id \
                         WHERE m.user_id = $1 ORDER BY m.created_at, o.id LIMIT 1"
                    ))
                    .bind(user_id)
                    .fetch_optional(&mut *self.reader.lend().await?)
                    .await?;
                match row {
                    None => Ok(None),
                    Some((id, name, kind, created_at, policy, grace, email, max_age, rid, builtin, rname, perms, requires, email_codes)) => Ok(Some((
                        org_from_row((id, name, kind, created_at, policy, grace, email, max_age))?,
                        role_from_row((rid, builtin, rname, perms, requires, email_codes))?,
                    ))),
                }
            }
        }
    };
}

impl_team_store!(SqliteStore);
impl_team_store!(PgStore);
