-- "Allow email codes as a second factor": off until an owner turns it on. Never in force for
-- healthcare organisations, whatever is stored (they require an authenticator app).
ALTER TABLE organisations ADD COLUMN email_codes_allowed BOOLEAN NOT NULL DEFAULT FALSE;
