CREATE INDEX grants_subject ON grants (subject);
CREATE INDEX sessions_user_id ON sessions (user_id);
DROP INDEX sessions_user_id_id;
DROP INDEX grants_subject_id;
