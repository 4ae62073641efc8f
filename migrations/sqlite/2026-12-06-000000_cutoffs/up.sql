-- Not-before cut-offs: revoking everything of a user (`kind` 'sub', `id` the subject) or of
-- a client (`kind` 'cid', `id` the client id) at `cutoff` refuses every access token of
-- theirs with `iat` at or before it. `until` is when no token it covers can still be live:
-- then the row can go.
CREATE TABLE revocation_cutoffs (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    cutoff BIGINT NOT NULL,
    until BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX revocation_cutoffs_until ON revocation_cutoffs (until);

-- What a bulk revocation finds by user: their grants, sessions and unused codes.
CREATE INDEX grants_subject ON grants (subject);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX authorization_codes_user_id ON authorization_codes (user_id);
CREATE INDEX authorization_codes_client_id ON authorization_codes (client_id);
