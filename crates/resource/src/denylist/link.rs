//! A connection to ciam's Redis for the Redis and synced modes: one server (`redis://`), or
//! a Redis Cluster (`redis+cluster://h1:p1,h2:p2,…`). Each operation the modes need is one
//! round trip on one server; on a cluster the same operation uses single-key commands only
//! (a cross-slot `MGET` is refused), pipelined per primary, and a `SCAN` runs on every
//! primary. docs/redis-denylist.md, "Redis Cluster".

use std::time::Duration;

use ciam_contract::{cluster_seed_urls, is_cluster_url};
use redis::cluster::{cluster_pipe, ClusterClient, ClusterConnection};
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{ErrorKind, RedisError, RedisResult, Value};

/// Where ciam's Redis is.
pub(crate) enum Endpoint {
    Single(redis::Client),
    Cluster {
        /// Boxed: a cluster client is several times the size of the other variant.
        client: Box<ClusterClient>,
        /// Each seed node on its own, for `SUBSCRIBE`: a message published on any node of a
        /// cluster reaches subscribers on every node.
        seeds: Vec<redis::Client>,
    },
}

impl Endpoint {
    /// Checks the URL without connecting. `timeout` bounds each connection attempt and
    /// each reply of a cluster connection.
    pub fn open(url: &str, timeout: Duration) -> Result<Endpoint, String> {
        if !is_cluster_url(url) {
            return redis::Client::open(url)
                .map(Endpoint::Single)
                .map_err(|e| e.to_string());
        }
        let seeds = cluster_seed_urls(url).map_err(|e| e.to_string())?;
        let client = ClusterClient::builder(seeds.clone())
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .retries(3)
            .min_retry_wait(10)
            .max_retry_wait(100)
            .build()
            .map_err(|e| e.to_string())?;
        let seeds = seeds
            .iter()
            .map(|seed| redis::Client::open(seed.as_str()))
            .collect::<RedisResult<Vec<_>>>()
            .map_err(|e| e.to_string())?;
        Ok(Endpoint::Cluster {
            client: Box::new(client),
            seeds,
        })
    }

    /// A connection for lookups, its reads and writes bounded by `timeout`.
    pub fn connect(&self, timeout: Duration) -> RedisResult<Link> {
        let mut link = match self {
            Endpoint::Single(client) => Link::Single(client.get_connection_with_timeout(timeout)?),
            Endpoint::Cluster { client, .. } => Link::Cluster(Box::new(client.get_connection()?)),
        };
        link.set_timeouts(timeout)?;
        Ok(link)
    }

    /// A connection to one server for `SUBSCRIBE`: the server, or the first seed of the
    /// cluster that answers.
    pub fn subscriber(&self, timeout: Duration) -> RedisResult<redis::Connection> {
        let clients: &[redis::Client] = match self {
            Endpoint::Single(client) => std::slice::from_ref(client),
            Endpoint::Cluster { seeds, .. } => seeds,
        };
        let mut last = None;
        for client in clients {
            match client.get_connection_with_timeout(timeout) {
                Ok(conn) => {
                    conn.set_read_timeout(Some(timeout))?;
                    conn.set_write_timeout(Some(timeout))?;
                    return Ok(conn);
                }
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| RedisError::from((ErrorKind::Client, "no seed node"))))
    }
}

/// An open connection.
pub(crate) enum Link {
    Single(redis::Connection),
    Cluster(Box<ClusterConnection>),
}

impl Link {
    pub fn set_timeouts(&mut self, timeout: Duration) -> RedisResult<()> {
        match self {
            Link::Single(conn) => {
                conn.set_read_timeout(Some(timeout))?;
                conn.set_write_timeout(Some(timeout))
            }
            Link::Cluster(conn) => {
                conn.set_read_timeout(Some(timeout))?;
                conn.set_write_timeout(Some(timeout))
            }
        }
    }

    /// `command` (`MGET` or `EXISTS`) over `keys`, and `EXISTS marker` if given, in one
    /// round trip. On a cluster, the command runs per key (`GET`s, or `EXISTS` summed).
    /// The reply of `MGET`/`GET`s is the values in order; of `EXISTS`, the count.
    pub fn lookup(
        &mut self,
        command: Lookup,
        keys: &[String],
        marker: Option<&str>,
    ) -> RedisResult<(Value, bool)> {
        match self {
            Link::Single(conn) => {
                let mut pipe = redis::pipe();
                pipe.cmd(command.multi_key()).arg(keys);
                if let Some(marker) = marker {
                    pipe.cmd("EXISTS").arg(marker);
                }
                let mut replies: Vec<Value> = pipe.query(conn)?;
                let present = marker_reply(&mut replies, marker.is_some())?;
                let found = replies.pop().unwrap_or(Value::Nil);
                Ok((found, present))
            }
            Link::Cluster(conn) => {
                let mut pipe = cluster_pipe();
                for key in keys {
                    pipe.cmd(command.single_key()).arg(key);
                }
                if let Some(marker) = marker {
                    pipe.cmd("EXISTS").arg(marker);
                }
                let mut replies: Vec<Value> = pipe.query(conn)?;
                let present = marker_reply(&mut replies, marker.is_some())?;
                let found = match command {
                    Lookup::Values => Value::Array(replies),
                    Lookup::Count => {
                        let counts: Vec<i64> = redis::from_redis_value(Value::Array(replies))?;
                        Value::Int(counts.iter().sum())
                    }
                };
                Ok((found, present))
            }
        }
    }

