-- The admin API lists a user's sessions and grants a page at a time, in id order after a
-- cursor (keyset paging): an index on (owner, id) serves `owner = ? AND id > ? ORDER BY id
-- LIMIT n` without reading or sorting the owner's other rows. It also serves every lookup
-- by owner alone that the single-column indexes served (bulk revocation), so they go.
CREATE INDEX grants_subject_id ON grants (subject, id);
CREATE INDEX sessions_user_id_id ON sessions (user_id, id);
DROP INDEX grants_subject;
DROP INDEX sessions_user_id;
