//! The embedded default is served by one process at a time.
//!
//! Two `ciam serve` on one SQLite file would each keep a denylist of their own in memory: a
//! token revoked through one stays accepted by the other until its reconciler next reads
//! the store (`CIAM_RECONCILE_INTERVAL`), breaking "a revoked token is refused at once".
//! So serving takes an exclusive OS lock on `<database>.lock` for as long as it runs; a
//! second server is refused with the reason, while short-lived commands (`ciam user …`,
//! `ciam revoke …`) go on working beside the server. The OS drops the lock when the process
//! ends, however it ends; the file stays, empty of meaning (removing it while a server runs
//! would let a second one lock a new file, so it is never removed).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::connection::DatabaseUrl;
use crate::error::ConnectError;

/// Held by the one process serving a SQLite database; released when dropped.
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
    path: PathBuf,
}

impl ServeLock {
    /// The lock file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl DatabaseUrl {
    /// Claims the database for serving: for SQLite, the exclusive lock on `<file>.lock`,
    /// refused with [`ConnectError::InUse`] while another process serves it; for Postgres,
    /// nothing (several nodes may serve it).
    pub fn lock_for_serving(&self) -> Result<Option<ServeLock>, ConnectError> {
        match self {
            DatabaseUrl::Postgres(_) => Ok(None),
            DatabaseUrl::Sqlite(path) => lock(database_file(path)).map(Some),
        }
    }
}

/// The file of a SQLite path, which may be a `file:` URI with parameters.
fn database_file(path: &str) -> &str {
    match path.strip_prefix("file:") {
        Some(uri) => uri.split(['?', '#']).next().unwrap_or(uri),
        None => path,
    }
}

fn lock(database: &str) -> Result<ServeLock, ConnectError> {
    let path = PathBuf::from(format!("{database}.lock"));
    let failed = |source| ConnectError::Lock {
        path: path.display().to_string(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            // Only to name the holder's pid: the lock, not the content, is what counts.
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(ConnectError::InUse {
                database: database.to_owned(),
                lock: path.display().to_string(),
                holder: if holder.is_empty() || holder.len() > 20 {
                    "another process".to_owned()
                } else {
                    format!("process {holder}")
                },
            });
        }
        Err(TryLockError::Error(error)) => return Err(failed(error)),
    }
    // The holder's pid, for the message a second server prints.
    let pid = std::process::id().to_string();
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(pid.as_bytes()))
        .map_err(failed)?;
    Ok(ServeLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_server_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = dir.path().join("ciam.db");
        let url = DatabaseUrl::parse(database.to_str().expect("utf-8 path")).expect("url");
        let first = url
            .lock_for_serving()
            .expect("the first server locks")
            .expect("SQLite is locked");
        assert_eq!(first.path(), dir.path().join("ciam.db.lock"));

        // A separate open file description, as another process would have.
        let error = url
            .lock_for_serving()
            .expect_err("a second server is refused");
        let message = error.to_string();
        assert!(matches!(error, ConnectError::InUse { .. }), "{error:?}");
        assert!(
            message.contains(database.to_str().expect("utf-8")),
            "{message}"
        );
        assert!(message.contains("ciam.db.lock"), "{message}");
        assert!(
            message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains("Postgres"), "{message}");

        drop(first);
        assert!(url.lock_for_serving().expect("free again").is_some());
    }

    #[test]
    fn the_lock_is_beside_the_file_a_uri_names_and_postgres_takes_none() {
        assert_eq!(
            database_file("file:/var/lib/ciam.db?mode=rwc"),
            "/var/lib/ciam.db"
        );
        assert_eq!(database_file("data/ciam.db"), "data/ciam.db");
        let postgres = DatabaseUrl::parse("postgres://u@h/db").expect("url");
        assert!(postgres.lock_for_serving().expect("no lock").is_none());
    }

    #[test]
    fn a_lock_file_that_cannot_be_created_says_which() {
        let url = DatabaseUrl::parse("/nonexistent-ciam-dir/ciam.db").expect("url");
        let error = url.lock_for_serving().expect_err("no directory");
        assert!(matches!(error, ConnectError::Lock { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .contains("/nonexistent-ciam-dir/ciam.db.lock"),
            "{error}"
        );
    }
}
