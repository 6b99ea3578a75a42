-- Roles and permissions. Every organisation has the four built-in roles (their permissions are
-- fixed in code) and may add custom ones (permissions listed here). Any role may demand MFA.

CREATE TABLE roles (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
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

ALTER TABLE memberships ADD COLUMN role_id BIGINT;
UPDATE memberships m SET role_id = r.id FROM roles r WHERE r.org_id = m.org_id AND r.builtin = m.role;
ALTER TABLE memberships ALTER COLUMN role_id SET NOT NULL;
-- a member's role always belongs to the member's own organisation
ALTER TABLE memberships ADD FOREIGN KEY (role_id, org_id) REFERENCES roles (id, org_id);
ALTER TABLE memberships DROP COLUMN role;
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