    /// Whether `key` exists.
    pub fn exists(&mut self, key: &str) -> RedisResult<bool> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(key);
        let count: i64 = match self {
            Link::Single(conn) => cmd.query(conn)?,
            Link::Cluster(conn) => cmd.query(conn.as_mut())?,
        };
        Ok(count > 0)
    }

    /// `PTTL` of each key, in one round trip (per primary on a cluster).
    pub fn pttls(&mut self, keys: &[&str]) -> RedisResult<Vec<i64>> {
        match self {
            Link::Single(conn) => {
                let mut pipe = redis::pipe();
                for key in keys {
                    pipe.cmd("PTTL").arg(*key);
                }
                pipe.query(conn)
            }
            Link::Cluster(conn) => {
                let mut pipe = cluster_pipe();
                for key in keys {
                    pipe.cmd("PTTL").arg(*key);
                }
                pipe.query(conn)
            }
        }
    }

    /// `SCAN MATCH pattern COUNT batch` to the end, calling `each` with every batch of
    /// names. On a cluster, on every primary (each scans only its own slots).
    pub fn scan(
        &mut self,
        pattern: &str,
        batch: usize,
        mut each: impl FnMut(&mut Link, &[String]) -> RedisResult<()>,
    ) -> RedisResult<()> {
        let nodes: Vec<Option<RoutingInfo>> = match self {
            Link::Single(_) => vec![None],
            Link::Cluster(conn) => primaries(conn)?.into_iter().map(Some).collect(),
        };
        for node in nodes {
            let mut cursor: u64 = 0;
            loop {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(batch);
                let (next, keys): (u64, Vec<String>) = match (&mut *self, &node) {
                    (Link::Single(conn), _) => scan.query(conn)?,
                    (Link::Cluster(conn), Some(route)) => {
                        redis::from_redis_value(conn.route_command(&scan, route.clone())?)?
                    }
                    (Link::Cluster(_), None) => {
                        return Err(RedisError::from((ErrorKind::Client, "no node to scan")))
                    }
                };
                each(self, &keys)?;
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(())
    }
}

/// What a lookup reads.
#[derive(Clone, Copy)]
pub(crate) enum Lookup {
    /// The keys' values (contract v2): `MGET`, or a `GET` each.
    Values,
    /// How many of the keys exist (contract v1): `EXISTS`.
    Count,
}

impl Lookup {
    fn multi_key(self) -> &'static str {
        match self {
            Lookup::Values => "MGET",
            Lookup::Count => "EXISTS",
        }
    }

    fn single_key(self) -> &'static str {
        match self {
            Lookup::Values => "GET",
            Lookup::Count => "EXISTS",
        }
    }
}

/// Takes the marker's `EXISTS` reply off the end, if one was asked for.
fn marker_reply(replies: &mut Vec<Value>, asked: bool) -> RedisResult<bool> {
    if !asked {
        return Ok(true);
    }
    let reply = replies
        .pop()
        .ok_or_else(|| RedisError::from((ErrorKind::Parse, "no reply for the marker")))?;
    Ok(redis::from_redis_value::<i64>(reply)? > 0)
}

/// The route to each primary that serves slots, from `CLUSTER SLOTS`
/// (`[start, end, [host, port, …], replicas…]` per range).
fn primaries(conn: &mut ClusterConnection) -> RedisResult<Vec<RoutingInfo>> {
    let reply = conn.route_command(
        redis::cmd("CLUSTER").arg("SLOTS"),
        RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
    )?;
    let ranges: Vec<Value> = redis::from_redis_value(reply)?;
    let mut nodes: Vec<(String, u16)> = Vec::new();
    for range in ranges {
        let fields: Vec<Value> = redis::from_redis_value(range)?;
        let Some(node) = fields.into_iter().nth(2) else {
            return Err(RedisError::from((
                ErrorKind::Parse,
                "CLUSTER SLOTS entry without a node",
            )));
        };
        let mut node = redis::from_redis_value::<Vec<Value>>(node)?.into_iter();
        let (Some(host), Some(port)) = (node.next(), node.next()) else {
            return Err(RedisError::from((
                ErrorKind::Parse,
                "CLUSTER SLOTS node without an address",
            )));
        };
        let address = (
            redis::from_redis_value(host)?,
            redis::from_redis_value(port)?,
        );
        if !nodes.contains(&address) {
            nodes.push(address);
        }
    }
    Ok(nodes
        .into_iter()
        .map(|(host, port)| {
            RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port })
        })
        .collect())
}
