//! Synced mode: a [`RevocationSet`] in memory, kept equal to (a superset of) ciam's Redis
//! denylist, so that a check is a hash lookup with no I/O.
//!
//! Two threads:
//! - the **subscriber** connects, `SUBSCRIBE`s to the channel *first*, then loads every
//!   key (`SCAN MATCH` + `MGET`, and `PTTL` of the cut-offs in v2), so that a revocation written during the load arrives as an
//!   event if the scan missed it; then applies events as they come, and `PING`s on the
//!   subscription whenever it has been quiet for a heartbeat, so that a hung Redis is
//!   noticed. On any error it reconnects (backing off to a second) and does it all again.
//! - the **maintainer** polls `{prefix}:{version}:complete` every second, reloads every
//!   `resync_interval` (and when the marker comes back after a loss), and removes entries
//!   past their `until` every `sweep_interval`.
//!
//! Entries are only ever added or raised, and removed at their `until`, exactly as Redis
//! does; a reload merges. So the copy is never missing what Redis had when it was last
//! loaded.
//!
//! Checks fail closed:
//! - `DenylistUnavailable` until one load has run while subscribed and with the
//!   completeness marker present (the copy is known to be whole). If the marker is missing
//!   at start (Redis was flushed and ciam has not rebuilt it yet, or the prefix is wrong),
//!   checks wait for it. A marker that disappears *later* changes nothing: the copy keeps
//!   every entry it had (a superset of what Redis lost), the rebuild's events arrive on the
//!   subscription, and a reload follows when the marker returns.
//! - `DenylistStale` when the subscription was last known live (a message, a `PONG`, a
//!   finished load) longer ago than `staleness`: until it is back and reloaded.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ciam_contract::{AccessTokenClaims, ContractVersion, DenylistKeys, RevocationEvent};

use crate::config::{redact, SyncedConfig};
use crate::denylist::link::{Endpoint, Link};
use crate::denylist::RevocationSet;
use crate::Rejection;

mod load;

/// How often the completeness marker is checked.
const MARKER_POLL: Duration = Duration::from_secs(1);
/// The longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

pub(crate) struct SyncedDenylist {
    shared: Arc<Shared>,
}

struct Shared {
    set: RevocationSet,
    keys: DenylistKeys,
    endpoint: Endpoint,
    config: SyncedConfig,
    /// The origin of the millisecond clock below.
    origin: Instant,
    /// Milliseconds after `origin` at which the subscription was last known live and the
    /// copy loaded; 0 while it never was.
    alive_at: AtomicU64,
    /// A load ran while subscribed, with the completeness marker present.
    whole: AtomicBool,
    /// Subscribed and loaded right now.
    live: AtomicBool,
    /// Bumped on each new subscription, so a reload can tell it spanned a reconnection.
    session: AtomicU64,
    stop: AtomicBool,
    /// Wakes the maintainer early, to stop.
    wake: (Mutex<()>, Condvar),
}

impl SyncedDenylist {
    /// Starts the two threads; returns at once. Checks answer `DenylistUnavailable` until
    /// the first load completes ([`wait_ready`](SyncedDenylist::wait_ready)).
    pub fn start(config: &SyncedConfig) -> Result<Self, crate::ConfigError> {
        let endpoint = Endpoint::open(&config.url, config.timeout).map_err(|e| {
            crate::ConfigError(format!("bad redis url {}: {e}", redact(&config.url)))
        })?;
        let shared = Arc::new(Shared {
            set: RevocationSet::new(),
            keys: DenylistKeys::versioned(config.prefix.clone(), config.contract),
            endpoint,
            config: config.clone(),
            origin: Instant::now(),
            alive_at: AtomicU64::new(0),
            whole: AtomicBool::new(false),
            live: AtomicBool::new(false),
            session: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            wake: (Mutex::new(()), Condvar::new()),
        });
        let subscriber = Arc::clone(&shared);
        let maintainer = Arc::clone(&shared);
        let spawn = |name: &str, body: Box<dyn FnOnce() + Send>| {
            thread::Builder::new()
                .name(name.into())
                .spawn(body)
                .map(|_| ())
                .map_err(|e| crate::ConfigError(format!("cannot start {name}: {e}")))
        };
        spawn(
            "ciam-resource-subscriber",
            Box::new(move || subscriber.run_subscriber()),
        )?;
        spawn(
            "ciam-resource-maintainer",
            Box::new(move || maintainer.run_maintainer()),
        )?;
        Ok(SyncedDenylist { shared })
    }

