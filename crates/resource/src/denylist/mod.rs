//! The revocation check, in the configured mode.

mod introspection;
mod link;
mod redis;
mod set;
mod synced;

use std::sync::Arc;
use std::time::Duration;

use ciam_contract::AccessTokenClaims;

pub use set::RevocationSet;

/// Whether `url` names one Redis or a Redis Cluster well enough to connect to (without
/// connecting).
pub(crate) fn check_redis_url(url: &str) -> Result<(), String> {
    link::Endpoint::open(url, Duration::from_secs(1)).map(drop)
}

use crate::config::DenylistConfig;
use crate::http::IssuerClient;
use crate::jwks::Found;
use crate::{ConfigError, Rejection};

pub(crate) enum Denylist {
    Redis(redis::RedisLookup),
    Synced(synced::SyncedDenylist),
    Introspection(introspection::Introspector),
    Memory(Arc<RevocationSet>),
}

impl Denylist {
    /// Builds the check; the synced mode starts its threads.
    pub fn start(config: &DenylistConfig, issuer: &Arc<IssuerClient>) -> Result<Self, ConfigError> {
        Ok(match config {
            DenylistConfig::Redis(redis) => Denylist::Redis(redis::RedisLookup::new(redis)?),
            DenylistConfig::Synced(synced) => {
                Denylist::Synced(synced::SyncedDenylist::start(synced)?)
            }
            DenylistConfig::Introspection(introspection) => Denylist::Introspection(
                introspection::Introspector::new(introspection, Arc::clone(issuer)),
            ),
            DenylistConfig::Memory(set) => Denylist::Memory(Arc::clone(set)),
        })
    }

    /// `Ok` if the token is not revoked. With `may_block` false, answers `NeedsIo` instead
    /// of calling Redis or ciam.
    pub fn check(
        &self,
        token: &str,
        claims: &AccessTokenClaims,
        now: i64,
        may_block: bool,
    ) -> Found<Result<(), Rejection>> {
        let revoked = |revoked: bool| {
            if revoked {
                Err(Rejection::Revoked)
            } else {
                Ok(())
            }
        };
        match self {
            Denylist::Memory(set) => Found::Done(revoked(set.is_revoked(claims, now))),
            Denylist::Synced(synced) => {
                Found::Done(synced.is_revoked(claims, now).and_then(revoked))
            }
            Denylist::Redis(redis) if may_block => {
                Found::Done(redis.is_revoked(claims, now).and_then(revoked))
            }
            Denylist::Redis(_) => Found::NeedsIo,
            Denylist::Introspection(introspector) => match introspector.cached(claims) {
                Some(answer) => Found::Done(answer),
                None if may_block => Found::Done(introspector.check(token, claims)),
                None => Found::NeedsIo,
            },
        }
    }

    /// Blocks until the check can answer (the synced copy loaded), or `timeout`.
    pub fn wait_ready(&self, timeout: Duration) -> Result<(), Rejection> {
        match self {
            Denylist::Synced(synced) => synced.wait_ready(timeout),
            _ => Ok(()),
        }
    }

    /// The in-memory set, in the modes that have one.
    pub fn set(&self) -> Option<&RevocationSet> {
        match self {
            Denylist::Synced(synced) => Some(synced.set()),
            Denylist::Memory(set) => Some(set),
            _ => None,
        }
    }
}

/// The number a denylist key holds (`until`, or a cut-off): decimal Unix seconds. Anything
/// else breaks the contract and reads as `i64::MAX`, which revokes whatever the key names
/// (fail closed, as ciam's own check does).
fn key_value(raw: &[u8]) -> i64 {
    std::str::from_utf8(raw)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_value_that_is_not_a_number_revokes() {
        assert_eq!(super::key_value(b"1767225600"), 1_767_225_600);
        assert_eq!(super::key_value(b" 42 "), 42);
        for bad in [&b""[..], b"soon", b"1.5", b"\xff"] {
            assert_eq!(super::key_value(bad), i64::MAX, "{bad:?}");
        }
    }
}
