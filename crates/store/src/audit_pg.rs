//! Postgres: audit entries inserted as column arrays, by one statement whose text is the
//! same however many entries it carries (prepared once per connection, see
//! `revocation_batch_pg`).

use ciam_domain::AuditEvent;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

use crate::audit::NewAuditRow;

/// The columns of some audit entries, one array each, in the entries' order.
pub(crate) struct AuditColumns<'a> {
    at: Vec<i64>,
    actor_kind: Vec<&'static str>,
    actor_id: Vec<Option<&'a str>>,
    action: Vec<&'static str>,
    user_id: Vec<Option<&'a str>>,
    client_id: Vec<Option<&'a str>>,
    target: Vec<Option<&'a str>>,
    address: Vec<Option<String>>,
    outcome: Vec<&'static str>,
    reason: Vec<Option<&'a str>>,
}

impl<'a> AuditColumns<'a> {
    pub(crate) fn new(events: impl ExactSizeIterator<Item = &'a AuditEvent>) -> AuditColumns<'a> {
        let rows = events.len();
        let mut columns = AuditColumns {
            at: Vec::with_capacity(rows),
            actor_kind: Vec::with_capacity(rows),
            actor_id: Vec::with_capacity(rows),
            action: Vec::with_capacity(rows),
            user_id: Vec::with_capacity(rows),
            client_id: Vec::with_capacity(rows),
            target: Vec::with_capacity(rows),
            address: Vec::with_capacity(rows),
            outcome: Vec::with_capacity(rows),
            reason: Vec::with_capacity(rows),
        };
        for event in events {
            let row = NewAuditRow::from(event);
            columns.at.push(row.at);
            columns.actor_kind.push(row.actor_kind);
            columns.actor_id.push(row.actor_id);
            columns.action.push(row.action);
            columns.user_id.push(row.user_id);
            columns.client_id.push(row.client_id);
            columns.target.push(row.target);
            columns.address.push(row.address);
            columns.outcome.push(row.outcome);
            columns.reason.push(row.reason);
        }
        columns
    }

    /// `INSERT INTO audit_log … SELECT … FROM unnest(…)`, the entries in their order (so
    /// their `seq` follows it).
    pub(crate) fn walk_insert<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO audit_log (at, actor_kind, actor_id, action, user_id, client_id, \
             target, address, outcome, reason) \
             SELECT at, actor_kind, actor_id, action, user_id, client_id, target, address, \
             outcome, reason FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.actor_kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.actor_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.action)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.client_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.target)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.address)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.outcome)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.reason)?;
        out.push_sql(
            ") WITH ORDINALITY AS entry (at, actor_kind, actor_id, action, user_id, client_id, \
             target, address, outcome, reason, position) ORDER BY position",
        );
        Ok(())
    }
}

/// Audit entries on their own (the change they record is written by its own statements,
/// in the same transaction).
pub(crate) struct AuditInsertStatement<'a>(pub(crate) AuditColumns<'a>);

impl AuditInsertStatement<'_> {
    pub(crate) fn run(self, conn: &mut PgConnection) -> QueryResult<()> {
        RunQueryDsl::execute(self, conn).map(drop)
    }
}

impl QueryFragment<Pg> for AuditInsertStatement<'_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_insert(out)
    }
}

impl QueryId for AuditInsertStatement<'_> {
    type QueryId = AuditInsertStatement<'static>;
    // The same text however many entries: one prepared statement per connection.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl RunQueryDsl<PgConnection> for AuditInsertStatement<'_> {}
