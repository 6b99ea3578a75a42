-- An organisation's own templates for the mails Tessera sends, one per kind of mail (its stable
-- id, such as 'password-reset'). A kind without a row uses Tessera's default.
CREATE TABLE mail_templates (
    org_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (org_id, kind)
);

-- Every save of a template, newest last: what the activity log shows as the version a change
-- replaced. A row with NULL bodies is a return to the default.
CREATE TABLE mail_template_versions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT,
    text_body TEXT,
    html_body TEXT,
    saved_at BIGINT NOT NULL,
    saved_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX mail_template_versions_kind ON mail_template_versions (org_id, kind, id);

-- What an editor previewed and has not saved yet, one per editor and kind, so that neither a
-- preview nor confirming it is them loses what they typed.
CREATE TABLE mail_template_drafts (
    org_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, kind)
);
