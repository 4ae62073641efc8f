//! Group commit for access-token revocations.
//!
//! Every revocation must be durable before its request gets 200, and a commit costs a disk
//! flush (SQLite with `synchronous=FULL`, Postgres with `fsync` on). One flush per request
//! would bound revocations to the disk's flush rate, and concurrent SQLite writers queue on
//! its lock. So one writer thread per store takes every revocation waiting at that moment
//! and commits them in one statement; each caller returns when the statement holding its
//! row has committed. Under light load a batch is one row and nothing waits.
//!
//! The writer keeps one connection of its own, outside the pool: a pooled checkout runs a
//! liveness query first (r2d2's `test_on_check_out`), which on Postgres is a second round
//! trip and a second transaction before every batch (docs/performance.md).

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;
use std::time::Duration;

use ciam_domain::{AuditEvent, Cause, StoreError};
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, ExpressionMethods, RunQueryDsl};

use crate::connection::{AnyConnection, Manager};
use crate::error::store_error;

/// Rows per statement: 4 bind parameters each, well under SQLite's and Postgres's limits.
const MAX_BATCH: usize = 256;

/// One revoked access token, as stored.
pub(crate) struct RevokedRow {
    pub jti: String,
    pub client_id: String,
    pub expires_at: i64,
    pub revoked_at: i64,
}

struct Job {
    row: RevokedRow,
    /// Its audit entry, committed with it.
    audit: AuditEvent,
    committed: SyncSender<Result<(), StoreError>>,
}

/// The handle the store keeps; the writer thread stops when the last handle is dropped.
pub(crate) struct RevocationBatcher {
    jobs: Sender<Job>,
    /// How long a caller waits for its commit before answering "unavailable".
    wait: Duration,
}

impl RevocationBatcher {
    pub(crate) fn start(manager: Manager, wait: Duration) -> RevocationBatcher {
        let (jobs, queue) = mpsc::channel();
        thread::Builder::new()
            .name("ciam-revocation-writer".into())
            .spawn(move || write_batches(&manager, &queue))
            .map(drop)
            .unwrap_or_else(|error| tracing::error!(%error, "cannot start the revocation writer"));
        RevocationBatcher { jobs, wait }
    }

    /// Returns once `row` and `audit` are committed (the row may have been stored already:
    /// idempotent; the entry records this request all the same).
    pub(crate) fn revoke(&self, row: RevokedRow, audit: AuditEvent) -> Result<(), StoreError> {
        let (committed, outcome) = mpsc::sync_channel(1);
        let job = Job {
            row,
            audit,
            committed,
        };
        self.jobs.send(job).map_err(|_| {
            StoreError::Unavailable(Cause::message("the revocation writer has stopped"))
        })?;
        outcome.recv_timeout(self.wait).unwrap_or_else(|_| {
            Err(StoreError::Unavailable(Cause::message(format!(
                "revocation not committed within {:?}",
                self.wait
            ))))
        })
    }
}

fn write_batches(manager: &Manager, queue: &Receiver<Job>) {
    let mut conn: Option<AnyConnection> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = commit(manager, &mut conn, &batch);
        for job in batch {
            // A caller that gave up waiting has dropped its receiver; nothing to tell it.
            let _ = job.committed.send(outcome.clone());
        }
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
    batch: &[Job],
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
    batch: &[Job],
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
fn insert_all(conn: &mut AnyConnection, batch: &[Job]) -> Result<(), StoreError> {
    let entries: Vec<&AuditEvent> = batch.iter().map(|job| &job.audit).collect();
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
    batch: &[Job],
) -> Result<(), diesel::result::Error> {
    use crate::schema::revoked_access_tokens::dsl;
    for job in batch {
        diesel::insert_into(dsl::revoked_access_tokens)
            .values((
                dsl::jti.eq(&job.row.jti),
                dsl::client_id.eq(&job.row.client_id),
                dsl::expires_at.eq(job.row.expires_at),
                dsl::revoked_at.eq(job.row.revoked_at),
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
    batch: &[Job],
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
    for job in batch {
        statement = statement
            .bind::<Text, _>(job.row.jti.clone())
            .bind::<Text, _>(job.row.client_id.clone())
            .bind::<BigInt, _>(job.row.expires_at)
            .bind::<BigInt, _>(job.row.revoked_at);
    }
    crate::audit::bind_entries(statement, entries)
        .execute(conn)
        .map(drop)
}
