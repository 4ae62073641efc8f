//! The published contract between ciam and resource servers, in one small crate so that the
//! server and the SDK (`ciam-resource`) cannot drift apart. docs/redis-denylist.md and
//! docs/resource-servers.md describe the same things for other languages.
//!
//! Changing anything here is a breaking change for deployed resource servers: add a new
//! version (`v2` keys, a new claim) instead of editing.

pub mod bearer;
pub mod claims;
pub mod cluster_url;
pub mod denylist;

pub use claims::{AccessTokenClaims, ACCESS_TOKEN_TYP};
pub use cluster_url::{cluster_seed_urls, is_cluster_url, ClusterUrlError, CLUSTER_SCHEME};
pub use denylist::{cutoff_covers, ContractVersion, DenylistKeys, EventKind, RevocationEvent};
