-- Temporary access codes. After an administrator resets the MFA of someone who must have MFA and
-- has no other way to prove a second factor, their next sign-in needs a code the administrator
-- hands over (by the channel they verified the person on), after the password and before they
-- may enrol again: a password alone, perhaps the phished one, is not enough. The row is the hold
-- and stays until they enrol; its code (kept as a keyed hash) works once, until expires_at. A new
-- code replaces the row's.
CREATE TABLE access_codes (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    issued_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- A new code on its way to the page that shows it once to the administrator who issued it
-- (sealed with the instance key, tied to their session, gone after ten minutes).
CREATE TABLE access_codes_to_show (
    session_hash TEXT PRIMARY KEY REFERENCES sessions (token_hash) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Whether an administrator may reset someone's MFA on a request verified only by email (flagged
-- in the activity log). Off: such a reset is refused.
ALTER TABLE organisations ADD COLUMN email_only_resets BOOLEAN NOT NULL DEFAULT FALSE;