    /// Whether the token is revoked, from memory. No I/O, no allocation.
    pub fn is_revoked(&self, claims: &AccessTokenClaims, now: i64) -> Result<bool, Rejection> {
        self.ready()?;
        Ok(self.shared.set.is_revoked(claims, now))
    }

    /// Whether checks can answer from memory now, and why not.
    fn ready(&self) -> Result<(), Rejection> {
        let shared = &*self.shared;
        if !shared.whole.load(Ordering::Acquire) {
            return Err(Rejection::DenylistUnavailable);
        }
        let alive_at = shared.alive_at.load(Ordering::Acquire);
        if shared.millis().saturating_sub(alive_at) > millis(shared.config.staleness) {
            return Err(Rejection::DenylistStale);
        }
        Ok(())
    }

    /// Blocks until checks can answer (or `timeout`), returning why not.
    pub fn wait_ready(&self, timeout: Duration) -> Result<(), Rejection> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.ready() {
                Ok(()) => return Ok(()),
                Err(rejection) if Instant::now() >= deadline => return Err(rejection),
                Err(_) => thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    pub fn set(&self) -> &RevocationSet {
        &self.shared.set
    }
}

impl Drop for SyncedDenylist {
    /// Stops both threads (within a heartbeat).
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.1.notify_all();
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn unix_now() -> i64 {
    unix_now_millis() / 1000
}

fn unix_now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Shared {
    /// Milliseconds since `origin`, at least 1 (0 means "never").
    fn millis(&self) -> u64 {
        millis(self.origin.elapsed()).max(1)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Records that the subscription is live and the copy current, now.
    fn touch(&self) {
        self.alive_at.store(self.millis(), Ordering::Release);
    }

    /// How long the subscription may stay quiet before it is probed.
    fn heartbeat(&self) -> Duration {
        (self.config.staleness / 4).clamp(Duration::from_millis(20), Duration::from_secs(1))
    }

    /// A connection for loads and the marker: to the server, or to the cluster.
    fn connect(&self) -> redis::RedisResult<Link> {
        self.endpoint.connect(self.config.timeout)
    }

    fn run_subscriber(self: Arc<Self>) {
        let mut backoff = Duration::from_millis(50);
        while !self.stopped() {
            let result = self.subscription();
            self.live.store(false, Ordering::Release);
            if let Err(error) = result {
                tracing::warn!(%error, "revocation subscription lost; reconnecting");
                thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            } else {
                backoff = Duration::from_millis(50);
            }
        }
    }

    /// One subscription, from connecting to its first error. `Ok` only when stopped.
    fn subscription(&self) -> redis::RedisResult<()> {
        // On a cluster, any node: published messages reach every node.
        let mut conn = self.endpoint.subscriber(self.config.timeout)?;
        let mut pubsub = conn.as_pubsub();
        pubsub.subscribe(self.keys.channel())?;
        let session = self.session.fetch_add(1, Ordering::AcqRel) + 1;
        // Subscribed first, loaded second: a key written during the load is in the scan or
        // in an event received after it (ciam writes the key, then publishes, in one script).
        let complete = self.load(&mut self.connect()?)?;
        if complete {
            self.whole.store(true, Ordering::Release);
        }
        self.live.store(true, Ordering::Release);
        self.touch();
        tracing::info!(
            entries = self.set.len(),
            complete,
            session,
            "revocation denylist synced"
        );
        let heartbeat = self.heartbeat();
        pubsub.set_read_timeout(Some(heartbeat))?;
        while !self.stopped() {
            match pubsub.get_message() {
                Ok(message) => {
                    self.apply(message.get_payload_bytes());
                    self.touch();
                }
                Err(error) if error.is_timeout() => {
                    // Quiet: make sure the server is still there.
                    pubsub.set_read_timeout(Some(self.config.timeout))?;
                    pubsub.ping::<redis::Value>()?;
                    pubsub.set_read_timeout(Some(heartbeat))?;
                    self.touch();
                }
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    fn apply(&self, payload: &[u8]) {
        let version = self.keys.version();
        match serde_json::from_slice::<RevocationEvent>(payload) {
            // v1 has no cut-offs: one on its channel breaks the contract.
            Ok(event) if version == ContractVersion::V1 && event.kind.is_cutoff() => {
                tracing::warn!(kind = ?event.kind, "v1 revocation event of a v2 kind ignored");
            }
            Ok(event) if event.v == version.number() => self.set.apply(&event),
            Ok(event) => tracing::warn!(v = event.v, "revocation event of unknown version"),
            Err(error) => tracing::warn!(%error, "unreadable revocation event ignored"),
        }
    }

    fn run_maintainer(self: Arc<Self>) {
        let mut conn: Option<Link> = None;
        let mut marker_present = true;
        let mut last_reload = Instant::now();
        let mut last_sweep = Instant::now();
        while !self.stopped() {
            self.sleep(MARKER_POLL);
            if self.stopped() {
                return;
            }
            if last_sweep.elapsed() >= self.config.sweep_interval {
                last_sweep = Instant::now();
                let removed = self.set.remove_expired(unix_now());
                tracing::debug!(removed, "expired revocations swept");
            }
            if !self.live.load(Ordering::Acquire) {
                // The subscriber reloads when it is back.
                continue;
            }
            // One connection, kept while it works.
            let result = match conn.take() {
                Some(existing) => Ok(existing),
                None => self.connect(),
            }
            .and_then(|mut existing| {
                self.maintain(&mut existing, &mut marker_present, &mut last_reload)
                    .map(|()| existing)
            });
            match result {
                Ok(existing) => conn = Some(existing),
                Err(error) => tracing::warn!(%error, "denylist maintenance failed"),
            }
        }
    }

    /// One round: the completeness marker, and a reload when one is due.
    fn maintain(
        &self,
        conn: &mut Link,
        marker_present: &mut bool,
        last_reload: &mut Instant,
    ) -> redis::RedisResult<()> {
        let present = self.marker_present(conn)?;
        let mut reload = last_reload.elapsed() >= self.config.resync_interval;
        if present && !*marker_present {
            tracing::info!("denylist completeness marker is back; reloading");
            reload = true;
        } else if !present && *marker_present {
            tracing::warn!(
                "denylist completeness marker missing: Redis lost entries, or the prefix is \
                 wrong; keeping the in-memory copy until ciam rebuilds it"
            );
        }
        *marker_present = present;
        if present && !self.whole.load(Ordering::Acquire) {
            reload = true;
        }
        if reload {
            *last_reload = Instant::now();
            let session = self.session.load(Ordering::Acquire);
            let complete = self.load(conn)?;
            let same = self.live.load(Ordering::Acquire)
                && self.session.load(Ordering::Acquire) == session;
            if complete && same {
                self.whole.store(true, Ordering::Release);
            }
        }
        Ok(())
    }

    fn marker_present(&self, conn: &mut Link) -> redis::RedisResult<bool> {
        conn.exists(&self.keys.complete())
    }

    fn sleep(&self, duration: Duration) {
        let (lock, condvar) = &self.wake;
        let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        if self.stopped() {
            return;
        }
        let _ = condvar
            .wait_timeout(guard, duration)
            .unwrap_or_else(PoisonError::into_inner);
    }
}
