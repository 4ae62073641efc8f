//! The Redis denylist: revocations shared with resource servers in any language.
//!
//! The key and channel names, the values and the event JSON are a published, versioned
//! contract: docs/redis-denylist.md. Changing any of them means a new version segment
//! (`v2`), never an edit of `v1`.
//!
//! Every call is bounded by `RedisSettings::timeout`, from the pool checkout to the last
//! reply, and any failure is an `Err`: never a guess.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ciam_contract::{cutoff_covers, ContractVersion, DenylistKeys, EventKind, RevocationEvent};
use ciam_domain::ports::Denylist;
use ciam_domain::redact::redact_url;
use ciam_domain::{Cause, CutoffKind, DenylistError, Revocation, TokenRef, UnixTime};
use redis::{ErrorKind, RedisError, RedisResult, ServerErrorKind};

use crate::redis_cluster::RedisCluster;

/// Where the Redis denylist lives and how long it may take.
#[derive(Clone)]
pub struct RedisSettings {
    /// `redis://[user:password@]host[:port][/db]`, or
    /// `redis+cluster://[user:password@]host:port,host:port,…` (seed nodes) for a Redis
    /// Cluster (see `redis_cluster`).
    pub url: String,
    /// The first segment of every key and of the channel, so that several ciam deployments
    /// (or tests) can share one server. Default `ciam`.
    pub key_prefix: String,
    /// The most connections open at once. Connections are opened on demand.
    pub pool_size: u32,
    /// The bound on one call: waiting for a connection (and connecting), sending and
    /// reading every reply.
    pub timeout: Duration,
    /// Also write contract v1 (`CIAM_REDIS_WRITE_V1`, default on), for resource servers
    /// that have not moved to v2. v2 is always written, and is what ciam reads.
    pub write_v1: bool,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            url: "redis://127.0.0.1:6379".into(),
            key_prefix: "ciam".into(),
            pool_size: 16,
            timeout: Duration::from_secs(1),
            write_v1: true,
        }
    }
}

impl fmt::Debug for RedisSettings {
    /// Leaves a password in the URL out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &redact_url(&self.url))
            .field("key_prefix", &self.key_prefix)
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("write_v1", &self.write_v1)
            .finish()
    }
}

/// Raises a key's value to `ARGV[1]` and sets its expiry to `ARGV[4]` (Unix seconds), never
/// lowers the value: a re-deny never shortens an entry. (For `jti` and `gid` keys the value is
/// the expiry; for a cut-off it is the cut-off, and its expiry rises with it.) When it
/// writes, it publishes `ARGV[3]` on channel `ARGV[2]`, so that events announce changes and
/// the periodic full rebuild, which re-denies every live revocation, publishes nothing new.
/// Returns 1 if it wrote, else 0. One script call per entry keeps every call single-key.
const DENY_SCRIPT: &str = r"
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[4])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
";

/// `DENY_SCRIPT` for many keys in one call, on a single server (a cluster keeps one key per
/// call: its keys live on different slots). For each `KEYS[i]`, `ARGV[4i-3..4i]` are that
/// entry's value, channel, event and expiry. One call per batch instead of one per entry:
/// Redis runs the script once, not dozens of times (docs/performance.md). Returns how many
/// keys it wrote.
const DENY_MANY_SCRIPT: &str = r"
local wrote = 0
for i = 1, #KEYS do
  local value = ARGV[4 * i - 3]
  local current = redis.call('GET', KEYS[i])
  if not (current and tonumber(current) and tonumber(current) >= tonumber(value)) then
    redis.call('SET', KEYS[i], value, 'EXAT', ARGV[4 * i])
    redis.call('PUBLISH', ARGV[4 * i - 2], ARGV[4 * i - 1])
    wrote = wrote + 1
  end
end
return wrote
";

/// Keys per `DENY_MANY_SCRIPT` call: Redis runs nothing else while a script runs, so a
/// rebuild's thousand-entry chunk goes as several short calls in one pipeline.
const KEYS_PER_SCRIPT: usize = 100;

