//! The Redis denylist on a Redis Cluster (`redis+cluster://` URLs): the same contract keys
//! and events as on one Redis, with slot-aware commands only.
//!
//! - Writes: the single-key deny script per entry, in a cluster pipeline (one round trip
//!   per primary touched). Its `PUBLISH` reaches subscribers on every node: classic
//!   pub/sub is broadcast over the cluster bus.
//! - Checks: one `GET` per key in a cluster pipeline instead of a cross-slot `MGET`.
//! - Completeness: the marker keys each live in their own slot, so a loss on one shard
//!   (flush, restart, failover that lost writes) would not remove them. ciam therefore
//!   keeps a bookkeeping hash on every primary (`{prefix}:v2:shard:{n}`, see
//!   `cluster_slots`) holding the `run_id` of the process that served that shard when the
//!   last rebuild finished. The marker counts only while every primary's hash exists and
//!   names that primary's current `run_id`; otherwise ciam deletes the marker and the
//!   reconciler rebuilds.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ciam_domain::DenylistError;
use redis::cluster::{cluster_pipe, ClusterClient, ClusterConnection};
use redis::cluster_routing::{MultipleNodeRoutingInfo, ResponsePolicy, RoutingInfo};
use redis::{ConnectionLike, ErrorKind, RedisError, RedisResult, ServerErrorKind};

use crate::cluster_slots::{primaries, run_id, Primary};

/// Records the rebuild `ARGV[1]` on this shard with `ARGV[2]` = "{started} {run_id}", and
/// drops the records of rebuilds begun before `ARGV[3]` (their node died half-way).
const BEGIN_SCRIPT: &str = r"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 11) == 'rebuilding:' then
    local started = tonumber(string.match(all[i + 1], '^(%d+) '))
    if started and started < tonumber(ARGV[3]) then
      redis.call('HDEL', KEYS[1], all[i])
    end
  end
end
return 1
";

/// Ends the rebuild `ARGV[1]` on this shard. Succeeds (1) only if its record survived and
/// the same process (`run_id` `ARGV[2]`) served the shard when it began: then the shard
/// holds every write of the rebuild, and `primary` records that process.
const FINISH_SCRIPT: &str = r"
local begun = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
if begun and string.match(begun, '^%d+ (.*)$') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'primary', ARGV[2])
  return 1
end
return 0
";

/// The pause before running a call again after a redirect: a failover takes a moment to
/// reach every node.
const REDIRECT_PAUSE: Duration = Duration::from_millis(20);

/// How long a rebuild's record lives on a shard: far longer than any rebuild.
const REBUILD_RECORD_SECONDS: u64 = 24 * 3600;

/// One bookkeeping key per primary, and that primary's process now.
struct Shard {
    key: String,
    run_id: String,
}

/// A pool of cluster connections, each holding a connection to every node it needs.
pub(crate) struct RedisCluster {
    pool: r2d2::Pool<Manager>,
    prefix: String,
    timeout: Duration,
}

fn seed_urls(url: &str) -> Result<Vec<String>, DenylistError> {
    ciam_contract::cluster_seed_urls(url)
        .map_err(|e| DenylistError::caused_by("redis: bad cluster url", e))
}

