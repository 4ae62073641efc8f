//! Connections: the backend chosen from the URL, the pool, and per-connection settings.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::error::ConnectError;
use crate::{migrate, DieselStore};

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub(crate) type Pool = diesel::r2d2::Pool<Manager>;
pub(crate) type PooledConnection = diesel::r2d2::PooledConnection<Manager>;

/// Opens connections of the backend the URL names, and only that one.
///
/// diesel's own `ConnectionManager<AnyConnection>` goes through the derived
/// `MultiConnection::establish`, which tries every backend in turn and, when all fail,
/// reports only "Invalid connection url for multiconnection": with Postgres down, the
/// operator would read that instead of "connection refused", after a pointless attempt to
/// open the Postgres URL as a SQLite file.
#[derive(Clone)]
pub(crate) struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    /// A connection outside the pool, with the settings pooled ones get (the revocation
    /// writer keeps one of its own).
    pub(crate) fn open_unpooled(&self) -> Result<AnyConnection, diesel::r2d2::Error> {
        let mut conn = self.connect()?;
        SqlitePragmas.on_acquire(&mut conn)?;
        Ok(conn)
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, diesel::r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(AnyConnection::Postgres),
            DatabaseUrl::Sqlite(path) => {
                SqliteConnection::establish(path).map(AnyConnection::Sqlite)
            }
        }
        .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Which backend a `CIAM_DATABASE_URL` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// A file path (`sqlite://` stripped).
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, ConnectError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_owned()))
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if path.is_empty() || path.contains("://") {
                Err(ConnectError::UnsupportedUrl(url.to_owned()))
            } else if path == ":memory:"
                || path.contains("mode=memory")
                || path.starts_with("file::memory:")
            {
                // Every pooled connection (and the revocation writer's own) would open a
                // database of its own: the schema and every row would be in one of them only.
                Err(ConnectError::InMemory(url.to_owned()))
            } else {
                Ok(DatabaseUrl::Sqlite(path.to_owned()))
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_size: u32,
    /// How long a request waits for a connection before the store reports itself unavailable.
    pub connection_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// SQLite settings every pooled connection needs: wait for the writer instead of failing,
/// WAL so readers never block, and `synchronous=FULL` so a committed revocation survives
/// a power cut (a 200 from revoke means durable).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(conn) = conn {
            conn.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

impl DieselStore {
    /// Opens the pool and applies pending migrations.
    pub fn connect(
        url: &DatabaseUrl,
        settings: &PoolSettings,
    ) -> Result<DieselStore, ConnectError> {
        let store = Self::open(url, settings)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens the pool without migrating.
    pub fn open(url: &DatabaseUrl, settings: &PoolSettings) -> Result<DieselStore, ConnectError> {
        let manager = Manager { url: url.clone() };
        let pool = diesel::r2d2::Pool::builder()
            .max_size(settings.max_size)
            .min_idle(Some(1))
            .connection_timeout(settings.connection_timeout)
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager.clone())
            .map_err(|e| ConnectError::Open(e.to_string()))?;
        // A revocation waits for its batch at most as long as a request waits for a
        // connection, plus the commit itself.
        let wait = settings.connection_timeout.saturating_mul(2);
        let revocations = std::sync::Arc::new(crate::revocation_batch::RevocationBatcher::start(
            manager, wait,
        ));
        Ok(DieselStore { pool, revocations })
    }

    /// Applies every embedded migration not yet applied. Returns how many ran.
    pub fn migrate(&self) -> Result<usize, ConnectError> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| ConnectError::Open(e.to_string()))?;
        migrate::run_pending(&mut conn)
    }

    pub(crate) fn conn(&self) -> Result<PooledConnection, ciam_domain::StoreError> {
        self.pool.get().map_err(crate::error::pool_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_from_the_url() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").ok(),
            Some(DatabaseUrl::Postgres("postgres://u@h/db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("ciam.db").ok(),
            Some(DatabaseUrl::Sqlite("ciam.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/ciam.db").ok(),
            Some(DatabaseUrl::Sqlite("/var/lib/ciam.db".into()))
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        for in_memory in [
            ":memory:",
            "sqlite://:memory:",
            "file::memory:?cache=shared",
            "file:x?mode=memory",
        ] {
            assert!(
                matches!(
                    DatabaseUrl::parse(in_memory),
                    Err(ConnectError::InMemory(_))
                ),
                "{in_memory}"
            );
        }
        assert!(DatabaseUrl::parse("").is_err());
    }
}
