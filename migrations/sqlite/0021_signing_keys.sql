-- The keys Tessera signs OpenID Connect ID tokens with. A row is one key: its id (the JWK `kid`),
-- algorithm (ES256 or RS256), private half (DER, sealed with the instance key and this kid), public
-- half as published (a JWK), when it was made, and when a newer key replaced it for signing (it
-- stays published until every token it signed has expired, then goes).
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    replaced_at BIGINT
);

-- One current key per algorithm, even when several instances make one at their first start.
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (alg) WHERE replaced_at IS NULL;
