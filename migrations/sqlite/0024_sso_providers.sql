-- The OpenID Connect providers people may sign in with (Google, Microsoft, or another by its
-- issuer), as the operator configured them. The client secret is sealed with the instance key,
-- like the TOTP secrets; names are unique whatever their case ("Sign in with NAME").
CREATE TABLE sso_providers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('google', 'microsoft', 'oidc')),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    -- Microsoft: the tenant ids whose work and school accounts may sign in, space-separated.
    tenants TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
