//! Denylist adapters. The in-process one serves the embedded default; the Redis one
//! (shared with resource servers) joins it for the full stack.

mod memory;

pub use memory::InProcessDenylist;
