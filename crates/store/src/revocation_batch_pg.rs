//! Postgres: a batch of access-token revocations and their audit entries as one prepared
//! statement.
//!
//! Each column travels as one array parameter and `unnest` turns the arrays back into
//! rows, so the text of the statement is the same for every batch size: Postgres parses and
//! plans it once per connection (diesel's statement cache), where a `VALUES` list written
//! out for each batch (14 parameters a row) was parsed and planned on every batch, a good
//! part of the statement's time (perf, docs/performance.md).

use ciam_domain::ports::AccessTokenRevocation;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Text};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

use crate::audit_pg::AuditColumns;

/// `INSERT … ON CONFLICT (jti) DO NOTHING` of the revocations, then their audit entries,
/// in one data-modifying `WITH`: a single statement is atomic on its own, so it needs no
/// `BEGIN` and `COMMIT` of its own (one round trip, its commit included).
pub(crate) struct RevocationBatchStatement<'a> {
    jti: Vec<&'a str>,
    client_id: Vec<&'a str>,
    expires_at: Vec<i64>,
    revoked_at: Vec<i64>,
    audit: AuditColumns<'a>,
}

impl<'a> RevocationBatchStatement<'a> {
    pub(crate) fn new(batch: &'a [AccessTokenRevocation]) -> RevocationBatchStatement<'a> {
        RevocationBatchStatement {
            jti: batch.iter().map(|row| row.jti.as_str()).collect(),
            client_id: batch.iter().map(|row| row.client_id.as_str()).collect(),
            expires_at: batch.iter().map(|row| row.until.0).collect(),
            revoked_at: batch.iter().map(|row| row.revoked_at.0).collect(),
            audit: AuditColumns::new(batch.iter().map(|row| &row.audit)),
        }
    }

    pub(crate) fn run(self, conn: &mut PgConnection) -> QueryResult<()> {
        RunQueryDsl::execute(self, conn).map(drop)
    }
}

impl QueryFragment<Pg> for RevocationBatchStatement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH revoked AS (INSERT INTO revoked_access_tokens \
             (jti, client_id, expires_at, revoked_at) SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.jti)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.client_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.expires_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.revoked_at)?;
        out.push_sql(") ON CONFLICT (jti) DO NOTHING) ");
        self.audit.walk_insert(out.reborrow())
    }
}

impl QueryId for RevocationBatchStatement<'_> {
    type QueryId = RevocationBatchStatement<'static>;
    // The same text whatever the batch: one prepared statement per connection.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl RunQueryDsl<PgConnection> for RevocationBatchStatement<'_> {}
