//! The Redis denylist contract: key names, values, the event channel. Two versions are
//! published side by side; ciam writes both until resource servers have moved to v2
//! (docs/redis-denylist.md, "Moving from v1 to v2").
//!
//! **v1** (`{prefix}:v1:…`):
//! - `{prefix}:v1:revoked:jti:{jti}`: the access token with that `jti` is revoked.
//! - `{prefix}:v1:revoked:gid:{gid}`: every access token whose `gid` claim is that grant id is
//!   revoked.
//!
//!   Each value is the Unix time (decimal) until which the entry matters, and the key expires
//!   at that time (`EXAT`). A token is revoked if either key exists:
//!   `EXISTS {jti key} {gid key}` is the one-round-trip check.
//! - `{prefix}:v1:revocations`: the channel on which one [`RevocationEvent`] (JSON) is
//!   published per key written.
//! - `{prefix}:v1:complete`: present while the denylist holds every live revocation; gone
//!   after a flush or a restart without persistence, until ciam rebuilds it.
//!
//! **v2** (`{prefix}:v2:…`) has the same `jti` and `gid` keys, channel and marker under `v2`,
//! and adds not-before cut-offs: revoking "everything of a user" or "everything of a client"
//! at time `T` refuses every access token of that `sub` (or `client_id`) with `iat <= T`,
//! whether or not it has a grant.
//! - `{prefix}:v2:cutoff:sub:{sub}` and `{prefix}:v2:cutoff:cid:{client_id}`: the value is
//!   the cut-off `T` (Unix seconds, decimal); the key expires (`EXAT`) once no token it
//!   covers can still be live (`T` plus the longest access-token lifetime).
//! - The check is one round trip, `MGET {jti key} {gid key} {sub key} {cid key}`: revoked if
//!   the `jti` or `gid` value is after now, or the `sub` or `cid` value is at or after the
//!   token's `iat` ([`cutoff_covers`]).
//! - Events on `{prefix}:v2:revocations` carry `"v":2`; a cut-off's event adds `"cutoff"`.

use serde::{Deserialize, Serialize};

/// The version segment of every v1 name.
pub const VERSION: &str = "v1";

/// A published version of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContractVersion {
    V1,
    V2,
}

impl ContractVersion {
    /// The name segment: `v1` or `v2`.
    pub fn segment(self) -> &'static str {
        match self {
            ContractVersion::V1 => "v1",
            ContractVersion::V2 => "v2",
        }
    }

    /// The `v` member of this version's events.
    pub fn number(self) -> u32 {
        match self {
            ContractVersion::V1 => 1,
            ContractVersion::V2 => 2,
        }
    }
}

/// The names under one prefix (ciam's `CIAM_REDIS_PREFIX`, default `ciam`), in one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenylistKeys {
    prefix: String,
    version: ContractVersion,
}

