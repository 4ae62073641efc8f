-- Pruning (RevocationStore::prune_expired) finds expired rows by these, in batches, instead
-- of scanning the tables. Expired revoked access tokens already have
-- revoked_access_tokens_expires_at; grants_live_revocations covers revoked grants only.
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
CREATE INDEX grants_access_expires_at ON grants (access_expires_at);
