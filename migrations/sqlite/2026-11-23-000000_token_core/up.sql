-- ciam token core. Times are Unix seconds (BIGINT) so SQLite and Postgres share one schema.
-- Secrets are never stored: client secrets and refresh tokens as SHA-256 hex, passwords as
-- argon2id PHC strings.

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT,                 -- NULL for public clients
    grant_types TEXT NOT NULL,        -- space-delimited
    scope TEXT NOT NULL,              -- space-delimited, the most a token may carry
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A grant is one refresh-token family. It outlives its client so that its revocation stays
-- on record (and in the denylist) after the client is deleted.
CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    access_expires_at BIGINT NOT NULL, -- latest exp of any access token issued under it
    revoked_at BIGINT
);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX grants_live_revocations ON grants (access_expires_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);

-- Access tokens revoked one by one, kept until they would have expired anyway.
CREATE TABLE revoked_access_tokens (
    jti TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_at ON revoked_access_tokens (expires_at);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    private_key TEXT NOT NULL,        -- base64 PKCS#8 DER
    public_jwk TEXT NOT NULL,         -- JSON, as published in the JWKS
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
