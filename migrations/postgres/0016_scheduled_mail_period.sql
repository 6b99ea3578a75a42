-- "Was this week's digest planned in this organisation?" is asked for every organisation on
-- every scheduler run: one index lookup.
CREATE INDEX scheduled_mails_period ON scheduled_mails (org_id, kind, period);