/// Ends a rebuild: sets the completeness markers `KEYS[2..]` only if the rebuild's own key
/// `KEYS[1]` survived (no flush or restart emptied Redis since the rebuild began), and
/// deletes that key. Returns 1 if it set the markers, else 0. All keys share the prefix.
const FINISH_REBUILD_SCRIPT: &str = r"
if redis.call('DEL', KEYS[1]) == 1 then
  for i = 2, #KEYS do
    redis.call('SET', KEYS[i], '1')
  end
  return 1
end
return 0
";

/// How long a rebuild's own key lives: far longer than any rebuild, so that it only
/// expires when the node that began it died half-way.
const REBUILD_KEY_SECONDS: u64 = 24 * 3600;

/// Entries written per round trip by `deny`.
const DENY_CHUNK: usize = 1000;

/// The denylist in Redis, through a pool of connections opened on demand.
pub struct RedisDenylist {
    pool: r2d2::Pool<Manager>,
    /// For connecting without the pool while it holds no connection (see `checkout`).
    client: redis::Client,
    /// The names ciam reads (contract v2).
    keys: DenylistKeys,
    /// Every version written: v2, and v1 unless turned off.
    written: Vec<DenylistKeys>,
    timeout: Duration,
    /// `DENY_SCRIPT` and its SHA1: calls send `EVALSHA` with the 40-character hash instead
    /// of the script text, and load the script only when the server answers `NOSCRIPT`.
    deny_script: redis::Script,
    /// `DENY_MANY_SCRIPT`, likewise.
    deny_many_script: redis::Script,
    finish_rebuild_script: redis::Script,
    /// The `run_id` of the Redis process the last finished rebuild wrote to. A different one
    /// means Redis restarted since, perhaps from a dump older than its last writes: the
    /// marker in that dump no longer means what it says.
    rebuilt_on: Mutex<Option<String>>,
    /// Set for a `redis+cluster://` URL: every call goes there, and the single-server pool
    /// above stays empty.
    cluster: Option<RedisCluster>,
}

