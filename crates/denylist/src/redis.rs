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

use ciam_contract::{DenylistKeys, EventKind, RevocationEvent};
use ciam_domain::ports::Denylist;
use ciam_domain::redact::redact_url;
use ciam_domain::{Cause, DenylistError, GrantId, Jti, Revocation, UnixTime};
use redis::{ErrorKind, RedisError, RedisResult, ServerErrorKind};

/// Where the Redis denylist lives and how long it may take.
#[derive(Clone)]
pub struct RedisSettings {
    /// `redis://[user:password@]host[:port][/db]`.
    pub url: String,
    /// The first segment of every key and of the channel, so that several ciam deployments
    /// (or tests) can share one server. Default `ciam`.
    pub key_prefix: String,
    /// The most connections open at once. Connections are opened on demand.
    pub pool_size: u32,
    /// The bound on one call: waiting for a connection (and connecting), sending and
    /// reading every reply.
    pub timeout: Duration,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            url: "redis://127.0.0.1:6379".into(),
            key_prefix: "ciam".into(),
            pool_size: 16,
            timeout: Duration::from_secs(1),
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
            .finish()
    }
}

/// Raises a key's value and expiry to `ARGV[1]` (Unix seconds), never lowers them: a
/// re-deny never shortens an entry. When it writes, it publishes `ARGV[3]` on channel
/// `ARGV[2]`, so that events announce changes and the periodic full rebuild, which
/// re-denies every live revocation, publishes nothing new. Returns 1 if it wrote, else 0.
/// One script call per entry keeps every call single-key.
const DENY_SCRIPT: &str = r"
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
";

