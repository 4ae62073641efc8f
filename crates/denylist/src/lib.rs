//! Denylist adapters. The in-process one serves the embedded default; the Redis one
//! (shared with resource servers) joins it for the full stack.

mod cluster_slots;
mod combiner;
mod memory;
mod redis;
mod redis_cluster;
mod replica;

/// Whether a Redis URL names a cluster (`redis+cluster://…`), for wiring that depends on it.
pub use ciam_contract::is_cluster_url;
pub use memory::InProcessDenylist;
pub use redis::{RedisDenylist, RedisSettings};
pub use replica::ReplicatedDenylist;
