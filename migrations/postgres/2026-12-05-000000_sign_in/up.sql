-- Customer sign-in: clients' redirect URIs, users' profile claims, browser sessions and
-- authorization codes (RFC 6749 §4.1, OpenID Connect Core 1.0).

-- Space-delimited: a registered URI never contains a space.
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;

-- OpenID Connect Core §5.1 standard claims a user may have.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN name TEXT;

-- The session a grant was born in: logout revokes every grant of the session.
ALTER TABLE grants ADD COLUMN session_id TEXT;
CREATE INDEX grants_session_id ON grants (session_id);

-- A signed-in browser. `id` is public (the `sid` claim); the cookie carries a separate
-- secret, stored only as its SHA-256.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Single-use, short-lived, stored only as the code's SHA-256. `grant_id` is the grant its
-- exchange created, revoked if the code is presented again (RFC 6749 §4.1.2).
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    nonce TEXT,
    session_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    grant_id TEXT
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);
