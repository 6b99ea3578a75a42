-- Which roles may prove their second factor with an emailed code, where the organisation allows
-- email codes at all (organisations.email_codes_allowed). Existing roles keep what they had
-- (email codes were one switch for everyone); new organisations and new roles start with only
-- the roles that hold no permissions (see the store's role inserts).
ALTER TABLE roles ADD COLUMN email_codes BOOLEAN NOT NULL DEFAULT TRUE;
