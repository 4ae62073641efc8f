//! Embedded migrations, one set per backend with identical names.
//!
//! On Postgres several nodes may start together on one database, each migrating it: they
//! take turns under a session-level advisory lock, so the first applies what is pending and
//! the others then find nothing to do. Without it they race on the same `CREATE`s and all
//! but one die (`duplicate key value violates unique constraint "pg_type_typname_nsp_index"`).

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Bool};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::connection::AnyConnection;
use crate::error::ConnectError;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// The advisory lock key ciam's migrations hold on Postgres: "ciammigr" in ASCII. Fixed
/// forever, so nodes of every version agree on it; other applications sharing the
/// database are unlikely to pick the same 64-bit number.
pub const MIGRATION_LOCK_KEY: i64 = 0x6369_616d_6d69_6772;

/// Applies the pending migrations on `conn`. Returns how many ran.
///
/// `conn` should be a connection of its own that is closed afterwards: if releasing the
/// Postgres lock fails, closing the session releases it.
pub(crate) fn run_pending(conn: &mut AnyConnection) -> Result<usize, ConnectError> {
    match conn {
        AnyConnection::Postgres(conn) => with_migration_lock(conn, |conn| {
            conn.run_pending_migrations(POSTGRES)
                .map(|applied| applied.len())
                .map_err(|e| ConnectError::Migrate(e.to_string()))
        }),
        AnyConnection::Sqlite(conn) => conn
            .run_pending_migrations(SQLITE)
            .map(|applied| applied.len())
            .map_err(|e| ConnectError::Migrate(e.to_string())),
    }
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Runs `migrate` holding the migration lock on `conn`'s session, and releases the lock
/// afterwards, whatever `migrate` returned. Waits for a node holding it, without limit: a
/// migration may legitimately take long, and a node that dies mid-way loses its session and
/// with it the lock.
fn with_migration_lock<T>(
    conn: &mut PgConnection,
    migrate: impl FnOnce(&mut PgConnection) -> Result<T, ConnectError>,
) -> Result<T, ConnectError> {
    let lock_error = |e: diesel::result::Error| {
        ConnectError::Migrate(format!(
            "could not take the migration lock (pg_advisory_lock({MIGRATION_LOCK_KEY})): {e}"
        ))
    };
    let taken = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .get_result::<Locked>(conn)
        .map_err(lock_error)?
        .locked;
    if !taken {
        tracing::info!("another node is migrating the database; waiting for it to finish");
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .map_err(lock_error)?;
    }
    let result = migrate(conn);
    let released = diesel::sql_query("SELECT pg_advisory_unlock($1) AS locked")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .get_result::<Locked>(conn);
    match released {
        Ok(Locked { locked: true }) => {}
        Ok(Locked { locked: false }) => {
            tracing::warn!("the migration lock was not held when releasing it")
        }
        // The session ends when the caller closes the connection, and the lock with it.
        Err(error) => tracing::warn!(%error, "could not release the migration lock"),
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Connection;

    fn try_lock(conn: &mut PgConnection) -> bool {
        diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
            .get_result::<Locked>(conn)
            .expect("try lock")
            .locked
    }

    /// Held while migrating (another session cannot take it), and released when the
    /// migration fails, on a session that stays open.
    #[test]
    fn the_migration_lock_is_held_while_migrating_and_released_after_a_failure() {
        let url = ciam_testkit::postgres::TestPostgres::shared().fresh_database("migration_lock");
        let mut node = PgConnection::establish(&url).expect("node");
        let mut other = PgConnection::establish(&url).expect("other");
        let result: Result<(), ConnectError> = with_migration_lock(&mut node, |_| {
            assert!(
                !try_lock(&mut other),
                "another session got the lock meanwhile"
            );
            Err(ConnectError::Migrate("a failing migration".into()))
        });
        assert!(matches!(result, Err(ConnectError::Migrate(_))));
        assert!(
            try_lock(&mut other),
            "the lock outlived the failed migration"
        );
    }
}
