//! Durable access-token revocations, a batch per statement.
//!
//! The domain gathers concurrent revocations into one batch (its revocation queue), so
//! that one commit (one disk flush: SQLite with `synchronous=FULL`, Postgres with `fsync`
//! on) serves them all. Here a batch is written atomically, with its audit entries.
//!
//! Batches go through one connection of their own, outside the pool: a pooled checkout runs
//! a liveness query first (r2d2's `test_on_check_out`), which on Postgres is a second round
//! trip and a second transaction before every batch (docs/performance.md). Callers take
//! turns on it; the domain has one batch in flight at a time anyway.

use std::sync::Mutex;

use ciam_domain::ports::AccessTokenRevocation;
use ciam_domain::{AuditEvent, StoreError};
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, ExpressionMethods, RunQueryDsl};

use crate::connection::{AnyConnection, Manager};
use crate::error::store_error;

/// Rows per statement: 4 bind parameters each, well under SQLite's and Postgres's limits.
const MAX_BATCH: usize = 256;

/// The connection revocation batches are written on.
pub(crate) struct RevocationWriter {
    manager: Manager,
    /// Opened on first use, and again after an error.
    conn: Mutex<Option<AnyConnection>>,
}

impl RevocationWriter {
    pub(crate) fn new(manager: Manager) -> RevocationWriter {
        RevocationWriter {
            manager,
            conn: Mutex::new(None),
        }
    }

    /// Returns once every row of `batch` and its audit entry are committed (a row may have
    /// been stored already: idempotent; the entry records this request all the same).
    pub(crate) fn revoke(&self, batch: &[AccessTokenRevocation]) -> Result<(), StoreError> {
        // A panic while it was held may have left the connection half-way through a
        // statement: start again on a new one.
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| {
            self.conn.clear_poison();
            let mut conn = poisoned.into_inner();
            *conn = None;
            conn
        });
        for chunk in batch.chunks(MAX_BATCH) {
            commit(&self.manager, &mut conn, chunk)?;
        }
        Ok(())
    }
}

/// Commits `batch` on the writer's connection, opening one if it has none. A connection kept
/// from an earlier batch may have died since (a database restart): after a failure on it the
/// batch runs once more on a new one. That is safe because the insert is idempotent, even
/// if the first attempt committed and only its answer was lost (the batch's audit entries
/// are then written twice: the trail may repeat an entry, never miss one).
fn commit(
    manager: &Manager,
    conn: &mut Option<AnyConnection>,
    batch: &[AccessTokenRevocation],
) -> Result<(), StoreError> {
    let reused = conn.is_some();
    let outcome = insert_on(manager, conn, batch);
    if outcome.is_err() {
        // Never reuse a connection after an error: it may be out of step or closed.
        *conn = None;
        if reused {
            let retried = insert_on(manager, conn, batch);
            if retried.is_err() {
                *conn = None;
            }
            return retried;
        }
    }
    outcome
}

fn insert_on(
    manager: &Manager,
    conn: &mut Option<AnyConnection>,
    batch: &[AccessTokenRevocation],
) -> Result<(), StoreError> {
    let conn = match conn {
        Some(conn) => conn,
        None => conn.insert(manager.open_unpooled().map_err(StoreError::unavailable)?),
    };
    insert_all(conn, batch)
}

/// The whole batch at once, and a token revoked twice (in this batch, earlier, or by another
/// node) is simply already there: `INSERT … ON CONFLICT (jti) DO NOTHING` (the same syntax
/// on SQLite 3.24+ and Postgres), then the batch's audit entries, atomically.
fn insert_all(conn: &mut AnyConnection, batch: &[AccessTokenRevocation]) -> Result<(), StoreError> {
    let entries: Vec<&AuditEvent> = batch.iter().map(|row| &row.audit).collect();
    match conn {
        AnyConnection::Sqlite(conn) => conn.transaction(|conn| {
            insert_each(conn, batch)?;
            crate::audit::insert_sqlite(conn, &entries)
        }),
        AnyConnection::Postgres(_) => insert_in_one_statement(conn, batch, &entries),
    }
    .map_err(store_error)
}

/// SQLite: a single-row statement per revocation, prepared once per connection (diesel's
/// statement cache): in-process, a row costs a step, where a multi-row `INSERT` of each new
/// size was parsed anew (perf, docs/performance.md). The transaction's first statement
/// still takes the write lock.
fn insert_each(
    conn: &mut diesel::SqliteConnection,
    batch: &[AccessTokenRevocation],
) -> Result<(), diesel::result::Error> {
    use crate::schema::revoked_access_tokens::dsl;
    for row in batch {
        diesel::insert_into(dsl::revoked_access_tokens)
            .values((
                dsl::jti.eq(row.jti.as_str()),
                dsl::client_id.eq(row.client_id.as_str()),
                dsl::expires_at.eq(row.until.0),
                dsl::revoked_at.eq(row.revoked_at.0),
            ))
            .on_conflict(dsl::jti)
            .do_nothing()
            .execute(conn)?;
    }
    Ok(())
}

/// Postgres: the revocations and their audit entries in one statement, a data-modifying
/// `WITH`, sent outside any explicit transaction. A single statement is atomic on its own, so
/// the batch costs one round trip, its commit included, where `BEGIN`, two `INSERT`s and
/// `COMMIT` cost four (docs/performance.md). 14 parameters per row: 3,584 at `MAX_BATCH`,
/// under Postgres's 65,535.
fn insert_in_one_statement(
    conn: &mut AnyConnection,
    batch: &[AccessTokenRevocation],
    entries: &[&AuditEvent],
) -> Result<(), diesel::result::Error> {
    let mut sql = String::from(
        "WITH revoked AS (INSERT INTO revoked_access_tokens \
         (jti, client_id, expires_at, revoked_at) VALUES ",
    );
    for index in 0..batch.len() {
        let base = index * 4;
        if index > 0 {
            sql.push(',');
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${})",
            base + 1,
            base + 2,
            base + 3,
            base + 4
        ));
    }
    sql.push_str(" ON CONFLICT (jti) DO NOTHING) ");
    crate::audit::push_insert(&mut sql, batch.len() * 4 + 1, batch.len());
    let mut statement = diesel::sql_query(sql).into_boxed();
    for row in batch {
        statement = statement
            .bind::<Text, _>(row.jti.to_string())
            .bind::<Text, _>(row.client_id.to_string())
            .bind::<BigInt, _>(row.until.0)
            .bind::<BigInt, _>(row.revoked_at.0);
    }
    crate::audit::bind_entries(statement, entries)
        .execute(conn)
        .map(drop)
}
