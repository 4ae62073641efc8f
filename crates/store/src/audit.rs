//! The audit trail (`audit_log`): appended by each audited change inside its own
//! transaction ([`insert`]), read a page at a time in `seq` order, pruned past retention.
//!
//! `seq` increases in insertion order on both backends (SQLite's AUTOINCREMENT, a Postgres
//! sequence). On Postgres two transactions may commit in the other order than they drew
//! their `seq`; a reader paging with `after` could then pass a `seq` that commits a moment
//! later. Entries are never lost by that (they are in the table), and a reader that needs a
//! closed window reads with `until` a few seconds in the past.

use std::net::IpAddr;

use ciam_domain::audit::ports::AuditLog;
use ciam_domain::{
    Actor, AuditAction, AuditEvent, AuditQuery, AuditRecord, ClientId, Outcome, StoreError,
    UnixTime, UserId,
};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::audit_pg::{AuditColumns, AuditInsertStatement};
use crate::connection::AnyConnection;
use crate::error::store_error;
use crate::rows::corrupt;
use crate::schema::audit_log;
use crate::DieselStore;

/// An entry as its columns.
pub(crate) struct NewAuditRow<'a> {
    pub(crate) at: i64,
    pub(crate) actor_kind: &'static str,
    pub(crate) actor_id: Option<&'a str>,
    pub(crate) action: &'static str,
    pub(crate) user_id: Option<&'a str>,
    pub(crate) client_id: Option<&'a str>,
    pub(crate) target: Option<&'a str>,
    pub(crate) address: Option<String>,
    pub(crate) outcome: &'static str,
    pub(crate) reason: Option<&'a str>,
}

impl<'a> From<&'a AuditEvent> for NewAuditRow<'a> {
    fn from(event: &'a AuditEvent) -> Self {
        let (actor_kind, actor_id) = event.actor.parts();
        let (outcome, reason) = match &event.outcome {
            Outcome::Success => ("success", None),
            Outcome::Failure(reason) => ("failure", Some(reason.as_str())),
        };
        NewAuditRow {
            at: event.at.0,
            actor_kind,
            actor_id,
            action: event.action.as_str(),
            user_id: event.user_id.as_ref().map(UserId::as_str),
            client_id: event.client_id.as_ref().map(ClientId::as_str),
            target: event.target.as_deref(),
            address: event.address.map(|address| address.to_string()),
            outcome,
            reason,
        }
    }
}

#[derive(QueryableByName)]
#[diesel(table_name = audit_log)]
struct AuditRow {
    seq: i64,
    at: i64,
    actor_kind: String,
    actor_id: Option<String>,
    action: String,
    user_id: Option<String>,
    client_id: Option<String>,
    target: Option<String>,
    address: Option<String>,
    outcome: String,
    reason: Option<String>,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        let actor = Actor::from_parts(&row.actor_kind, row.actor_id.as_deref())
            .ok_or_else(|| corrupt("audit entry actor"))?;
        let action = AuditAction::parse(&row.action).ok_or_else(|| corrupt("audit action"))?;
        let outcome = match (row.outcome.as_str(), row.reason) {
            ("success", None) => Outcome::Success,
            ("failure", Some(reason)) => Outcome::Failure(reason),
            _ => return Err(corrupt("audit entry outcome")),
        };
        let address = row
            .address
            .map(|address| address.parse::<IpAddr>())
            .transpose()
            .map_err(|_| corrupt("audit entry address"))?;
        Ok(AuditRecord {
            seq: row.seq,
            event: AuditEvent {
                at: UnixTime(row.at),
                actor,
                action,
                user_id: row.user_id.map(UserId::new),
                client_id: row.client_id.map(ClientId::new),
                target: row.target,
                address,
                outcome,
            },
        })
    }
}

/// Writes `events` on `conn`: called inside the transaction of the change they record.
pub(crate) fn insert(
    conn: &mut AnyConnection,
    events: &[&AuditEvent],
) -> Result<(), diesel::result::Error> {
    match conn {
        AnyConnection::Sqlite(conn) => insert_sqlite(conn, events),
        AnyConnection::Postgres(conn) => {
            AuditInsertStatement(AuditColumns::new(events.iter().copied())).run(conn)
        }
    }
}

