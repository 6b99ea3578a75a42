-- The organisation's MFA policy, and an optional grace period before "required" is enforced.
ALTER TABLE organisations ADD COLUMN mfa_policy TEXT NOT NULL DEFAULT 'visible'
    CHECK (mfa_policy IN ('hidden', 'visible', 'required'));
ALTER TABLE organisations ADD COLUMN mfa_grace_until BIGINT;
-- Healthcare organisations always require MFA.
UPDATE organisations SET mfa_policy = 'required' WHERE kind = 'healthcare';
