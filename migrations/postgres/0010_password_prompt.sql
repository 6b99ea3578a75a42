-- After a new password (a reset, or a change), the next full sign-in asks what to do about MFA:
-- keep the authenticator, set up a new one, or (where MFA is optional) nothing.
ALTER TABLE users ADD COLUMN password_prompt_pending BOOLEAN NOT NULL DEFAULT FALSE;
