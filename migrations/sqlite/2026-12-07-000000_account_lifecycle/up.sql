-- A disabled user cannot sign in, and grants created for them are stored revoked
-- (docs/accounts.md, "Disable, enable, delete"). NULL: enabled.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- The admin API searches users by username prefix with a range on username
-- (`username >= $prefix AND username < $successor`). SQLite's UNIQUE constraint already
-- keeps an index on username in BINARY (byte) order, which is the order the range needs:
-- no further index here. Paging is by the primary key.
