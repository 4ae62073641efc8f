//! Denylist adapters. The in-process one serves the embedded default; the Redis one
//! (shared with resource servers) joins it for the full stack.

mod combiner;
mod memory;
mod redis;
mod replica;

pub use memory::InProcessDenylist;
pub use redis::{RedisDenylist, RedisSettings};
pub use replica::ReplicatedDenylist;
