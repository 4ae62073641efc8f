DROP INDEX authorization_codes_client_id;
DROP INDEX authorization_codes_user_id;
DROP INDEX sessions_user_id;
DROP INDEX grants_subject;
DROP TABLE revocation_cutoffs;