/// SQLite: one single-row statement per entry, prepared once per connection (diesel's
/// statement cache). SQLite runs in this process, so a row costs a step of a prepared
/// statement, where a multi-row `INSERT` of each new size was parsed anew: about a quarter
/// of the revocation writer's time (perf, docs/performance.md).
pub(crate) fn insert_sqlite(
    conn: &mut diesel::SqliteConnection,
    events: &[&AuditEvent],
) -> Result<(), diesel::result::Error> {
    use crate::schema::audit_log::dsl;
    for event in events {
        let row = NewAuditRow::from(*event);
        diesel::insert_into(audit_log::table)
            .values((
                dsl::at.eq(row.at),
                dsl::actor_kind.eq(row.actor_kind),
                dsl::actor_id.eq(row.actor_id),
                dsl::action.eq(row.action),
                dsl::user_id.eq(row.user_id),
                dsl::client_id.eq(row.client_id),
                dsl::target.eq(row.target),
                dsl::address.eq(row.address.as_deref()),
                dsl::outcome.eq(row.outcome),
                dsl::reason.eq(row.reason),
            ))
            .execute(conn)?;
    }
    Ok(())
}

const COLUMNS: &str =
    "seq, at, actor_kind, actor_id, action, user_id, client_id, target, address, outcome, reason";

impl AuditLog for DieselStore {
    fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        insert(&mut conn, &[event]).map_err(store_error)
    }

    fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1");
        let mut binds: Vec<Bind> = vec![];
        // The placeholder of a new bind parameter.
        let mut param = |bind: Bind| {
            binds.push(bind);
            format!("${}", binds.len())
        };
        if let Some(after) = query.after {
            sql.push_str(&format!(" AND seq > {}", param(Bind::Number(after))));
        }
        if let Some(since) = query.since {
            sql.push_str(&format!(" AND at >= {}", param(Bind::Number(since.0))));
        }
        if let Some(until) = query.until {
            sql.push_str(&format!(" AND at < {}", param(Bind::Number(until.0))));
        }
        // A user's entries: about them, or by them (`AuditQuery::matches`).
        if let Some(user) = &query.user {
            let about = param(Bind::text(user.as_str()));
            let by = param(Bind::text(user.as_str()));
            sql.push_str(&format!(
                " AND (user_id = {about} OR (actor_kind = 'user' AND actor_id = {by}))"
            ));
        }
        if let Some(client) = &query.client {
            let about = param(Bind::text(client.as_str()));
            let by = param(Bind::text(client.as_str()));
            sql.push_str(&format!(
                " AND (client_id = {about} \
                 OR (actor_kind IN ('client', 'admin_client') AND actor_id = {by}))"
            ));
        }
        if !query.actions.is_empty() {
            let names: Vec<String> = query
                .actions
                .iter()
                .map(|action| param(Bind::text(action.as_str())))
                .collect();
            sql.push_str(&format!(" AND action IN ({})", names.join(", ")));
        }
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        sql.push_str(&format!(
            " ORDER BY seq LIMIT {}",
            param(Bind::Number(limit))
        ));

        let mut statement = diesel::sql_query(sql).into_boxed();
        for bind in binds {
            statement = match bind {
                Bind::Number(value) => statement.bind::<BigInt, _>(value),
                Bind::Text(value) => statement.bind::<Text, _>(value),
            };
        }
        let rows: Vec<AuditRow> = statement.load(&mut *self.conn()?).map_err(store_error)?;
        rows.into_iter().map(AuditRecord::try_from).collect()
    }

    fn prune_audit(&self, before: UnixTime, batch: usize) -> Result<usize, StoreError> {
        // The bounded DELETE both backends accept: `IN (SELECT … LIMIT)`.
        diesel::sql_query(
            "DELETE FROM audit_log WHERE seq IN \
             (SELECT seq FROM audit_log WHERE at < $1 ORDER BY seq LIMIT $2)",
        )
        .bind::<BigInt, _>(before.0)
        .bind::<BigInt, _>(i64::try_from(batch).unwrap_or(i64::MAX))
        .execute(&mut *self.conn()?)
        .map_err(store_error)
    }
}

/// A bind parameter of the listing's statement, in placeholder order.
enum Bind {
    Number(i64),
    Text(String),
}

impl Bind {
    fn text(value: &str) -> Bind {
        Bind::Text(value.to_owned())
    }
}
