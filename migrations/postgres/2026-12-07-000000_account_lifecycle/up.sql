-- A disabled user cannot sign in, and grants created for them are stored revoked
-- (docs/accounts.md, "Disable, enable, delete"). NULL: enabled.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- The admin API searches users by username prefix with a byte-order range
-- (`username COLLATE "C" >= $prefix AND username COLLATE "C" < $successor`). The UNIQUE
-- constraint's index is in the database's collation, whose order is not byte order (a
-- linguistic collation does not keep the strings of one prefix together), so the range
-- gets an index of its own in "C" collation.
CREATE INDEX users_username_c ON users (username COLLATE "C");
