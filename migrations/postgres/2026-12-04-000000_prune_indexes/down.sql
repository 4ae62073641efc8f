DROP INDEX grants_access_expires_at;
DROP INDEX refresh_tokens_expires_at;
