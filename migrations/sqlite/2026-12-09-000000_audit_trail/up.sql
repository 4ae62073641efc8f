-- The audit trail: one row per revocation, sign-in, password change or reset, user or
-- client change and key rotation, written in the transaction of the change it records.
-- Append-only: the application never updates a row (a trigger refuses it) and deletes only
-- rows older than CIAM_AUDIT_RETENTION. Ids and fixed codes only: never a secret.
--
-- actor_kind: user | client | admin_client | cli | anonymous | system, with actor_id the
-- user or client id (NULL for the last three). outcome: success | failure, with reason the
-- failure's code. address: the TCP peer of the request, when it came over HTTP.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    user_id TEXT,
    client_id TEXT,
    target TEXT,
    address TEXT,
    outcome TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, seq);
CREATE INDEX audit_log_client ON audit_log (client_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit entries are never changed');
END;
