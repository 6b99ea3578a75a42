-- "Passwords expire after N days" (30 to 365), off (NULL) by default.
ALTER TABLE organisations ADD COLUMN password_max_age_days INTEGER;
-- When the password was last chosen; NULL means when the account was created.
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
