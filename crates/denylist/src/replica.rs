//! The full stack's denylist with a local replica: checks answer from memory, exactly.
//!
//! The replica is an [`InProcessDenylist`] that a subscriber thread keeps equal to (a
//! superset of) the Redis denylist: it subscribes to the v2 channel first, loads every key,
//! then applies the events (`replica/subscriber.rs`). Writes go to Redis (the shared copy,
//! and the events for every other node and resource server) and to the replica at once, so
//! a node reads its own revocations.
//!
//! **Exact across nodes, without a lookup per check.** A revocation made on another node
//! answered 200 only after its script ran in Redis, and the script publishes the event in
//! the same step. Redis handles one command at a time and sends a connection's replies and
//! messages in order, so a `PING` sent on the subscription *after* a check began comes back
//! behind every event published before that check began. A check that finds nothing in
//! memory therefore waits for the next such round (a *sync*) and looks again. Concurrent
//! checks share one round: one `PING` on one connection stands in for a `MGET` per check.
//! A token found in memory is refused at once, whole or not (entries are only added or
//! raised, and removed at their `until`).
//!
//! **Fallback.** While the replica is not whole (starting, or reloading after the
//! subscription broke: events may have been missed), or a round does not come back within
//! the Redis timeout, the check is the direct one (`RedisDenylist::is_denied`, one `MGET`),
//! which fails with `Err` when Redis is away: never a guess.
//!
//! This ordering holds on one Redis primary. On Redis Cluster an event published on another
//! shard reaches the subscriber's node over the cluster bus, later: there the replica is not
//! used (a `redis+cluster://` URL gets the direct `RedisDenylist`).

mod load;
mod rounds;
mod subscriber;

use std::sync::Arc;
use std::time::Duration;

use ciam_contract::ContractVersion;
use ciam_domain::ports::Denylist;
use ciam_domain::{DenylistError, Fence, Freshness, Revocation, TokenRef, UnixTime};

use crate::combiner::Combiner;
use crate::memory::InProcessDenylist;
use crate::redis::{RedisDenylist, RedisSettings};
use rounds::{RoundFence, Rounds, SyncOutcome};

/// Redis, read through a local replica kept current by its events.
pub struct ReplicatedDenylist {
    redis: Arc<RedisDenylist>,
    /// Concurrent revocations share one pipeline to Redis.
    writes: Combiner,
    replica: Arc<Replica>,
}

/// What the subscriber thread and the checks share.
struct Replica {
    set: InProcessDenylist,
    rounds: Arc<Rounds>,
    /// How long a check waits for a round before it asks Redis directly.
    timeout: Duration,
}

impl ReplicatedDenylist {
    /// Starts the subscriber thread; returns at once. Until the first load has finished,
    /// checks go to Redis directly.
    pub fn start(settings: RedisSettings) -> Result<Self, DenylistError> {
        if ciam_contract::is_cluster_url(&settings.url) {
            return Err(DenylistError::new(
                "the denylist replica needs one Redis primary, not a cluster",
            ));
        }
        let client = redis::Client::open(settings.url.as_str())
            .map_err(|e| DenylistError::caused_by("redis: bad url", e))?;
        let timeout = settings.timeout;
        let redis = Arc::new(RedisDenylist::connect(settings)?);
        let replica = Arc::new(Replica {
            set: InProcessDenylist::new(),
            rounds: Arc::default(),
            timeout,
        });
        let keys = redis.keys(ContractVersion::V2);
        subscriber::spawn(Arc::clone(&replica), client, keys, timeout)?;
        Ok(ReplicatedDenylist {
            redis,
            writes: Combiner::default(),
            replica,
        })
    }

    /// Whether checks are answered from the replica now (subscribed and loaded).
    pub fn is_replica_whole(&self) -> bool {
        self.replica.rounds.is_whole()
    }

    /// Waits up to `within` for the replica to become whole; for tests and start-up.
    pub fn wait_whole(&self, within: Duration) -> bool {
        self.replica.rounds.wait_whole(within)
    }
}

impl Drop for ReplicatedDenylist {
    fn drop(&mut self) {
        self.replica.rounds.stop();
    }
}

impl ReplicatedDenylist {
    /// The check of a token the replica did not hold when first asked, after a round.
    fn is_denied_beyond_memory(
        &self,
        token: &TokenRef<'_>,
        now: UnixTime,
        freshness: Freshness,
    ) -> Result<bool, DenylistError> {
        match freshness {
            Freshness::Current => self.replica.set.is_denied(token, now),
            Freshness::Unknown => self.redis.is_denied(token, now),
            Freshness::Failed(error) => Err(error),
        }
    }
}

impl Denylist for ReplicatedDenylist {
    /// Memory first (read-your-writes even if Redis then fails: the revocation is already
    /// committed to the store), then Redis, in one pipeline with the revocations made
    /// meanwhile; its `Ok` is the port's promise.
    fn deny(&self, entries: &[Revocation], now: UnixTime) -> Result<(), DenylistError> {
        self.replica.set.deny(entries, now)?;
        self.writes
            .deny(entries, |batch| self.redis.deny(batch, now))
    }

    fn is_denied(&self, token: &TokenRef<'_>, now: UnixTime) -> Result<bool, DenylistError> {
        let replica = &self.replica;
        // Whatever the replica holds is revoked, whole or not: entries are facts.
        if replica.set.is_denied(token, now)? {
            return Ok(true);
        }
        let freshness = match replica.rounds.sync(replica.timeout) {
            SyncOutcome::Done => Freshness::Current,
            SyncOutcome::NotWhole | SyncOutcome::Lost => Freshness::Unknown,
            // Asking Redis now would double the wait on a Redis that hangs.
            SyncOutcome::TimedOut => Freshness::Failed(DenylistError::new(format!(
                "denylist replica: no sync with Redis within {:?}",
                replica.timeout
            ))),
        };
        self.is_denied_beyond_memory(token, now, freshness)
    }

    /// One sync round, awaited instead of waited for on a thread.
    fn fence(&self) -> Fence {
        let round = RoundFence::new(Arc::clone(&self.replica.rounds));
        Fence::new(async move {
            match round.await {
                SyncOutcome::Done => Freshness::Current,
                SyncOutcome::NotWhole => Freshness::Unknown,
                // The future has no deadline of its own (see `rounds.rs`): a round that does
                // not come back in time breaks the subscription. Asking Redis now would
                // double the wait on a Redis that hangs; the store answers instead.
                SyncOutcome::Lost | SyncOutcome::TimedOut => Freshness::Failed(DenylistError::new(
                    "denylist replica: the sync round with Redis was lost",
                )),
            }
        })
    }

    fn is_denied_after(
        &self,
        token: &TokenRef<'_>,
        now: UnixTime,
        freshness: Freshness,
    ) -> Result<bool, DenylistError> {
        // Whatever the replica holds is revoked, whatever the fence said.
        if !matches!(freshness, Freshness::Current) && self.replica.set.is_denied(token, now)? {
            return Ok(true);
        }
        self.is_denied_beyond_memory(token, now, freshness)
    }

    fn ping(&self) -> Result<(), DenylistError> {
        self.redis.ping()
    }

    fn is_complete(&self) -> Result<bool, DenylistError> {
        self.redis.is_complete()
    }

    fn begin_rebuild(&self, rebuild_id: &str) -> Result<(), DenylistError> {
        self.redis.begin_rebuild(rebuild_id)
    }

    fn finish_rebuild(&self, rebuild_id: &str) -> Result<bool, DenylistError> {
        self.redis.finish_rebuild(rebuild_id)
    }
}