impl RedisCluster {
    /// Builds the client and the pool without connecting.
    pub(crate) fn connect(
        url: &str,
        prefix: &str,
        pool_size: u32,
        timeout: Duration,
    ) -> Result<RedisCluster, DenylistError> {
        let client = ClusterClient::builder(seed_urls(url)?)
            .connection_timeout(timeout)
            .response_timeout(timeout)
            // Redirects (MOVED/ASK) and a failover in progress (CLUSTERDOWN, TRYAGAIN) are
            // retried briefly; a call stays near its timeout, and the reconciler repairs.
            .retries(3)
            .min_retry_wait(10)
            .max_retry_wait(100)
            .build()
            .map_err(|e| DenylistError::caused_by("redis: bad cluster url", e))?;
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .test_on_check_out(false)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Manager { client });
        Ok(RedisCluster {
            pool,
            prefix: prefix.to_owned(),
            timeout,
        })
    }

    /// Runs `op` on a pooled cluster connection, its sockets bounded by what remains of
    /// `timeout`. A connection that failed otherwise than with a server's reply is dropped.
    ///
    /// A cluster pipeline does not follow redirects itself: a `MOVED`, `ASK`, `TRYAGAIN` or
    /// `CLUSTERDOWN` (slots moved, a failover under way) drops the connection, so that the
    /// next one learns the slots anew, and `op` runs again while time remains. Every `op`
    /// here may run twice: the writes only raise, and a finish that ran half-way fails
    /// safe (it answers "not complete").
    fn run<T>(
        &self,
        what: &str,
        op: impl Fn(&mut ClusterConnection) -> RedisResult<T>,
    ) -> Result<T, DenylistError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(DenylistError::new(format!(
                    "redis {what}: no reply within {:?}",
                    self.timeout
                )));
            }
            let mut conn = self.pool.get_timeout(remaining).map_err(|cause| {
                DenylistError::caused_by(format!("redis {what}: no cluster connection"), cause)
            })?;
            let remaining = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            let result = conn
                .inner
                .set_read_timeout(Some(remaining))
                .and_then(|()| conn.inner.set_write_timeout(Some(remaining)))
                .and_then(|()| op(&mut conn.inner));
            match result {
                Ok(value) => return Ok(value),
                Err(error) if error.is_cluster_error() => {
                    conn.broken = true;
                    drop(conn);
                    std::thread::sleep(REDIRECT_PAUSE.min(remaining));
                }
                Err(error) => {
                    if !matches!(error.kind(), ErrorKind::Server(_) | ErrorKind::Extension) {
                        conn.broken = true;
                    }
                    return Err(DenylistError::caused_by(format!("redis {what}"), error));
                }
            }
        }
    }

    /// `EVALSHA` of the deny script for each `(key, args)`, pipelined per primary. A node
    /// that does not know the script gets it on every primary, and the whole batch runs
    /// again (the script only raises: running twice changes nothing).
    pub(crate) fn deny(
        &self,
        script: &redis::Script,
        code: &str,
        calls: &[(String, Vec<String>)],
    ) -> Result<(), DenylistError> {
        let mut pipe = cluster_pipe();
        for (key, args) in calls {
            pipe.cmd("EVALSHA")
                .arg(script.get_hash())
                .arg(1)
                .arg(key)
                .arg(args)
                .ignore();
        }
        self.run("deny", |conn| match pipe.query::<()>(conn) {
            Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                load_everywhere(conn, code)?;
                pipe.query::<()>(conn)
            }
            other => other,
        })
    }

    /// One `GET` per key, pipelined per primary: a cross-slot `MGET` would be refused.
    pub(crate) fn get_all(&self, keys: &[String]) -> Result<Vec<Option<String>>, DenylistError> {
        let mut pipe = cluster_pipe();
        for key in keys {
            pipe.cmd("GET").arg(key);
        }
        self.run("is_denied", |conn| pipe.query(conn))
    }

    /// Every primary answers `PING`: a write may go to any of them.
    pub(crate) fn ping(&self) -> Result<(), DenylistError> {
        self.run("ping", |conn| {
            conn.route_command(
                &redis::cmd("PING"),
                RoutingInfo::MultiNode((
                    MultipleNodeRoutingInfo::AllMasters,
                    Some(ResponsePolicy::AllSucceeded),
                )),
            )
            .map(drop)
        })
    }

    /// The bookkeeping key and the process of every primary that can hold our keys.
    fn shards(&self, conn: &mut ClusterConnection) -> RedisResult<Vec<Shard>> {
        let primaries: Vec<Primary> = primaries(conn)?;
        let mut shards = Vec::with_capacity(primaries.len());
        for primary in &primaries {
            if let Some(key) = primary.shard_key(&self.prefix) {
                shards.push(Shard {
                    key,
                    run_id: run_id(conn, primary)?,
                });
            }
        }
        if shards.is_empty() {
            return Err(RedisError::from((
                ErrorKind::Client,
                "the cluster serves no slot of the denylist's keys",
            )));
        }
        Ok(shards)
    }

    /// Whether every marker exists and every shard still has the process and data the last
    /// finished rebuild wrote to. A marker that no longer means what it says is deleted:
    /// resource servers trust it.
    pub(crate) fn is_complete(&self, markers: &[String]) -> Result<bool, DenylistError> {
        self.run("is_complete", |conn| {
            let shards = self.shards(conn)?;
            let mut pipe = cluster_pipe();
            for marker in markers {
                pipe.cmd("EXISTS").arg(marker);
            }
            for shard in &shards {
                pipe.cmd("HGET").arg(&shard.key).arg("primary");
            }
            let (present, recorded): (Vec<i64>, Vec<Option<String>>) = {
                let mut replies: Vec<redis::Value> = pipe.query(conn)?;
                let recorded = replies.split_off(markers.len());
                (
                    redis::from_redis_value(redis::Value::Array(replies))?,
                    redis::from_redis_value(redis::Value::Array(recorded))?,
                )
            };
            let present = present.iter().filter(|n| **n == 1).count();
            let intact = shards
                .iter()
                .zip(&recorded)
                .all(|(shard, recorded)| recorded.as_deref() == Some(shard.run_id.as_str()));
            if present > 0 && !intact {
                let mut pipe = cluster_pipe();
                for marker in markers {
                    pipe.cmd("DEL").arg(marker).ignore();
                }
                pipe.query::<()>(conn)?;
                return Ok(false);
            }
            Ok(present == markers.len() && intact)
        })
    }

    /// Records the rebuild on every shard, with the process serving it now.
    pub(crate) fn begin_rebuild(
        &self,
        rebuild_id: &str,
        retired_marker: Option<&str>,
    ) -> Result<(), DenylistError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let field = format!("rebuilding:{rebuild_id}");
        self.run("begin_rebuild", |conn| {
            let shards = self.shards(conn)?;
            let mut pipe = cluster_pipe();
            for shard in &shards {
                pipe.cmd("EVAL")
                    .arg(BEGIN_SCRIPT)
                    .arg(1)
                    .arg(&shard.key)
                    .arg(&field)
                    .arg(format!("{now} {}", shard.run_id))
                    .arg(now.saturating_sub(REBUILD_RECORD_SECONDS))
                    .ignore();
            }
            if let Some(marker) = retired_marker {
                pipe.cmd("DEL").arg(marker).ignore();
            }
            pipe.query::<()>(conn)
        })
    }

    /// Sets the markers only if every shard kept the rebuild's record and its process
    /// since `begin_rebuild`. A loss after this check shows in the next `is_complete`,
    /// which reads the shards again and deletes the markers.
    pub(crate) fn finish_rebuild(
        &self,
        rebuild_id: &str,
        markers: &[String],
    ) -> Result<bool, DenylistError> {
        let field = format!("rebuilding:{rebuild_id}");
        self.run("finish_rebuild", |conn| {
            let shards = self.shards(conn)?;
            let mut pipe = cluster_pipe();
            for shard in &shards {
                pipe.cmd("EVAL")
                    .arg(FINISH_SCRIPT)
                    .arg(1)
                    .arg(&shard.key)
                    .arg(&field)
                    .arg(&shard.run_id);
            }
            let finished: Vec<i64> = pipe.query(conn)?;
            if finished.iter().any(|n| *n != 1) {
                return Ok(false);
            }
            let mut pipe = cluster_pipe();
            for marker in markers {
                pipe.cmd("SET").arg(marker).arg(1).ignore();
            }
            pipe.query::<()>(conn)?;
            Ok(true)
        })
    }
}

/// `SCRIPT LOAD` on every primary.
fn load_everywhere(conn: &mut ClusterConnection, code: &str) -> RedisResult<()> {
    conn.route_command(
        redis::cmd("SCRIPT").arg("LOAD").arg(code),
        RoutingInfo::MultiNode((
            MultipleNodeRoutingInfo::AllMasters,
            Some(ResponsePolicy::AllSucceeded),
        )),
    )
    .map(drop)
}

/// Opens cluster connections (discovering the slots from the seed nodes).
struct Manager {
    client: ClusterClient,
}

struct Conn {
    inner: ClusterConnection,
    broken: bool,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = RedisError;

    fn connect(&self) -> Result<Conn, RedisError> {
        Ok(Conn {
            inner: self.client.get_connection()?,
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), RedisError> {
        redis::cmd("PING").query::<()>(&mut conn.inner)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || !conn.inner.is_open()
    }
}
