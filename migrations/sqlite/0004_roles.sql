-- Roles and permissions. Every organisation has the four built-in roles (their permissions are
-- fixed in code) and may add custom ones (permissions listed here). Any role may demand MFA.

CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    builtin TEXT CHECK (builtin IN ('owner', 'admin', 'helpdesk', 'member')),
    name TEXT NOT NULL,
    name_canonical TEXT NOT NULL,
    -- comma-separated permission ids of a custom role; empty for built-in roles
    permissions TEXT NOT NULL DEFAULT '',
    requires_mfa BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name_canonical),
    UNIQUE (org_id, builtin),
    -- lets a membership's role be checked against the membership's organisation
    UNIQUE (id, org_id)
);

INSERT INTO roles (org_id, builtin, name, name_canonical, created_at)
SELECT o.id, b.builtin, b.name, lower(b.name), o.created_at
FROM organisations o
CROSS JOIN (
    SELECT 'owner' AS builtin, 'Owner' AS name
    UNION ALL SELECT 'admin', 'Administrator'
    UNION ALL SELECT 'helpdesk', 'Help desk'
    UNION ALL SELECT 'member', 'Member'
) b;

-- memberships.role (text) becomes role_id; SQLite cannot change a CHECK in place, so the table is
-- rebuilt. Nothing references memberships.
CREATE TABLE memberships_new (
    org_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id),
    -- a member's role always belongs to the member's own organisation
    FOREIGN KEY (role_id, org_id) REFERENCES roles (id, org_id)
);
INSERT INTO memberships_new (org_id, user_id, role_id, created_at)
SELECT m.org_id, m.user_id, r.id, m.created_at
FROM memberships m JOIN roles r ON r.org_id = m.org_id AND r.builtin = m.role;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;
CREATE INDEX memberships_user ON memberships (user_id);
CREATE INDEX memberships_role ON memberships (role_id);

-- For the team list.
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;

-- Why an administrator did something (typed by them, e.g. a ticket number).
ALTER TABLE audit_events ADD COLUMN reason TEXT;
CREATE INDEX audit_events_org_action_target ON audit_events (org_id, action, target_user_id, occurred_at);

-- The organisation's business hours (minutes after local midnight, Monday to Friday) and its UTC
-- offset: the activity log shows local times and flags resets outside these hours.
ALTER TABLE organisations ADD COLUMN business_start_minute INTEGER NOT NULL DEFAULT 480;
ALTER TABLE organisations ADD COLUMN business_end_minute INTEGER NOT NULL DEFAULT 1080;
ALTER TABLE organisations ADD COLUMN utc_offset_minutes INTEGER NOT NULL DEFAULT 0;