impl fmt::Debug for RedisDenylist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDenylist")
            .field("prefix", &self.keys.prefix())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisDenylist {
    /// Checks the settings and builds the pool without connecting: the service starts (and
    /// answers 503) while Redis is down, and every call reconnects as needed.
    pub fn connect(settings: RedisSettings) -> Result<RedisDenylist, DenylistError> {
        if settings.pool_size == 0 {
            return Err(DenylistError::new("redis: pool_size must be at least 1"));
        }
        if settings.timeout.is_zero() {
            return Err(DenylistError::new("redis: timeout must not be zero"));
        }
        if settings.key_prefix.is_empty() {
            return Err(DenylistError::new("redis: key_prefix must not be empty"));
        }
        let (client, cluster) = if ciam_contract::is_cluster_url(&settings.url) {
            let cluster = RedisCluster::connect(
                &settings.url,
                &settings.key_prefix,
                settings.pool_size,
                settings.timeout,
            )?;
            // Never connected: a placeholder for the unused single-server pool.
            let unused = redis::Client::open("redis://127.0.0.1")
                .map_err(|e| DenylistError::caused_by("redis", e))?;
            (unused, Some(cluster))
        } else {
            let client = redis::Client::open(settings.url.as_str())
                .map_err(|e| DenylistError::caused_by("redis: bad url", e))?;
            (client, None)
        };
        let manager = Manager {
            client: client.clone(),
            timeout: settings.timeout,
        };
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size)
            .min_idle(Some(0))
            .connection_timeout(settings.timeout)
            // A dead connection shows on first use and is retried (see `run`): no PING
            // round trip on every checkout.
            .test_on_check_out(false)
            // Failures reach the caller as `Err`; no second report through `log`.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        let keys = DenylistKeys::v2(settings.key_prefix.clone());
        let mut written = vec![keys.clone()];
        if settings.write_v1 {
            written.push(DenylistKeys::new(settings.key_prefix));
        }
        Ok(RedisDenylist {
            pool,
            client,
            keys,
            written,
            timeout: settings.timeout,
            deny_script: redis::Script::new(DENY_SCRIPT),
            deny_many_script: redis::Script::new(DENY_MANY_SCRIPT),
            finish_rebuild_script: redis::Script::new(FINISH_REBUILD_SCRIPT),
            rebuilt_on: Mutex::new(None),
            cluster,
        })
    }

    /// The names of one version of the contract (ciam-contract), under this prefix.
    pub fn keys(&self, version: ContractVersion) -> DenylistKeys {
        DenylistKeys::versioned(self.keys.prefix(), version)
    }

    /// `{prefix}:v2:rebuilding:{rebuild_id}`: ciam's own bookkeeping, not part of the
    /// contract. It exists while that rebuild runs; a flush removes it with everything else.
    pub fn rebuild_key(&self, rebuild_id: &str) -> String {
        format!(
            "{}:{}:rebuilding:{rebuild_id}",
            self.keys.prefix(),
            self.keys.version().segment()
        )
    }

    /// The completeness markers of every version written.
    fn complete_keys(&self) -> Vec<String> {
        self.written.iter().map(DenylistKeys::complete).collect()
    }

    /// Runs `op` on a pooled connection within `timeout`. A connection opened before this
    /// call may have been closed since (server restart, the server's idle `timeout`): if `op`
    /// fails because of that, the connection is dropped and `op` runs again on another. A
    /// connection opened during this call failing is final.
    fn run<T>(
        &self,
        what: &str,
        op: impl Fn(&mut redis::Connection) -> RedisResult<T>,
    ) -> Result<T, DenylistError> {
        let started = Instant::now();
        let deadline = started + self.timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(DenylistError::new(format!(
                    "redis {what}: no reply within {:?}",
                    self.timeout
                )));
            }
            let mut conn = self.checkout(remaining).map_err(|cause| {
                DenylistError::caused_by(format!("redis {what}: no connection"), cause)
            })?;
            let stale_possible = conn.opened < started;
            let result = conn
                .bound(remaining, self.timeout)
                .and_then(|()| op(&mut conn.inner));
            match result {
                Ok(value) => return Ok(value),
                Err(error) => {
                    if !is_server_reply(&error) {
                        // A timeout or an I/O error leaves replies unread: never reuse it.
                        conn.broken = true;
                    }
                    if !(stale_possible && error.is_connection_dropped()) {
                        return Err(DenylistError::caused_by(format!("redis {what}"), error));
                    }
                }
            }
        }
    }
}

/// The `run_id` line of `INFO server`: a new value each time a Redis process starts.
fn run_id(info: &str) -> Option<&str> {
    info.lines()
        .find_map(|line| line.strip_prefix("run_id:"))
        .map(str::trim)
}

/// A connection for one call: from the pool, or opened for this call alone.
enum Checkout {
    Pooled(r2d2::PooledConnection<Manager>),
    Direct(Conn),
}