/// Ends a rebuild: sets the completeness marker `KEYS[2]` only if the rebuild's own key
/// `KEYS[1]` survived (no flush or restart emptied Redis since the rebuild began), and
/// deletes that key. Returns 1 if it set the marker, else 0. Both keys share the prefix.
const FINISH_REBUILD_SCRIPT: &str = r"
if redis.call('DEL', KEYS[1]) == 1 then
  redis.call('SET', KEYS[2], '1')
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
    keys: DenylistKeys,
    timeout: Duration,
    /// `DENY_SCRIPT` and its SHA1: calls send `EVALSHA` with the 40-character hash instead
    /// of the script text, and load the script only when the server answers `NOSCRIPT`.
    deny_script: redis::Script,
    finish_rebuild_script: redis::Script,
    /// The `run_id` of the Redis process the last finished rebuild wrote to. A different one
    /// means Redis restarted since, perhaps from a dump older than its last writes: the
    /// marker in that dump no longer means what it says.
    rebuilt_on: Mutex<Option<String>>,
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
        let client = redis::Client::open(settings.url.as_str())
            .map_err(|e| DenylistError::caused_by("redis: bad url", e))?;
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
        Ok(RedisDenylist {
            pool,
            client,
            keys: DenylistKeys::new(settings.key_prefix),
            timeout: settings.timeout,
            deny_script: redis::Script::new(DENY_SCRIPT),
            finish_rebuild_script: redis::Script::new(FINISH_REBUILD_SCRIPT),
            rebuilt_on: Mutex::new(None),
        })
    }

    /// `{prefix}:v1:revoked:jti:{jti}` (ciam-contract)
    pub fn key_for_jti(&self, jti: &Jti) -> String {
        self.keys.jti(jti.as_str())
    }

    /// `{prefix}:v1:revoked:gid:{grant_id}`
    pub fn key_for_grant(&self, grant_id: &GrantId) -> String {
        self.keys.grant(grant_id.as_str())
    }

    /// `{prefix}:v1:revocations`: one message per key written (created or extended).
    pub fn channel(&self) -> String {
        self.keys.channel()
    }

    /// `{prefix}:v1:complete`
    pub fn complete_key(&self) -> String {
        self.keys.complete()
    }

    /// `{prefix}:v1:rebuilding:{rebuild_id}`: ciam's own bookkeeping, not part of the
    /// contract. It exists while that rebuild runs; a flush removes it with everything else.
    pub fn rebuild_key(&self, rebuild_id: &str) -> String {
        format!(
            "{}:{}:rebuilding:{rebuild_id}",
            self.keys.prefix(),
            ciam_contract::denylist::VERSION
        )
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

/// The event published for one entry (ciam-contract's `RevocationEvent`).
fn event(kind: EventKind, id: &str, until: UnixTime) -> String {
    let event = RevocationEvent::new(kind, id, until.0);
    serde_json::to_string(&event).unwrap_or_default()
}

impl Denylist for RedisDenylist {
    /// One round trip per `DENY_CHUNK` entries: an `EVALSHA` of the raise-only script per
    /// entry, pipelined; `Ok` once Redis has answered all of them. A server that does not
    /// know the script (restarted, flushed with `SCRIPT FLUSH`) gets it with `SCRIPT LOAD`
    /// and the chunk again: the script only ever raises, so running an entry twice changes
    /// nothing and publishes nothing more.
    fn deny(&self, entries: &[Revocation], now: UnixTime) -> Result<(), DenylistError> {
        let live: Vec<(String, String, UnixTime)> = entries
            .iter()
            .filter(|entry| entry.until() > now)
            .map(|entry| match entry {
                Revocation::AccessToken { jti, until } => (
                    self.key_for_jti(jti),
                    event(EventKind::Jti, jti.as_str(), *until),
                    *until,
                ),
                Revocation::Grant { grant_id, until } => (
                    self.key_for_grant(grant_id),
                    event(EventKind::Gid, grant_id.as_str(), *until),
                    *until,
                ),
            })
            .collect();
        let channel = self.channel();
        let hash = self.deny_script.get_hash();
        // A rebuild may carry every live revocation: each chunk is one round trip with a
        // timeout of its own, instead of one pipeline too long for any timeout.
        for chunk in live.chunks(DENY_CHUNK) {
            let mut pipe = redis::pipe();
            for (key, message, until) in chunk {
                pipe.cmd("EVALSHA")
                    .arg(hash)
                    .arg(1)
                    .arg(key)
                    .arg(until.0)
                    .arg(&channel)
                    .arg(message)
                    .ignore();
            }
            self.run("deny", |conn| match pipe.query::<()>(conn) {
                Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                    self.deny_script.load(conn)?;
                    pipe.query::<()>(conn)
                }
                other => other,
            })?;
        }
        Ok(())
    }

    /// One round trip: `MGET` of the token's key and its grant's. Denied if either holds an
    /// expiry after `now` (Redis drops it at that time anyway; comparing keeps `now` the
    /// clock of record). A value that is not a number counts as denied.
    fn is_denied(
        &self,
        jti: &Jti,
        grant_id: Option<&GrantId>,
        now: UnixTime,
    ) -> Result<bool, DenylistError> {
        let mut cmd = redis::cmd("MGET");
        cmd.arg(self.key_for_jti(jti));
        if let Some(grant_id) = grant_id {
            cmd.arg(self.key_for_grant(grant_id));
        }
        let values: Vec<Option<String>> = self.run("is_denied", |conn| cmd.query(conn))?;
        Ok(values.iter().flatten().any(|until| {
            until
                .trim()
                .parse::<i64>()
                .map_or(true, |until| until > now.0)
        }))
    }

    fn ping(&self) -> Result<(), DenylistError> {
        self.run("ping", |conn| redis::cmd("PING").query::<()>(conn))
    }

    /// Whether `{prefix}:v1:complete` exists, on the same Redis process the last rebuild
    /// here finished on. A flush or a restart without persistence removes the marker with
    /// everything else. A restart *with* persistence may bring back a dump older than the
    /// last writes, marker included: then the marker is deleted (resource servers must not
    /// trust it either) and the answer is `false`, so the reconciler rebuilds.
    fn is_complete(&self) -> Result<bool, DenylistError> {
        let key = self.complete_key();
        let (exists, info): (i64, String) = self.run("is_complete", |conn| {
            redis::pipe()
                .cmd("EXISTS")
                .arg(&key)
                .cmd("INFO")
                .arg("server")
                .query(conn)
        })?;
        let restarted = match (self.rebuilt_on.lock(), run_id(&info)) {
            (Ok(rebuilt_on), Some(now)) => rebuilt_on.as_deref().is_some_and(|then| then != now),
            _ => false,
        };
        if exists > 0 && restarted {
            self.run("is_complete", |conn| {
                redis::cmd("DEL").arg(&key).query::<()>(conn)
            })?;
            return Ok(false);
        }
        Ok(exists > 0)
    }

    /// Sets the rebuild's own key (with a day's expiry, in case this node dies half-way).
    /// The marker is left as it is: set only by `finish_rebuild`.
    fn begin_rebuild(&self, rebuild_id: &str) -> Result<(), DenylistError> {
        let key = self.rebuild_key(rebuild_id);
        self.run("begin_rebuild", |conn| {
            redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("EX")
                .arg(REBUILD_KEY_SECONDS)
                .query::<()>(conn)
        })
    }

    /// Sets `{prefix}:v1:complete` to `1`, without expiry, if the rebuild's key survived:
    /// one script, so that a flush cannot fall between the check and the write. Each
    /// rebuild has its own key, so concurrent rebuilds on several nodes do not interfere.
    fn finish_rebuild(&self, rebuild_id: &str) -> Result<bool, DenylistError> {
        let rebuild_key = self.rebuild_key(rebuild_id);
        let complete_key = self.complete_key();
        let (set, info) = self.run("finish_rebuild", |conn| {
            let set = self
                .finish_rebuild_script
                .key(&rebuild_key)
                .key(&complete_key)
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

    #[test]
    fn events_are_the_documented_json() {
        assert_eq!(
            event(EventKind::Jti, "a\"b", UnixTime(1_700_000_000)),
            r#"{"v":1,"kind":"jti","id":"a\"b","until":1700000000}"#
        );
        let parsed: serde_json::Value =
            serde_json::from_str(&event(EventKind::Gid, "g-1", UnixTime(5))).expect("valid JSON");
        assert_eq!(
            parsed,
            serde_json::json!({"v": 1, "kind": "gid", "id": "g-1", "until": 5})
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
            denylist.key_for_jti(&Jti::new("j1")),
            "acme:v1:revoked:jti:j1"
        );
        assert_eq!(
            denylist.key_for_grant(&GrantId::new("g1")),
            "acme:v1:revoked:gid:g1"
        );
        assert_eq!(denylist.channel(), "acme:v1:revocations");
        assert_eq!(denylist.complete_key(), "acme:v1:complete");
    }
}
