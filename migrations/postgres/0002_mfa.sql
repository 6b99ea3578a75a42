-- Authenticator-app MFA and recovery codes.

CREATE TABLE totp_credentials (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- sealed with the instance key (XChaCha20-Poly1305), never stored in the clear
    secret_sealed TEXT NOT NULL,
    enabled_at BIGINT NOT NULL,
    -- the newest time step a code was accepted for: older and equal steps are replays
    last_used_step BIGINT NOT NULL DEFAULT -1
);

-- A secret shown but not yet confirmed with a code; the latest one only, for 10 minutes.
CREATE TABLE totp_pending (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- keyed hash (HMAC-SHA256 with the instance key, bound to the user)
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- When this session last proved a second factor (step-up freshness).
ALTER TABLE sessions ADD COLUMN second_factor_at BIGINT;
