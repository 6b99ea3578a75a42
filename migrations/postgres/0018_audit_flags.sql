-- The activity log's flags of an event (for example an MFA reset outside business hours),
-- worked out when the event is recorded, under the business hours and time zone then in force,
-- so that a later change of either does not re-flag history. Comma-separated flag ids; empty:
-- looked at and nothing to flag; NULL: recorded before flags were stored (worked out when shown).
ALTER TABLE audit_events ADD COLUMN flags TEXT;
