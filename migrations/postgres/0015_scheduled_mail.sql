-- Optional mail a person turned off, one row per person and topic ('grace-reminders'). Security
-- mail has no topic: it cannot be turned off.
CREATE TABLE mail_opt_outs (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, topic)
);

-- Mail Tessera sends on its own schedule (grace-period reminders), one row per recipient, kind
-- and period ('7d@<deadline>'): inserting the row claims the period, so with several instances on
-- one database each mail is planned once. An instance takes a due row by setting claimed_until;
-- a mail server that is down puts next_attempt_at further off each time.
CREATE TABLE scheduled_mails (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    -- 'sent', 'skipped' (no longer due when its turn came) or 'failed' (gave up), once done.
    outcome TEXT,
    done_at BIGINT,
    UNIQUE (org_id, user_id, kind, period)
);
CREATE INDEX scheduled_mails_due ON scheduled_mails (next_attempt_at) WHERE outcome IS NULL;
