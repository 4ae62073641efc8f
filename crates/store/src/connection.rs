//! Connections: the backend chosen from the URL, the pool, and per-connection settings.

use ciam_domain::redact::redact_url;
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
    /// A manager whose Postgres connection attempts give up after `connect_timeout`.
    pub(crate) fn new(url: &DatabaseUrl, connect_timeout: Duration) -> Manager {
        let url = match url {
            DatabaseUrl::Postgres(url) => {
                let url = with_connect_timeout(url, connect_timeout);
                DatabaseUrl::Postgres(without_gss_encryption(
                    &url,
                    std::env::var_os("PGGSSENCMODE").is_some(),
                ))
            }
            sqlite => sqlite.clone(),
        };
        Manager { url }
    }

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

/// `url` with libpq's `connect_timeout` set, unless the operator set one.
///
/// libpq waits without limit by default: against a Postgres that accepts the TCP connection
/// and never answers (a hung server, a stuck proxy), or a black-holed host until the kernel
/// gives up on the SYN (about two minutes), the connecting thread would hang. That thread
/// is the revocation writer (every revoke waits behind it) or one of r2d2's few connection
/// threads (the pool could not refill after Postgres came back).
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    // Whole seconds, rounded up; libpq treats anything under 2 as 2.
    let seconds = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    with_default(url, "connect_timeout", &seconds.max(2).to_string())
}

/// `url` with libpq's `gssencmode=disable`, unless the operator chose a mode (in the URL,
/// or `PGGSSENCMODE` when `env_set`).
///
/// With libpq's default (`prefer`) every connection first looks for Kerberos credentials,
/// which loads and initialises the Kerberos library in this process. Its exit-time
/// destructors then race any thread still connecting: `ciam` aborted now and then with
/// `k5_mutex_lock: Assertion 'r == 0' failed` (seen twice in one benchmark session; diesel
/// issue 3226, rust-lang/rust issue 75527). ciam does not offer GSSAPI encryption; an
/// operator who uses it names the mode, and GSSAPI *authentication* is untouched.
fn without_gss_encryption(url: &str, env_set: bool) -> String {
    if env_set {
        return url.to_owned();
    }
    with_default(url, "gssencmode", "disable")
}

/// `url` with `name=value` appended to its query, unless the query names `name` already.
fn with_default(url: &str, name: &str, value: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    if query
        .split('&')
        .any(|pair| pair.split('=').next() == Some(name))
    {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{name}={value}")
}

/// Which backend a `CIAM_DATABASE_URL` names. `Debug` hides a password in the URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// A file path (`sqlite://` stripped).
    Sqlite(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Postgres(url) => {
                f.debug_tuple("Postgres").field(&redact_url(url)).finish()
            }
            DatabaseUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
        }
    }
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, ConnectError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_owned()))
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if path.is_empty() || path.contains("://") {
                Err(ConnectError::UnsupportedUrl(redact_url(url)))
            } else if path == ":memory:"
                || path.contains("mode=memory")
                || path.starts_with("file::memory:")
            {
                // Every pooled connection (and the revocation writer's own) would open a
                // database of its own: the schema and every row would be in one of them only.
                Err(ConnectError::InMemory(redact_url(url)))
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

/// SQLite settings every connection needs: wait for the writer instead of failing, WAL so
/// readers never block, `synchronous=FULL` so a committed revocation survives a power cut
/// (a 200 from revoke means durable), and a WAL file cut back to 16 MiB when a checkpoint
/// empties it (without the limit it keeps the size of its largest burst, e.g. of pruning).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(conn) = conn {
            conn.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                 PRAGMA journal_size_limit = 16777216;",
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
        let manager = Manager::new(url, settings.connection_timeout);
        let pool = diesel::r2d2::Pool::builder()
            .max_size(settings.max_size)
            .min_idle(Some(1))
            .connection_timeout(settings.connection_timeout)
            .connection_customizer(Box::new(SqlitePragmas))
            .event_handler(Box::new(crate::pool_metrics::PoolMetrics))
            .build(manager.clone())
            .map_err(|e| ConnectError::Open(e.to_string()))?;
        let revocations = std::sync::Arc::new(crate::revocation_batch::RevocationWriter::new(
            manager.clone(),
        ));
        Ok(DieselStore {
            pool,
            manager,
            revocations,
        })
    }

    /// Applies every embedded migration not yet applied. Returns how many ran.
    ///
    /// Safe to call from several processes at once: on Postgres they take turns under an
    /// advisory lock (`pg_advisory_lock(`[`MIGRATION_LOCK_KEY`](crate::MIGRATION_LOCK_KEY)`)`),
    /// held on a connection of its own that is closed afterwards, so the lock can never
    /// stay behind in the pool.
    pub fn migrate(&self) -> Result<usize, ConnectError> {
        let mut conn = self
            .manager
            .open_unpooled()
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
    fn a_password_in_the_url_never_prints() {
        let url = DatabaseUrl::parse("postgres://ciam:hunter2@db/ciam").expect("postgres");
        assert_eq!(format!("{url:?}"), r#"Postgres("postgres://***@db/ciam")"#);
        let error = DatabaseUrl::parse("mysql://ciam:hunter2@db/ciam").expect_err("unsupported");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
    }

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

    #[test]
    fn postgres_urls_get_a_connect_timeout_unless_they_name_one() {
        let url = "postgres://u@h/db";
        let five = Duration::from_secs(5);
        assert_eq!(
            with_connect_timeout(url, five),
            "postgres://u@h/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?sslmode=disable", five),
            "postgres://u@h/db?sslmode=disable&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?connect_timeout=30", five),
            "postgres://u@h/db?connect_timeout=30"
        );
        // Rounded up to whole seconds, and never under libpq's floor of 2.
        assert_eq!(
            with_connect_timeout(url, Duration::from_millis(2500)),
            "postgres://u@h/db?connect_timeout=3"
        );
        assert_eq!(
            with_connect_timeout(url, Duration::from_millis(200)),
            "postgres://u@h/db?connect_timeout=2"
        );
    }

    #[test]
    fn postgres_urls_do_not_ask_for_gss_encryption_unless_the_operator_does() {
        assert_eq!(
            without_gss_encryption("postgres://u@h/db?connect_timeout=5", false),
            "postgres://u@h/db?connect_timeout=5&gssencmode=disable"
        );
        assert_eq!(
            without_gss_encryption("postgres://u@h/db?gssencmode=require", false),
            "postgres://u@h/db?gssencmode=require"
        );
        assert_eq!(
            without_gss_encryption("postgres://u@h/db", true),
            "postgres://u@h/db",
            "PGGSSENCMODE is the operator's choice"
        );
    }

    /// A server that completes the TCP handshake and then never answers: without a connect
    /// timeout libpq waits for its reply forever.
    #[test]
    fn connecting_to_a_silent_postgres_gives_up() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = silent.local_addr().expect("addr").port();
        let url =
            DatabaseUrl::parse(&format!("postgres://ciam@127.0.0.1:{port}/ciam")).expect("url");
        let manager = Manager::new(&url, Duration::from_secs(2));
        let (done, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(manager.connect().is_err());
        });
        let failed = outcome
            .recv_timeout(Duration::from_secs(30))
            .expect("the connection attempt hangs instead of timing out");
        assert!(failed, "a silent server cannot yield a connection");
        drop(silent);
    }
}
