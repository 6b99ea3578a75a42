-- The per-IP limits every instance on this database shares: one token bucket per purpose and
-- address ("sign-in:192.0.2.7"), its credit in milliseconds of refill time. Rows untouched for
-- longer than a full refill are purged (they are full again by then).
CREATE TABLE shared_limits (
    bucket TEXT PRIMARY KEY,
    credit_ms BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
