//! Per-check mode: `EXISTS {jti key} {gid key}` in ciam's Redis, one round trip, through a
//! small pool. Every check is bounded by one deadline (waiting for a connection,
//! connecting, writing, reading); past it, or on any error, the answer is
//! `DenylistUnavailable`, never "not revoked".

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ciam_contract::DenylistKeys;

use crate::config::{redact, RedisConfig};
use crate::throttle::Throttle;
use crate::Rejection;

pub(crate) struct RedisLookup {
    client: redis::Client,
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
    inner: redis::Connection,
    opened: Instant,
}

impl RedisLookup {
    pub fn new(config: &RedisConfig) -> Result<Self, crate::ConfigError> {
        let client = redis::Client::open(config.url.as_str()).map_err(|e| {
            crate::ConfigError(format!("bad redis url {}: {e}", redact(&config.url)))
        })?;
        Ok(RedisLookup {
            client,
            keys: DenylistKeys::new(config.prefix.clone()),
            timeout: config.timeout,
            pool_size: config.pool_size,
            require_complete: config.require_complete,
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
            warnings: Throttle::default(),
        })
    }

    /// Whether the token is revoked: one pipelined round trip of `EXISTS jti [gid]` (and
    /// `EXISTS complete` when required).
    pub fn is_revoked(&self, jti: &str, gid: Option<&str>) -> Result<bool, Rejection> {
        let mut pipe = redis::pipe();
        let exists = pipe.cmd("EXISTS").arg(self.keys.jti(jti));
        if let Some(gid) = gid {
            exists.arg(self.keys.grant(gid));
        }
        if self.require_complete {
            pipe.cmd("EXISTS").arg(self.keys.complete());
        }
        let replies: Vec<i64> = self.run(|conn| pipe.query(conn))?;
        match replies.as_slice() {
            [revoked] if !self.require_complete => Ok(*revoked > 0),
            [revoked, complete] if self.require_complete => {
                if *complete == 0 {
                    if self.warnings.ready() {
                        tracing::warn!(
                            "the Redis denylist is not complete (no {}): refusing to answer",
                            self.keys.complete()
                        );
                    }
                    return Err(Rejection::DenylistUnavailable);
                }
                Ok(*revoked > 0)
            }
            _ => Err(Rejection::DenylistUnavailable),
        }
    }

    /// Runs `op` on a pooled connection within the deadline. A connection idle since before
    /// this call may have been closed meanwhile (a Redis restart): if it fails as dropped,
    /// `op` is tried once more on a fresh one.
    fn run<T>(
        &self,
        op: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, Rejection> {
        let started = Instant::now();
        let deadline = started + self.timeout;
        loop {
            let mut conn = self.checkout(deadline)?;
            let remaining = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            let result = conn
                .inner
                .set_read_timeout(Some(remaining))
                .and_then(|()| conn.inner.set_write_timeout(Some(remaining)))
                .and_then(|()| op(&mut conn.inner));
            match result {
                Ok(value) => {
                    self.checkin(conn);
                    return Ok(value);
                }
                Err(error) => {
                    let retry = conn.opened < started && error.is_connection_dropped();
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
        match self.client.get_connection_with_timeout(remaining) {
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
