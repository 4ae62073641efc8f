use ciam_domain::StoreError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL {0:?}: use postgres://… or a SQLite file path (sqlite://…)")]
    UnsupportedUrl(String),
    #[error("in-memory SQLite ({0:?}) is not supported: every connection would get a database of its own; use a file path")]
    InMemory(String),
    #[error("could not open the database: {0}")]
    Open(String),
    #[error("could not migrate the database: {0}")]
    Migrate(String),
    #[error(
        "the SQLite database {database} is already served by {holder} (it holds {lock}): the \
         embedded default is served by one process at a time; stop that server first, or run \
         several nodes on Postgres (CIAM_DATABASE_URL=postgres://…) with a shared Redis \
         denylist (CIAM_REDIS_URL)"
    )]
    InUse {
        database: String,
        lock: String,
        holder: String,
    },
    #[error("could not lock the database for serving ({path})")]
    Lock {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

// A unique violation is the only driver error with a domain meaning; every other one is an
// outage of some kind, and must never read as "not found".
pub(crate) fn store_error(error: DieselError) -> StoreError {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::Duplicate(info.message().to_owned())
        }
        other => StoreError::unavailable(other),
    }
}

pub(crate) fn pool_error(error: r2d2::Error) -> StoreError {
    StoreError::unavailable(error)
}