impl DenylistKeys {
    /// The v1 names.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self::versioned(prefix, ContractVersion::V1)
    }

    /// The v2 names.
    pub fn v2(prefix: impl Into<String>) -> Self {
        Self::versioned(prefix, ContractVersion::V2)
    }

    pub fn versioned(prefix: impl Into<String>, version: ContractVersion) -> Self {
        Self {
            prefix: prefix.into(),
            version,
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn version(&self) -> ContractVersion {
        self.version
    }

    fn name(&self, rest: std::fmt::Arguments<'_>) -> String {
        format!("{}:{}:{rest}", self.prefix, self.version.segment())
    }

    pub fn jti(&self, jti: &str) -> String {
        self.name(format_args!("revoked:jti:{jti}"))
    }

    pub fn grant(&self, grant_id: &str) -> String {
        self.name(format_args!("revoked:gid:{grant_id}"))
    }

    /// The key of a cut-off (`kind` is [`EventKind::Sub`] or [`EventKind::Cid`]): v2 only.
    /// For `Jti` and `Gid` this is the same as [`jti`](Self::jti) and [`grant`](Self::grant).
    pub fn entry(&self, kind: EventKind, id: &str) -> String {
        match kind {
            EventKind::Jti => self.jti(id),
            EventKind::Gid => self.grant(id),
            EventKind::Sub => self.name(format_args!("cutoff:sub:{id}")),
            EventKind::Cid => self.name(format_args!("cutoff:cid:{id}")),
        }
    }

    /// A `SCAN MATCH` pattern for every revocation key of this version (and, in v2, nothing
    /// [`parse_key`](Self::parse_key) does not also filter out).
    pub fn revoked_pattern(&self) -> String {
        match self.version {
            ContractVersion::V1 => self.name(format_args!("revoked:*")),
            ContractVersion::V2 => self.name(format_args!("*")),
        }
    }

    pub fn channel(&self) -> String {
        self.name(format_args!("revocations"))
    }

    pub fn complete(&self) -> String {
        self.name(format_args!("complete"))
    }

    /// The kind and id a revocation key of this version names, or `None` for any other key.
    pub fn parse_key<'a>(&self, key: &'a str) -> Option<(EventKind, &'a str)> {
        let rest = key.strip_prefix(&self.prefix)?.strip_prefix(':')?;
        let rest = rest
            .strip_prefix(self.version.segment())?
            .strip_prefix(':')?;
        let kinds: &[(&str, EventKind)] = match self.version {
            ContractVersion::V1 => &[
                ("revoked:jti:", EventKind::Jti),
                ("revoked:gid:", EventKind::Gid),
            ],
            ContractVersion::V2 => &[
                ("revoked:jti:", EventKind::Jti),
                ("revoked:gid:", EventKind::Gid),
                ("cutoff:sub:", EventKind::Sub),
                ("cutoff:cid:", EventKind::Cid),
            ],
        };
        kinds
            .iter()
            .find_map(|(head, kind)| rest.strip_prefix(head).map(|id| (*kind, id)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// An access token's `jti`.
    Jti,
    /// A grant id (`gid` claim).
    Gid,
    /// v2: a cut-off for every access token with this `sub`.
    Sub,
    /// v2: a cut-off for every access token with this `client_id`.
    Cid,
}

impl EventKind {
    /// Whether entries of this kind are cut-offs (their value is the cut-off, compared with
    /// `iat`) rather than revocations of one token or grant (their value is `until`).
    pub fn is_cutoff(self) -> bool {
        matches!(self, EventKind::Sub | EventKind::Cid)
    }
}

/// v2: whether a cut-off at `cutoff` refuses a token issued at `iat` (both Unix seconds):
/// tokens issued at or before the cut-off are revoked.
pub fn cutoff_covers(cutoff: i64, iat: i64) -> bool {
    iat <= cutoff
}

/// Published on the channel for every revocation written:
/// `{"v":1,"kind":"jti"|"gid","id":"…","until":1700000000}` in v1;
/// `{"v":2,"kind":"jti"|"gid"|"sub"|"cid","id":"…","until":1700000000}` in v2, where a
/// cut-off (`sub`, `cid`) adds `"cutoff":1699999100`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationEvent {
    pub v: u32,
    pub kind: EventKind,
    pub id: String,
    pub until: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<i64>,
}

impl RevocationEvent {
    /// A v1 event.
    pub fn new(kind: EventKind, id: impl Into<String>, until: i64) -> Self {
        Self {
            v: 1,
            kind,
            id: id.into(),
            until,
            cutoff: None,
        }
    }

    /// A v2 event for a `jti` or a grant.
    pub fn v2(kind: EventKind, id: impl Into<String>, until: i64) -> Self {
        Self {
            v: 2,
            ..Self::new(kind, id, until)
        }
    }

    /// A v2 event for a cut-off (`kind` `Sub` or `Cid`).
    pub fn v2_cutoff(kind: EventKind, id: impl Into<String>, cutoff: i64, until: i64) -> Self {
        Self {
            cutoff: Some(cutoff),
            ..Self::v2(kind, id, until)
        }
    }

    /// The value the entry's key holds: the cut-off for a cut-off, else `until`.
    pub fn value(&self) -> i64 {
        self.cutoff.unwrap_or(self.until)
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
    fn v2_names_are_the_documented_ones() {
        let keys = DenylistKeys::v2("ciam");
        assert_eq!(keys.jti("j1"), "ciam:v2:revoked:jti:j1");
        assert_eq!(keys.grant("g1"), "ciam:v2:revoked:gid:g1");
        assert_eq!(keys.entry(EventKind::Sub, "u1"), "ciam:v2:cutoff:sub:u1");
        assert_eq!(keys.entry(EventKind::Cid, "c1"), "ciam:v2:cutoff:cid:c1");
        assert_eq!(keys.channel(), "ciam:v2:revocations");
        assert_eq!(keys.complete(), "ciam:v2:complete");
        assert_eq!(keys.revoked_pattern(), "ciam:v2:*");
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
        assert_eq!(keys.parse_key("acme:v2:revoked:jti:x"), None, "v1 reads v1");
        let v2 = DenylistKeys::v2("acme");
        for kind in [
            EventKind::Jti,
            EventKind::Gid,
            EventKind::Sub,
            EventKind::Cid,
        ] {
            assert_eq!(v2.parse_key(&v2.entry(kind, "i:d")), Some((kind, "i:d")));
        }
        assert_eq!(v2.parse_key("acme:v2:complete"), None);
        assert_eq!(v2.parse_key("acme:v2:rebuilding:x"), None);
        assert_eq!(v2.parse_key("acme:v1:revoked:jti:x"), None);
    }

    #[test]
    fn events_are_the_documented_json() {
        let event = RevocationEvent::new(EventKind::Gid, "g-1", 5);
        assert_eq!(
            serde_json::to_string(&event).expect("json"),
            r#"{"v":1,"kind":"gid","id":"g-1","until":5}"#
        );
        let event = RevocationEvent::v2(EventKind::Jti, "j", 5);
        assert_eq!(
            serde_json::to_string(&event).expect("json"),
            r#"{"v":2,"kind":"jti","id":"j","until":5}"#
        );
        let event = RevocationEvent::v2_cutoff(EventKind::Sub, "u", 3, 9);
        assert_eq!(
            serde_json::to_string(&event).expect("json"),
            r#"{"v":2,"kind":"sub","id":"u","until":9,"cutoff":3}"#
        );
        assert_eq!(event.value(), 3);
        let parsed: RevocationEvent =
            serde_json::from_str(r#"{"v":2,"kind":"cid","id":"c","until":9,"cutoff":4}"#)
                .expect("parses");
        assert_eq!(
            parsed,
            RevocationEvent::v2_cutoff(EventKind::Cid, "c", 4, 9)
        );
    }

    #[test]
    fn a_cutoff_covers_tokens_issued_at_or_before_it() {
        assert!(cutoff_covers(100, 99));
        assert!(cutoff_covers(100, 100));
        assert!(!cutoff_covers(100, 101));
    }
}
