-- The audit trail is appended in time order, so `at` rises with the table's physical order:
-- a BRIN index (a min and max per range of pages) answers its range reads (`since`/`until`
-- filters, pruning by age) as the B-tree did, and costs almost nothing per insert. The
-- B-tree it replaces was one of the 11 WAL records of every durable revocation
-- (docs/performance.md). SQLite has no BRIN and keeps its B-tree.
DROP INDEX audit_log_at;
CREATE INDEX audit_log_at ON audit_log USING brin (at);
