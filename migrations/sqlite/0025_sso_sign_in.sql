-- An account at a provider linked to a Tessera account, by the provider's own identifier for it
-- (the ID token's iss and sub, or for Microsoft its tid and oid), never by email: a later change
-- of address at the provider cannot reach another account. One link per provider and account.
CREATE TABLE sso_identities (
    id INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    -- The address the provider gave when it was linked, to show the person which account it is.
    email TEXT,
    linked_at BIGINT NOT NULL,
    UNIQUE (provider_id, subject),
    UNIQUE (provider_id, user_id)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- A sign-in (or a link) started at a provider and not yet back: kept server-side so that it holds
-- across instances. Only a hash of its state is kept; the browser that started it holds a random
-- binding (an HttpOnly cookie) whose hash must match; used once.
CREATE TABLE sso_flows (
    state_hash TEXT PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    browser_hash TEXT NOT NULL,
    -- 'sign_in', or 'link' for the signed-in user_id.
    purpose TEXT NOT NULL CHECK (purpose IN ('sign_in', 'link')),
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    pkce_verifier_sealed TEXT NOT NULL,
    -- Where a sign-in goes once done (one of Tessera's own pages, or an application's request).
    destination TEXT NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- The providers an organisation's people may sign in with (none until an owner or the operator
-- allows one).
CREATE TABLE sso_org_providers (
    org_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    provider_id INTEGER NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, provider_id)
);
