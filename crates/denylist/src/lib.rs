//! Denylist adapters. The in-process one serves the embedded default; the Redis one
//! (shared with resource servers) joins it for the full stack.

mod cluster_slots;
mod memory;
mod redis;
mod redis_cluster;

pub use memory::InProcessDenylist;
pub use redis::{RedisDenylist, RedisSettings};
