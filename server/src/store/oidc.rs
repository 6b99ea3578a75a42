//! What Tessera issued to applications over OpenID Connect: grants (one sign-in of one person to
//! one application) and the codes and tokens issued from them (see `oidc`). Codes and tokens are
//! kept only as SHA-256 hashes; every use that spends one is a single conditional update, so two
//! requests racing with the same code or refresh token cannot both win.

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::store::AuditEvent;

/// A sign-in to an application, about to be granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    pub application_id: i64,
    pub user_id: i64,
    pub org_id: i64,
    pub scope: String,
    pub auth_time: Timestamp,
    /// RFC 8176 values, space-separated.
    pub amr: String,
    pub created_at: Timestamp,
}

/// A grant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: i64,
    pub application_id: i64,
    pub user_id: i64,
    pub org_id: i64,
    pub scope: String,
    pub auth_time: Timestamp,
    pub amr: String,
}

/// An authorisation code, about to be issued.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCode {
    pub code_hash: String,
    pub redirect_uri: String,
    /// The PKCE S256 challenge, where the application sent one.
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for NewCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCode").field("redirect_uri", &self.redirect_uri).finish_non_exhaustive()
    }
}

/// A code spent by this request: what it was bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentCode {
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub expires_at: Timestamp,
}

/// A token to store: its hash, kind and end.
#[derive(Clone, PartialEq, Eq)]
pub struct NewToken {
    pub token_hash: String,
    pub kind: TokenKind,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// What presenting a single-use code or refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spent<T> {
    /// This request spent it.
    Now(T),
    /// It was spent before: its grant (the id given) is revoked now, with everything issued
    /// from it.
    Again { grant_id: i64, user_id: i64, org_id: i64 },
    /// Unknown, expired, another application's, or its grant was revoked.
    Unknown,
}

#[async_trait]
pub trait OidcStore: Send + Sync {
    /// Records the grant and its first code, and `audit` (the sign-in to the application), all
    /// or nothing.
    async fn issue_code(&self, grant: &NewGrant, code: &NewCode, audit: &AuditEvent) -> Result<i64>;

    /// Spends the code `code_hash` if `application_id`'s and not spent before. Expiry is the
    /// caller's to check ([`SpentCode::expires_at`]), so that a late code is still spent.
    async fn spend_code(&self, code_hash: &str, application_id: i64, now: Timestamp) -> Result<Spent<SpentCode>>;

    /// Stores tokens issued from a live grant; `false` if the grant was revoked meanwhile (then
    /// nothing is stored).
    async fn add_tokens(&self, grant_id: i64, tokens: &[NewToken]) -> Result<bool>;

    /// Spends the refresh token `token_hash` of `application_id`, if live, and stores its
    /// successors in the same transaction.
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        application_id: i64,
        successors: &[NewToken],
        now: Timestamp,
    ) -> Result<Spent<Grant>>;

    /// The live grant behind a live token of `kind`.
    async fn grant_of_token(&self, token_hash: &str, kind: TokenKind, now: Timestamp) -> Result<Option<Grant>>;

    /// Revokes the grant behind the token `token_hash` if it is `application_id`'s (RFC 7009:
    /// revoking either token ends the other too). `false` if there was nothing to revoke.
    async fn revoke_grant_of_token(&self, token_hash: &str, application_id: i64, now: Timestamp) -> Result<bool>;

    /// Revokes every live grant of the person (a password change, an MFA reset, ...).
    async fn revoke_user_grants(&self, user_id: i64, now: Timestamp) -> Result<u64>;

    /// The applications the person signed in to since `since`, each with its latest sign-in,
    /// newest first.
    async fn recent_applications(
        &self,
        org_id: i64,
        user_id: i64,
        since: Timestamp,
    ) -> Result<Vec<(String, Timestamp)>>;

    /// Forgets codes and tokens that ended before `before`, and grants with nothing left.
    async fn purge_grants(&self, before: Timestamp) -> Result<u64>;
}
