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
use diesel::{Connection, ExpressionMethods, RunQueryDsl};

use crate::connection::{AnyConnection, Manager};
use crate::error::store_error;
use crate::revocation_batch_pg::RevocationBatchStatement;

/// Rows per statement (Postgres; SQLite writes a statement per row): the domain's batches
/// are no larger anyway.
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
    match conn {
        AnyConnection::Sqlite(conn) => conn.transaction(|conn| {
            insert_each(conn, batch)?;
            let entries: Vec<&AuditEvent> = batch.iter().map(|row| &row.audit).collect();
            crate::audit::insert_sqlite(conn, &entries)
        }),
        // Postgres: one prepared statement, see `revocation_batch_pg`.
        AnyConnection::Postgres(conn) => RevocationBatchStatement::new(batch).run(conn),
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
