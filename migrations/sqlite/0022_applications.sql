-- The organisation's own applications (its wiki, Grafana, its web app) that send their people to
-- Tessera to sign in over OpenID Connect. client_id is public and unique across organisations; a
-- confidential application's secret is kept only as a keyed hash (shown once when it is made or
-- replaced); a public one has none and must use PKCE. Redirect URIs are compared as exact strings.
CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_canonical TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    secret_hash TEXT,
    require_mfa BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name_canonical)
);

-- Where an application may be sent back to: after sign-in (redirect) or after sign-out (logout).
CREATE TABLE application_uris (
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('redirect', 'logout')),
    uri TEXT NOT NULL,
    PRIMARY KEY (application_id, purpose, uri)
);

-- The roles whose people may use an application; none listed: everyone in the organisation.
CREATE TABLE application_roles (
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, role_id)
);
