//! The connection pool as an operator sees it (docs/operations.md): how long requests wait
//! for a connection, how often they give up, and how many connections are open and idle.
//! r2d2 reports each checkout with its wait, so measuring costs no extra clock read.

use std::time::Duration;

use r2d2::event::{CheckoutEvent, TimeoutEvent};
use r2d2::HandleEvent;

use crate::DieselStore;

pub const POOL_WAIT: &str = "ciam_db_pool_wait_seconds";
pub const POOL_TIMEOUTS: &str = "ciam_db_pool_timeouts_total";

/// Records every checkout's wait, and every checkout that timed out.
#[derive(Debug)]
pub(crate) struct PoolMetrics;

impl HandleEvent for PoolMetrics {
    fn handle_checkout(&self, event: CheckoutEvent) {
        record_wait(event.duration());
    }

    fn handle_timeout(&self, event: TimeoutEvent) {
        record_wait(event.timeout());
        metrics::counter!(POOL_TIMEOUTS).increment(1);
    }
}

fn record_wait(wait: Duration) {
    metrics::histogram!(POOL_WAIT).record(wait.as_secs_f64());
}

/// The pool's connections at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolState {
    /// Open, in use or idle.
    pub connections: u32,
    pub idle: u32,
    /// The most it opens (`CIAM_DATABASE_POOL_SIZE`).
    pub max_size: u32,
}

impl DieselStore {
    /// The pool's state now: for a gauge sampled when metrics are scraped.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
        }
    }
}
