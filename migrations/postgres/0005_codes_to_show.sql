-- Recovery codes between the request that made them and the page that shows them (so that page
-- is reached by a redirect and survives a reload): sealed with the instance key, tied to the
-- session that asked, shown once, and gone after ten minutes or with the session.
CREATE TABLE codes_to_show (
    session_hash TEXT PRIMARY KEY REFERENCES sessions (token_hash) ON DELETE CASCADE,
    -- a new set replacing an older one, rather than the first set of an enrolment
    regenerated BOOLEAN NOT NULL,
    codes_sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
