-- User self-service: password history and password resets.

-- The hashes a user's password had before its current one, stamped with when each was
-- replaced; a new password may not be one of the last CIAM_PASSWORD_HISTORY (the current
-- one counting as the first). Older rows are deleted in the transaction that adds one.
CREATE TABLE password_history (
    user_id TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, password_hash)
);
CREATE INDEX password_history_user_created ON password_history (user_id, created_at);

-- Single-use, short-lived, stored only as the code's SHA-256, like refresh tokens.
CREATE TABLE password_resets (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_expires_at ON password_resets (expires_at);
