-- Invitations have a lifecycle: the person who issued a one-time link is named on its page when
-- it has expired ("ask ... for a new one"). NULL for links issued at the command line.
ALTER TABLE one_time_tokens ADD COLUMN issued_by BIGINT;
