-- Codes mailed as a second factor: six digits, kept only as a keyed hash bound to the session
-- (a half-finished sign-in, or a signed-in session proving itself again) they were sent for.
CREATE TABLE email_codes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_hash TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX email_codes_user ON email_codes (user_id, created_at);
CREATE INDEX email_codes_session ON email_codes (session_hash);
