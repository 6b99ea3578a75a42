-- What Tessera hands applications when someone signs in to them over OpenID Connect.
--
-- A grant is one sign-in of one person to one application: every code and token issued from it
-- belongs to it, so revoking it (a code used twice, a refresh token replayed, the person's
-- password changed or MFA reset, the person disabled) kills them all at once.
CREATE TABLE oidc_grants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    -- When the person signed in (the ID token's auth_time), and how (its amr, space-separated).
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_grants_user ON oidc_grants (user_id) WHERE revoked_at IS NULL;

-- Authorisation codes: single-use, short-lived, bound to the redirect URI and the PKCE challenge
-- (S256 only). Only a SHA-256 of the code is kept.
CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    grant_id BIGINT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    nonce TEXT,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Access and refresh tokens, opaque to applications; only a SHA-256 of each is kept. A refresh
-- token is used once (used_at): its successor replaces it, and a second use revokes the grant.
CREATE TABLE oidc_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id BIGINT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);

-- The algorithm an application's ID tokens are signed with: RS256, the standard's default that
-- every library knows, unless the application is registered for ES256.
ALTER TABLE applications ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'RS256';
