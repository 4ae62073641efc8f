//! The Redis denylist contract, version 1: key names, values, the event channel.
//!
//! - `{prefix}:v1:revoked:jti:{jti}`: the access token with that `jti` is revoked.
//! - `{prefix}:v1:revoked:gid:{gid}`: every access token whose `gid` claim is that grant id is
//!   revoked.
//!
//! Each value is the Unix time (decimal) until which the entry matters, and the key expires
//! at that time (`EXAT`). A token is revoked if either key exists:
//! `EXISTS {jti key} {gid key}` is the one-round-trip check.
//! - `{prefix}:v1:revocations`: the channel on which one [`RevocationEvent`] (JSON) is
//!   published per key written.
//! - `{prefix}:v1:complete`: present while the denylist holds every live revocation; gone
//!   after a flush or a restart without persistence, until ciam rebuilds it.

use serde::{Deserialize, Serialize};

/// The version segment of every name.
pub const VERSION: &str = "v1";

/// The names under one prefix (ciam's `CIAM_REDIS_PREFIX`, default `ciam`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenylistKeys {
    prefix: String,
}

impl DenylistKeys {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn jti(&self, jti: &str) -> String {
        format!("{}:{VERSION}:revoked:jti:{jti}", self.prefix)
    }

    pub fn grant(&self, grant_id: &str) -> String {
        format!("{}:{VERSION}:revoked:gid:{grant_id}", self.prefix)
    }

    /// A `SCAN MATCH` pattern for every revocation key.
    pub fn revoked_pattern(&self) -> String {
        format!("{}:{VERSION}:revoked:*", self.prefix)
    }

    pub fn channel(&self) -> String {
        format!("{}:{VERSION}:revocations", self.prefix)
    }

    pub fn complete(&self) -> String {
        format!("{}:{VERSION}:complete", self.prefix)
    }

    /// The kind and id a revocation key names, or `None` for any other key.
    pub fn parse_key<'a>(&self, key: &'a str) -> Option<(EventKind, &'a str)> {
        let rest = key.strip_prefix(&self.prefix)?.strip_prefix(':')?;
        let rest = rest.strip_prefix(VERSION)?.strip_prefix(":revoked:")?;
        if let Some(id) = rest.strip_prefix("jti:") {
            Some((EventKind::Jti, id))
        } else {
            rest.strip_prefix("gid:").map(|id| (EventKind::Gid, id))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// An access token's `jti`.
    Jti,
    /// A grant id (`gid` claim).
    Gid,
}

/// Published on the channel for every revocation written:
/// `{"v":1,"kind":"jti"|"gid","id":"…","until":1700000000}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationEvent {
    pub v: u32,
    pub kind: EventKind,
    pub id: String,
    pub until: i64,
}

impl RevocationEvent {
    pub fn new(kind: EventKind, id: impl Into<String>, until: i64) -> Self {
        Self {
            v: 1,
            kind,
            id: id.into(),
            until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_documented_ones() {
        let keys = DenylistKeys::new("ciam");
        assert_eq!(keys.jti("j1"), "ciam:v1:revoked:jti:j1");
        assert_eq!(keys.grant("g1"), "ciam:v1:revoked:gid:g1");
        assert_eq!(keys.channel(), "ciam:v1:revocations");
        assert_eq!(keys.complete(), "ciam:v1:complete");
        assert_eq!(keys.revoked_pattern(), "ciam:v1:revoked:*");
    }

    #[test]
    fn keys_parse_back() {
        let keys = DenylistKeys::new("acme");
        assert_eq!(
            keys.parse_key(&keys.jti("a:b")),
            Some((EventKind::Jti, "a:b"))
        );
        assert_eq!(
            keys.parse_key(&keys.grant("g")),
            Some((EventKind::Gid, "g"))
        );
        assert_eq!(keys.parse_key("acme:v1:complete"), None);
        assert_eq!(keys.parse_key("other:v1:revoked:jti:x"), None);
    }

    #[test]
    fn events_are_the_documented_json() {
        let event = RevocationEvent::new(EventKind::Gid, "g-1", 5);
        assert_eq!(
            serde_json::to_string(&event).expect("json"),
            r#"{"v":1,"kind":"gid","id":"g-1","until":5}"#
        );
    }
}
