-- Password reset links are one-time links of a third purpose. SQLite cannot change a CHECK in
-- place, so the table is rebuilt with its rows and index.
CREATE TABLE one_time_tokens_new (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'set_password', 'reset_password')),
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    issued_by BIGINT
);
INSERT INTO one_time_tokens_new (token_hash, purpose, user_id, created_at, expires_at, used_at, issued_by)
    SELECT token_hash, purpose, user_id, created_at, expires_at, used_at, issued_by FROM one_time_tokens;
DROP TABLE one_time_tokens;
ALTER TABLE one_time_tokens_new RENAME TO one_time_tokens;
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
