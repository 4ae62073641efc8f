//! Where keys live on a Redis Cluster: the key-slot hash, the primaries and the slots
//! each serves (`CLUSTER SLOTS`), and the name of ciam's bookkeeping key on each primary.

use redis::cluster::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{ErrorKind, RedisError, RedisResult, Value};

/// Redis Cluster has 16384 hash slots.
const SLOTS: u16 = 16384;

/// Candidate shard-key names tried per primary. A primary serving k slots is missed with
/// probability about e^(-64·k): never, in practice.
const SHARD_KEY_CANDIDATES: u32 = 1 << 20;

/// The hash tag of a key: the part between the first `{` and the next `}`, if not empty.
/// (Redis Cluster specification, "Hash tags".)
fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|b| *b == b'{')?;
    let close = key[open + 1..].iter().position(|b| *b == b'}')?;
    let tag = &key[open + 1..open + 1 + close];
    (!tag.is_empty()).then_some(tag)
}

/// `CRC16(key or its hash tag) mod 16384`, as the cluster computes it.
pub(crate) fn slot(key: &str) -> u16 {
    let hashed = hash_tag(key.as_bytes()).unwrap_or(key.as_bytes());
    crc16::State::<crc16::XMODEM>::calculate(hashed) % SLOTS
}

/// One primary and the slot ranges (inclusive) it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Primary {
    pub host: String,
    pub port: u16,
    pub ranges: Vec<(u16, u16)>,
}

impl Primary {
    fn serves(&self, slot: u16) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&slot))
    }

    /// The route of a command sent to this node alone.
    pub fn route(&self) -> RoutingInfo {
        RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
            host: self.host.clone(),
            port: self.port,
        })
    }

    /// `{prefix}:v2:shard:{n}` with the smallest `n` that lands on this primary: ciam's
    /// bookkeeping key on this shard (not part of the contract). `None` when no key of this
    /// prefix can land here (a prefix with a hash tag puts every key in one slot).
    pub fn shard_key(&self, prefix: &str) -> Option<String> {
        let base = format!("{prefix}:v2:shard:");
        if hash_tag(base.as_bytes()).is_some() {
            let key = format!("{base}0");
            return self.serves(slot(&key)).then_some(key);
        }
        (0..SHARD_KEY_CANDIDATES)
            .map(|n| format!("{base}{n}"))
            .find(|key| self.serves(slot(key)))
    }
}

/// The primaries serving slots now, from `CLUSTER SLOTS` of any node.
pub(crate) fn primaries(conn: &mut ClusterConnection) -> RedisResult<Vec<Primary>> {
    let reply = conn.route_command(
        redis::cmd("CLUSTER").arg("SLOTS"),
        RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
    )?;
    parse_slots(reply)
}

fn malformed(what: &str) -> RedisError {
    RedisError::from((
        ErrorKind::Parse,
        "malformed CLUSTER SLOTS reply",
        what.to_owned(),
    ))
}

/// Each entry is `[start, end, [host, port, id, …], replicas…]`.
fn parse_slots(reply: Value) -> RedisResult<Vec<Primary>> {
    let Value::Array(entries) = reply else {
        return Err(malformed("not an array"));
    };
    let mut primaries: Vec<Primary> = Vec::new();
    for entry in entries {
        let Value::Array(fields) = entry else {
            return Err(malformed("entry not an array"));
        };
        let (start, end, node) = match fields.as_slice() {
            [Value::Int(start), Value::Int(end), Value::Array(node), ..] => (*start, *end, node),
            _ => return Err(malformed("entry fields")),
        };
        let (host, port) = match node.as_slice() {
            [host, Value::Int(port), ..] => {
                (redis::from_redis_value::<String>(host.clone())?, *port)
            }
            _ => return Err(malformed("node fields")),
        };
        let number = |n: i64| u16::try_from(n).map_err(|_| malformed("number out of range"));
        let range = (number(start)?, number(end)?);
        let port = number(port)?;
        match primaries
            .iter_mut()
            .find(|p| p.host == host && p.port == port)
        {
            Some(primary) => primary.ranges.push(range),
            None => primaries.push(Primary {
                host,
                port,
                ranges: vec![range],
            }),
        }
    }
    Ok(primaries)
}

/// The `run_id` of `INFO server` of `primary`: a new value for each Redis process, so a
/// restart or a failover (another process now serves the slots) changes it.
///
/// `CLUSTER SLOTS` comes from a random node, which may not have heard of a failover yet and
/// name the demoted primary, whose `run_id` is unchanged. A node that says it is not a
/// primary therefore answers an id that matches no record: the shard counts as changed.
pub(crate) fn run_id(conn: &mut ClusterConnection, primary: &Primary) -> RedisResult<String> {
    let reply = conn.route_command(
        redis::cmd("INFO").arg("server").arg("replication"),
        primary.route(),
    )?;
    let info: String = redis::from_redis_value(reply)?;
    let field = |name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
    };
    let id = field("run_id:").ok_or_else(|| malformed("INFO server without run_id"))?;
    Ok(match field("role:") {
        Some("master") => id.to_owned(),
        _ => format!("demoted:{id}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_the_cluster_specification() {
        // Values from `CLUSTER KEYSLOT` of Redis 7.
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("123456789"), 12739);
        assert_eq!(slot("{user1000}.following"), slot("user1000"));
        assert_eq!(
            slot("foo{}{bar}"),
            slot("foo{}{bar}"),
            "empty tag: whole key"
        );
        assert_ne!(slot("foo{}{bar}"), slot("bar"));
        assert_eq!(slot("foo{{bar}}zap"), slot("{bar"));
    }

    #[test]
    fn each_primary_gets_a_shard_key_in_its_own_slots() {
        let primaries = [(0, 5460), (5461, 10922), (10923, 16383)].map(|range| Primary {
            host: "h".into(),
            port: 1,
            ranges: vec![range],
        });
        for primary in &primaries {
            let key = primary.shard_key("ciam").expect("a key");
            assert!(key.starts_with("ciam:v2:shard:"), "{key}");
            assert!(primary.serves(slot(&key)), "{key}");
        }
        let tiny = Primary {
            host: "h".into(),
            port: 1,
            ranges: vec![(77, 77)],
        };
        assert_eq!(
            slot(&tiny.shard_key("ciam").expect("one slot suffices")),
            77
        );
    }

    #[test]
    fn a_tagged_prefix_keeps_every_key_in_one_slot() {
        let tagged = slot("{acme}");
        let owner = Primary {
            host: "h".into(),
            port: 1,
            ranges: vec![(tagged, tagged)],
        };
        let other = Primary {
            ranges: vec![(0, tagged.saturating_sub(1))],
            ..owner.clone()
        };
        assert_eq!(
            owner.shard_key("{acme}").as_deref(),
            Some("{acme}:v2:shard:0")
        );
        assert_eq!(other.shard_key("{acme}"), None);
    }

    #[test]
    fn parses_cluster_slots() {
        let node = |port| {
            Value::Array(vec![
                Value::BulkString(b"127.0.0.1".to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let entry = |lo, hi, port| Value::Array(vec![Value::Int(lo), Value::Int(hi), node(port)]);
        let reply = Value::Array(vec![
            entry(0, 99, 7000),
            entry(100, 199, 7001),
            entry(200, 300, 7000),
        ]);
        let parsed = parse_slots(reply).expect("parses");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].ranges, vec![(0, 99), (200, 300)]);
        assert_eq!(parsed[1].port, 7001);
        assert!(parse_slots(Value::Int(1)).is_err());
    }
}
