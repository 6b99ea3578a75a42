-- Invitations have a lifecycle: the person who issued a one-time link is named on its page when
-- it has expired ("ask ... for a new one"). NULL for links issued at the command line.
ALTER TABLE one_time_tokens ADD COLUMN issued_by BIGINT;
-- The team list reads each pending member's latest link, and a new link revokes the older ones.
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
