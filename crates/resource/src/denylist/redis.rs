//! Per-check mode: one round trip to ciam's Redis through a small pool. In contract v2,
//! `MGET {jti key} {gid key} {sub key} {cid key}`; in v1, `EXISTS {jti key} {gid key}`.
//! Every check is bounded by one deadline (waiting for a connection, connecting, writing,
//! reading); past it, or on any error, the answer is `DenylistUnavailable`, never "not
//! revoked". On a Redis Cluster (`redis+cluster://`), a `GET` (v1: `EXISTS`) per key,
//! pipelined per primary, instead (see `link`).

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ciam_contract::{cutoff_covers, AccessTokenClaims, ContractVersion, DenylistKeys, EventKind};

use crate::config::{redact, RedisConfig};
use crate::denylist::key_value;
use crate::denylist::link::{Endpoint, Link, Lookup};
use crate::throttle::Throttle;
use crate::Rejection;

pub(crate) struct RedisLookup {
    endpoint: Endpoint,
    keys: DenylistKeys,
    timeout: Duration,
    pool_size: usize,
    require_complete: bool,
    pool: Mutex<Pool>,
    returned: Condvar,
    warnings: Throttle,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Conn>,
    /// Connections open, idle or in use.
    open: usize,
}

struct Conn {
    inner: Link,
    opened: Instant,
}

impl RedisLookup {
    pub fn new(config: &RedisConfig) -> Result<Self, crate::ConfigError> {
        let endpoint = Endpoint::open(&config.url, config.timeout).map_err(|e| {
            crate::ConfigError(format!("bad redis url {}: {e}", redact(&config.url)))
        })?;
        Ok(RedisLookup {
            endpoint,
            keys: DenylistKeys::versioned(config.prefix.clone(), config.contract),
            timeout: config.timeout,
            pool_size: config.pool_size,
            require_complete: config.require_complete,
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
            warnings: Throttle::default(),
        })
    }

    /// Whether the token is revoked at `now` (Unix seconds): one pipelined round trip of the
    /// version's lookup (and `EXISTS complete` when required).
    pub fn is_revoked(&self, claims: &AccessTokenClaims, now: i64) -> Result<bool, Rejection> {
        let gid = claims.gid.as_deref();
        match self.keys.version() {
            ContractVersion::V1 => {
                let mut keys = vec![self.keys.jti(&claims.jti)];
                if let Some(gid) = gid {
                    keys.push(self.keys.grant(gid));
                }
                let count: i64 = self.query(Lookup::Count, &keys)?;
                Ok(count > 0)
            }
            ContractVersion::V2 => {
                let mut keys = vec![self.keys.jti(&claims.jti)];
                if let Some(gid) = gid {
                    keys.push(self.keys.grant(gid));
                }
                keys.push(self.keys.entry(EventKind::Sub, &claims.sub));
                keys.push(self.keys.entry(EventKind::Cid, &claims.client_id));
                let values: Vec<Option<Vec<u8>>> = self.query(Lookup::Values, &keys)?;
                // The last two are the cut-offs; the others hold `until`.
                let cutoffs_at = values
                    .len()
                    .checked_sub(2)
                    .filter(|at| *at == 1 + usize::from(gid.is_some()))
                    .ok_or(Rejection::DenylistUnavailable)?;
                let (revocations, cutoffs) = values.split_at(cutoffs_at);
                Ok(revocations
                    .iter()
                    .flatten()
                    .any(|until| key_value(until) > now)
                    || cutoffs
                        .iter()
                        .flatten()
                        .any(|cutoff| cutoff_covers(key_value(cutoff), claims.iat)))
            }
        }
    }

    /// The lookup's reply, from the same round trip as the completeness check when that is
    /// required.
    fn query<T: redis::FromRedisValue>(
        &self,
        lookup: Lookup,
        keys: &[String],
    ) -> Result<T, Rejection> {
        let marker = self.require_complete.then(|| self.keys.complete());
        let (found, complete) = self.run(|conn| conn.lookup(lookup, keys, marker.as_deref()))?;
        if !complete {
            if self.warnings.ready() {
                tracing::warn!(
                    "the Redis denylist is not complete (no {}): refusing to answer",
                    self.keys.complete()
                );
            }
            return Err(Rejection::DenylistUnavailable);
        }
        redis::from_redis_value(found).map_err(|_| Rejection::DenylistUnavailable)
    }

    /// Runs `op` on a pooled connection within the deadline. A connection idle since before
    /// this call may have been closed meanwhile (a Redis restart): if it fails as dropped,
    /// `op` is tried once more on a fresh one.
    fn run<T>(&self, op: impl Fn(&mut Link) -> redis::RedisResult<T>) -> Result<T, Rejection> {
        let started = Instant::now();
        let deadline = started + self.timeout;
        loop {
            let mut conn = self.checkout(deadline)?;
            let remaining = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            let result = conn
                .inner
                .set_timeouts(remaining)
                .and_then(|()| op(&mut conn.inner));
            match result {
                Ok(value) => {
                    self.checkin(conn);
                    return Ok(value);
                }
                Err(error) => {
                    // A cluster's slots moved (`MOVED`, a failover): a new connection
                    // learns them.
                    let retry = (conn.opened < started && error.is_connection_dropped())
                        || error.is_cluster_error();
                    self.discard();
                    if !retry || Instant::now() >= deadline {
                        if self.warnings.ready() {
                            tracing::warn!(%error, "Redis denylist check failed");
                        }
                        return Err(Rejection::DenylistUnavailable);
                    }
                }
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn checkout(&self, deadline: Instant) -> Result<Conn, Rejection> {
        let mut pool = self.lock();
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(conn);
            }
            if pool.open < self.pool_size {
                pool.open += 1;
                drop(pool);
                return self.connect(deadline).inspect_err(|_| self.discard());
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                if self.warnings.ready() {
                    tracing::warn!("no Redis connection free within the timeout");
                }
                return Err(Rejection::DenylistUnavailable);
            }
            pool = self
                .returned
                .wait_timeout(pool, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn connect(&self, deadline: Instant) -> Result<Conn, Rejection> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Rejection::DenylistUnavailable);
        }
        match self.endpoint.connect(remaining) {
            Ok(inner) => Ok(Conn {
                inner,
                opened: Instant::now(),
            }),
            Err(error) => {
                if self.warnings.ready() {
                    tracing::warn!(%error, "cannot connect to the Redis denylist");
                }
                Err(Rejection::DenylistUnavailable)
            }
        }
    }

    fn checkin(&self, conn: Conn) {
        self.lock().idle.push(conn);
        self.returned.notify_one();
    }

    /// A connection that will not come back (broken, or never opened).
    fn discard(&self) {
        let mut pool = self.lock();
        pool.open = pool.open.saturating_sub(1);
        drop(pool);
        self.returned.notify_one();
    }
}