impl std::ops::Deref for Checkout {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match self {
            Checkout::Pooled(conn) => conn,
            Checkout::Direct(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for Checkout {
    fn deref_mut(&mut self) -> &mut Conn {
        match self {
            Checkout::Pooled(conn) => conn,
            Checkout::Direct(conn) => conn,
        }
    }
}

impl RedisDenylist {
    /// A pooled connection, except while the pool holds none (Redis was away, or nothing
    /// has connected yet): r2d2 then connects in the background with a back-off of up to
    /// half the timeout between attempts, so a call would wait that long after Redis is
    /// back, and the whole timeout while it is away. Instead the call connects itself: a
    /// refused connection fails at once, an answering Redis is used at once. The pool is
    /// nudged to fill meanwhile.
    fn checkout(&self, within: Duration) -> Result<Checkout, Cause> {
        if self.pool.state().connections > 0 {
            return self
                .pool
                .get_timeout(within)
                .map(Checkout::Pooled)
                .map_err(Cause::new);
        }
        // Asks the pool for a connection without waiting: it starts connecting if it is
        // not already trying.
        if let Ok(pooled) = self.pool.get_timeout(Duration::ZERO) {
            return Ok(Checkout::Pooled(pooled));
        }
        open(&self.client, within)
            .map(Checkout::Direct)
            .map_err(Cause::new)
    }
}

/// A connection with `timeout` on connecting.
fn open(client: &redis::Client, timeout: Duration) -> Result<Conn, RedisError> {
    let inner = client.get_connection_with_timeout(timeout)?;
    Ok(Conn {
        inner,
        broken: false,
        opened: Instant::now(),
        socket_timeout: None,
    })
}

/// An error the server sent as a reply: the connection is still in step.
fn is_server_reply(error: &RedisError) -> bool {
    matches!(error.kind(), ErrorKind::Server(_) | ErrorKind::Extension)
}

/// One key to write for one entry in one version of the contract, or `None` when that
/// version has no such key (v1 has no cut-offs).
struct Write {
    key: String,
    /// What the key holds: `until`, or a cut-off's time.
    value: i64,
    until: i64,
    event: String,
    channel: String,
}

fn write(keys: &DenylistKeys, entry: &Revocation) -> Option<Write> {
    let version = keys.version();
    let (kind, id, cutoff, until) = match entry {
        Revocation::AccessToken { jti, until } => (EventKind::Jti, jti.as_str(), None, *until),
        Revocation::Grant { grant_id, until } => (EventKind::Gid, grant_id.as_str(), None, *until),
        Revocation::Cutoff(_) if version == ContractVersion::V1 => return None,
        Revocation::Cutoff(c) => {
            let kind = match c.kind {
                CutoffKind::Subject => EventKind::Sub,
                CutoffKind::Client => EventKind::Cid,
            };
            (kind, c.id.as_str(), Some(c.at.0), c.until)
        }
    };
    let event = match (version, cutoff) {
        (ContractVersion::V1, _) => RevocationEvent::new(kind, id, until.0),
        (ContractVersion::V2, None) => RevocationEvent::v2(kind, id, until.0),
        (ContractVersion::V2, Some(at)) => RevocationEvent::v2_cutoff(kind, id, at, until.0),
    };
    Some(Write {
        key: keys.entry(kind, id),
        value: event.value(),
        until: until.0,
        event: serde_json::to_string(&event).unwrap_or_default(),
        channel: keys.channel(),
    })
}

/// Whether one value of the check's `MGET` refuses the token: a `jti` or `gid` value is its
/// `until`, a cut-off's is compared with `iat`. A value that is not a number refuses.
fn refuses(kind: EventKind, value: &str, token: &TokenRef<'_>, now: UnixTime) -> bool {
    let Ok(value) = value.trim().parse::<i64>() else {
        return true;
    };
    if kind.is_cutoff() {
        cutoff_covers(value, token.issued_at.0)
    } else {
        value > now.0
    }
}

impl Denylist for RedisDenylist {
    /// One round trip per `DENY_CHUNK` entries: on a single server an `EVALSHA` of the
    /// raise-only script per `KEYS_PER_SCRIPT` entries, on a cluster one per entry,
    /// pipelined; `Ok` once Redis has answered all of them. A server that does not know the
    /// script (restarted, flushed with `SCRIPT FLUSH`) gets it with `SCRIPT LOAD` and the
    /// chunk again: the script only ever raises, so running an entry twice changes nothing
    /// and publishes nothing more.
    fn deny(&self, entries: &[Revocation], now: UnixTime) -> Result<(), DenylistError> {
        let mut writes = entries
            .iter()
            .filter(|entry| entry.until() > now)
            .flat_map(|entry| self.written.iter().filter_map(|keys| write(keys, entry)));
        // A rebuild may carry every live revocation: each chunk is one round trip with a
        // timeout of its own, instead of one pipeline too long for any timeout, and only one
        // chunk's keys and events are in memory at a time.
        loop {
            let chunk: Vec<Write> = writes.by_ref().take(DENY_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let chunk = chunk.as_slice();
            if let Some(cluster) = &self.cluster {
                let calls: Vec<(String, Vec<String>)> = chunk
                    .iter()
                    .map(|write| {
                        let args = vec![
                            write.value.to_string(),
                            write.channel.clone(),
                            write.event.clone(),
                            write.until.to_string(),
                        ];
                        (write.key.clone(), args)
                    })
                    .collect();
                cluster.deny(&self.deny_script, DENY_SCRIPT, &calls)?;
                continue;
            }
            let mut pipe = redis::pipe();
            for calls in chunk.chunks(KEYS_PER_SCRIPT) {
                let call = pipe
                    .cmd("EVALSHA")
                    .arg(self.deny_many_script.get_hash())
                    .arg(calls.len());
                for write in calls {
                    call.arg(&write.key);
                }
                for write in calls {
                    call.arg(write.value)
                        .arg(&write.channel)
                        .arg(&write.event)
                        .arg(write.until);
                }
                call.ignore();
            }
            self.run("deny", |conn| match pipe.query::<()>(conn) {
                Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                    self.deny_many_script.load(conn)?;
                    pipe.query::<()>(conn)
                }
                other => other,
            })?;
        }
        Ok(())
    }

    /// One round trip (on a cluster, one per primary touched): `MGET` of the token's v2 keys (its `jti`, its grant's, its subject's
    /// and its client's cut-offs). Redis drops each key at its `until`; comparing keeps
    /// `now` the clock of record.
    fn is_denied(&self, token: &TokenRef<'_>, now: UnixTime) -> Result<bool, DenylistError> {
        let mut kinds = vec![EventKind::Jti, EventKind::Sub, EventKind::Cid];
        let mut keys = vec![
            self.keys.jti(token.jti.as_str()),
            self.keys.entry(EventKind::Sub, token.subject),
            self.keys.entry(EventKind::Cid, token.client_id.as_str()),
        ];
        if let Some(grant_id) = token.grant_id {
            keys.push(self.keys.grant(grant_id.as_str()));
            kinds.push(EventKind::Gid);
        }
        let values: Vec<Option<String>> = match &self.cluster {
            // The keys are in different slots: one GET each (see `redis_cluster`).
            Some(cluster) => cluster.get_all(&keys)?,
            None => {
                let mut cmd = redis::cmd("MGET");
                cmd.arg(&keys);
                self.run("is_denied", |conn| cmd.query(conn))?
            }
        };
        Ok(kinds.iter().zip(values.iter()).any(|(kind, value)| {
            value
                .as_deref()
                .is_some_and(|v| refuses(*kind, v, token, now))
        }))
    }

    fn ping(&self) -> Result<(), DenylistError> {
        if let Some(cluster) = &self.cluster {
            return cluster.ping();
        }
        self.run("ping", |conn| redis::cmd("PING").query::<()>(conn))
    }

    /// Whether the completeness marker of every version written exists, on the same Redis
    /// process the last rebuild here finished on. A flush or a restart without persistence removes the marker with
    /// everything else. A restart *with* persistence may bring back a dump older than the
    /// last writes, marker included: then the marker is deleted (resource servers must not
    /// trust it either) and the answer is `false`, so the reconciler rebuilds.
    fn is_complete(&self) -> Result<bool, DenylistError> {
        let markers = self.complete_keys();
        if let Some(cluster) = &self.cluster {
            return cluster.is_complete(&markers);
        }
        let (exists, info): (usize, String) = self.run("is_complete", |conn| {
            redis::pipe()
                .cmd("EXISTS")
                .arg(&markers)
                .cmd("INFO")
                .arg("server")
                .query(conn)
        })?;
        let all = exists == markers.len();
        let restarted = match (self.rebuilt_on.lock(), run_id(&info)) {
            (Ok(rebuilt_on), Some(now)) => rebuilt_on.as_deref().is_some_and(|then| then != now),
            _ => false,
        };
        if exists > 0 && restarted {
            self.run("is_complete", |conn| {
                redis::cmd("DEL").arg(&markers).query::<()>(conn)
            })?;
            return Ok(false);
        }
        Ok(all)
    }

    /// Sets the rebuild's own key (with a day's expiry, in case this node dies half-way).
    /// The marker is left as it is: set only by `finish_rebuild`.
    ///
    /// With v1 no longer written, its marker is deleted: a v1 reader left behind that
    /// requires completeness then fails closed instead of trusting a copy that no longer
    /// receives revocations.
    fn begin_rebuild(&self, rebuild_id: &str) -> Result<(), DenylistError> {
        let key = self.rebuild_key(rebuild_id);
        let retired = (self.written.len() == 1).then(|| self.keys(ContractVersion::V1).complete());
        if let Some(cluster) = &self.cluster {
            return cluster.begin_rebuild(rebuild_id, retired.as_deref());
        }
        self.run("begin_rebuild", |conn| {
            let mut pipe = redis::pipe();
            pipe.cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("EX")
                .arg(REBUILD_KEY_SECONDS)
                .ignore();
            if let Some(marker) = &retired {
                pipe.cmd("DEL").arg(marker).ignore();
            }
            pipe.query::<()>(conn)
        })
    }

    /// Sets the completeness markers (`{prefix}:v2:complete`, and `{prefix}:v1:complete`
    /// while v1 is written) to `1`, without expiry, if the rebuild's key survived:
    /// one script, so that a flush cannot fall between the check and the write. Each
    /// rebuild has its own key, so concurrent rebuilds on several nodes do not interfere.
    fn finish_rebuild(&self, rebuild_id: &str) -> Result<bool, DenylistError> {
        let markers = self.complete_keys();
        if let Some(cluster) = &self.cluster {
            return cluster.finish_rebuild(rebuild_id, &markers);
        }
        let rebuild_key = self.rebuild_key(rebuild_id);
        let (set, info) = self.run("finish_rebuild", |conn| {
            let set = self
                .finish_rebuild_script
                .key(&rebuild_key)
                .key(&markers)
                .invoke::<i64>(conn)?;
            // The same connection, so the same Redis process the marker was set on.
            let info = redis::cmd("INFO").arg("server").query::<String>(conn)?;
            Ok((set, info))
        })?;
        if set == 1 {
            if let (Ok(mut rebuilt_on), Some(id)) = (self.rebuilt_on.lock(), run_id(&info)) {
                *rebuilt_on = Some(id.to_owned());
            }
        }
        Ok(set == 1)
    }
}

/// Opens connections with `timeout` on connecting, reading and writing. (The redis crate's
/// own `r2d2` support connects without a timeout and reads without one, so a server that
/// stops answering would hang callers.)
struct Manager {
    client: redis::Client,
    timeout: Duration,
}

struct Conn {
    inner: redis::Connection,
    /// Set when an error may have left the connection out of step.
    broken: bool,
    opened: Instant,
    /// The read and write timeout the socket has now.
    socket_timeout: Option<Duration>,
}

impl Conn {
    /// Bounds the next reads and writes by what remains of the call's time. Setting them
    /// is two system calls, so they stay as they are when they already fit: at most
    /// `remaining`, and short of it by no more than a twentieth of `full` (so a call may
    /// time out up to 5 % early, never late).
    fn bound(&mut self, remaining: Duration, full: Duration) -> RedisResult<()> {
        let remaining = remaining.max(Duration::from_millis(1));
        if let Some(current) = self.socket_timeout {
            if current <= remaining && remaining - current <= full / 20 {
                return Ok(());
            }
        }
        // Forget the old value first: a failure half-way leaves it unknown.
        self.socket_timeout = None;
        self.inner.set_read_timeout(Some(remaining))?;
        self.inner.set_write_timeout(Some(remaining))?;
        self.socket_timeout = Some(remaining);
        Ok(())
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = RedisError;

    fn connect(&self) -> Result<Conn, RedisError> {
        open(&self.client, self.timeout)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), RedisError> {
        conn.bound(self.timeout, self.timeout)?;
        redis::cmd("PING").query::<()>(&mut conn.inner)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        use redis::ConnectionLike;
        conn.broken || !conn.inner.is_open()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use ciam_domain::{ClientId, Cutoff, GrantId, Jti};

    fn written(
        version: ContractVersion,
        entry: &Revocation,
    ) -> Option<(String, i64, i64, serde_json::Value)> {
        let keys = DenylistKeys::versioned("ciam", version);
        write(&keys, entry).map(|w| {
            let event = serde_json::from_str(&w.event).expect("JSON");
            assert_eq!(w.channel, keys.channel());
            (w.key, w.value, w.until, event)
        })
    }

    #[test]
    fn entries_become_the_documented_keys_values_and_events() {
        let token = Revocation::AccessToken {
            jti: Jti::new("a\"b"),
            until: UnixTime(1_700_000_000),
        };
        assert_eq!(
            written(ContractVersion::V1, &token),
            Some((
                "ciam:v1:revoked:jti:a\"b".into(),
                1_700_000_000,
                1_700_000_000,
                serde_json::json!({"v": 1, "kind": "jti", "id": "a\"b", "until": 1_700_000_000})
            ))
        );
        let grant = Revocation::Grant {
            grant_id: GrantId::new("g-1"),
            until: UnixTime(5),
        };
        assert_eq!(
            written(ContractVersion::V2, &grant),
            Some((
                "ciam:v2:revoked:gid:g-1".into(),
                5,
                5,
                serde_json::json!({"v": 2, "kind": "gid", "id": "g-1", "until": 5})
            ))
        );
        let cutoff = Revocation::Cutoff(Cutoff {
            kind: CutoffKind::Subject,
            id: "u-1".into(),
            at: UnixTime(100),
            until: UnixTime(700),
        });
        assert_eq!(
            written(ContractVersion::V1, &cutoff),
            None,
            "v1 has no cut-offs"
        );
        assert_eq!(
            written(ContractVersion::V2, &cutoff),
            Some((
                "ciam:v2:cutoff:sub:u-1".into(),
                100,
                700,
                serde_json::json!({"v": 2, "kind": "sub", "id": "u-1", "until": 700, "cutoff": 100})
            ))
        );
    }

    #[test]
    fn values_refuse_by_until_or_by_cutoff() {
        let (jti, client) = (Jti::new("j"), ClientId::new("c"));
        let token = TokenRef {
            jti: &jti,
            grant_id: None,
            subject: "u",
            client_id: &client,
            issued_at: UnixTime(100),
        };
        let now = UnixTime(150);
        assert!(refuses(EventKind::Jti, "151", &token, now));
        assert!(!refuses(EventKind::Gid, "150", &token, now));
        assert!(refuses(EventKind::Sub, "100", &token, now));
        assert!(!refuses(EventKind::Cid, "99", &token, now));
        assert!(
            refuses(EventKind::Cid, "garbage", &token, now),
            "fails closed"
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let settings = RedisSettings {
            url: "redis://user:secret@redis.internal:6379/0".into(),
            ..RedisSettings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(
            shown.contains("redis://***@redis.internal:6379/0"),
            "{shown}"
        );
    }

    #[test]
    fn bad_settings_are_refused_without_connecting() {
        let refused = |settings: RedisSettings| RedisDenylist::connect(settings).is_err();
        assert!(refused(RedisSettings {
            pool_size: 0,
            ..RedisSettings::default()
        }));
        assert!(refused(RedisSettings {
            timeout: Duration::ZERO,
            ..RedisSettings::default()
        }));
        assert!(refused(RedisSettings {
            key_prefix: String::new(),
            ..RedisSettings::default()
        }));
        assert!(refused(RedisSettings {
            url: "http://nope".into(),
            ..RedisSettings::default()
        }));
    }

    #[test]
    fn keys_follow_the_documented_names() {
        let denylist = RedisDenylist::connect(RedisSettings {
            key_prefix: "acme".into(),
            ..RedisSettings::default()
        })
        .expect("no connection needed");
        assert_eq!(
            denylist.keys(ContractVersion::V1).jti("j1"),
            "acme:v1:revoked:jti:j1"
        );
        assert_eq!(
            denylist.keys(ContractVersion::V2).grant("g1"),
            "acme:v2:revoked:gid:g1"
        );
        assert_eq!(denylist.rebuild_key("r"), "acme:v2:rebuilding:r");
        assert_eq!(
            denylist.complete_keys(),
            vec!["acme:v2:complete".to_owned(), "acme:v1:complete".to_owned()]
        );
        let v2_only = RedisDenylist::connect(RedisSettings {
            key_prefix: "acme".into(),
            write_v1: false,
            ..RedisSettings::default()
        })
        .expect("no connection needed");
        assert_eq!(v2_only.complete_keys(), vec!["acme:v2:complete".to_owned()]);
    }
}
