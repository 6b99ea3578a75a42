-- The same table as PostgreSQL's, kept so both schemas read alike; one process serves a SQLite
-- database, so its per-IP limits stay in that process's memory and this table stays empty.
CREATE TABLE shared_limits (
    bucket TEXT PRIMARY KEY,
    credit_ms BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
