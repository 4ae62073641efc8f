//! The store adapter: every store port of the domain, on diesel.
//!
//! One adapter serves both backends through diesel's `MultiConnection`: SQLite for the
//! embedded default, Postgres for production. The backend is chosen from the URL in one
//! place ([`DatabaseUrl`]); queries are written once in the SQL both understand.

mod audit;
mod audit_pg;
mod bulk_revocation;
mod client_admin;
mod connection;
mod error;
mod migrate;
mod passwords;
mod pool_metrics;
mod ports;
mod revocation_batch;
mod revocation_batch_pg;
mod rows;
mod schema;
mod serve_lock;
mod sign_in;
mod user_activity;
mod user_listing;

pub use connection::{DatabaseUrl, PoolSettings};
pub use error::ConnectError;
pub use migrate::MIGRATION_LOCK_KEY;
pub use pool_metrics::{PoolState, POOL_TIMEOUTS, POOL_WAIT};
pub use serve_lock::ServeLock;

use connection::Pool;

/// The diesel store. Cheap to clone: clones share the pool and the revocation writer.
#[derive(Clone)]
pub struct DieselStore {
    pool: Pool,
    /// Opens the migrations' connection, outside the pool.
    manager: connection::Manager,
    revocations: std::sync::Arc<revocation_batch::RevocationWriter>,
}
