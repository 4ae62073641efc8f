//! Embedded migrations, one set per backend with identical names.

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::connection::AnyConnection;
use crate::error::ConnectError;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

pub(crate) fn run_pending(conn: &mut AnyConnection) -> Result<usize, ConnectError> {
    let applied = match conn {
        AnyConnection::Postgres(conn) => conn.run_pending_migrations(POSTGRES).map(|v| v.len()),
        AnyConnection::Sqlite(conn) => conn.run_pending_migrations(SQLITE).map(|v| v.len()),
    };
    applied.map_err(|e| ConnectError::Migrate(e.to_string()))
}
