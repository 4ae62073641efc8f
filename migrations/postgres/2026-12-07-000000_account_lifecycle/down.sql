DROP INDEX users_username_c;
ALTER TABLE users DROP COLUMN disabled_at;
