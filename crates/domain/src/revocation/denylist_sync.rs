//! Keeping the denylist complete: every committed revocation is written to it, a failed
//! write is remembered, and the reconciler rebuilds it from the store when it may be
//! missing entries (a failed write here, a Redis restart or flush anywhere).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::Revoker;
use crate::error::{DenylistError, Fault};
use crate::kernel::ID_BYTES;
use crate::revocation::model::Revocation;
use crate::time::UnixTime;

/// Failed denylist writes remembered for a fast catch-up.
const MAX_PENDING: usize = 10_000;

/// What this node knows about its own failed denylist writes.
#[derive(Default)]
pub(super) struct DenylistSync {
    /// Counts denylist writes that failed after their store commit. The denylist is behind
    /// the store while this is above `caught_up`.
    failures: AtomicU64,
    /// The `failures` count read before the store by the last rebuild that finished: every
    /// failure up to it is in the denylist now.
    caught_up: AtomicU64,
    /// The entries of failed denylist writes, each with its failure's number, so that the
    /// next rebuild writes them first, in one round trip, before it rewrites every live
    /// revocation (which takes seconds with hundreds of thousands). Bounded: past
    /// `MAX_PENDING` the full rebuild alone catches up.
    pending: Mutex<Vec<(u64, Revocation)>>,
}

impl DenylistSync {
    fn pending(&self) -> Vec<Revocation> {
        self.pending
            .lock()
            .map(|pending| pending.iter().map(|(_, entry)| entry.clone()).collect())
            .unwrap_or_default()
    }

    /// Whether a denylist write failed here since the last rebuild that succeeded began.
    fn behind(&self) -> bool {
        self.failures.load(Ordering::SeqCst) > self.caught_up.load(Ordering::SeqCst)
    }

    fn record_failure(&self, entries: &[Revocation]) {
        let failure = self.failures.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut pending) = self.pending.lock() {
            if pending.len() + entries.len() <= MAX_PENDING {
                pending.extend(entries.iter().map(|entry| (failure, entry.clone())));
            }
        }
    }

    fn caught_up_to(&self, failures: u64) {
        self.caught_up.fetch_max(failures, Ordering::SeqCst);
        if let Ok(mut pending) = self.pending.lock() {
            pending.retain(|(failure, _)| *failure > failures);
        }
    }
}

impl Revoker {
    /// Writes committed revocations to the denylist, remembering a failure so that the
    /// reconciler catches up. Callers answer 503 on `Err` (rule 9).
    pub(crate) fn deny(&self, entries: &[Revocation], now: UnixTime) -> Result<(), DenylistError> {
        self.core
            .ports
            .denylist
            .deny(entries, now)
            .inspect_err(|_| self.sync.record_failure(entries))
    }

    /// Writes every live revocation from the store into the denylist, then marks it
    /// complete. Run at start (the in-process denylist starts empty) and whenever the
    /// denylist may have lost entries.
    ///
    /// The completeness marker is set only once everything is written (resource servers
    /// trust it), and only if nothing was lost meanwhile; otherwise this fails and the
    /// next check runs it again.
    pub fn reconcile_denylist(&self) -> Result<usize, Fault> {
        let ports = &self.core.ports;
        // Read before the store: a failure counted after this may belong to a revocation
        // the store read below misses, so it stays pending for the next rebuild.
        let failures_before = self.sync.failures.load(Ordering::SeqCst);
        let now = self.core.now();
        // What failed here first: visible within one round trip of the denylist answering
        // again, instead of after the whole rebuild.
        let pending = self.sync.pending();
        if !pending.is_empty() {
            ports.denylist.deny(&pending, now)?;
        }
        let rebuild_id = self.core.random_string(ID_BYTES);
        ports.denylist.begin_rebuild(&rebuild_id)?;
        let live = ports.store.live_revocations(now)?;
        ports.denylist.deny(&live, now)?;
        if !ports.denylist.finish_rebuild(&rebuild_id)? {
            return Err(Fault::RebuildInterrupted);
        }
        self.sync.caught_up_to(failures_before);
        Ok(live.len())
    }

    /// Rebuilds the denylist only if it may be missing entries: it reports a loss (a Redis
    /// restart or flush), or a write to it failed here and no rebuild has succeeded since
    /// (whatever the marker says: a Redis restarted from an old dump has the marker and
    /// lacks what was written while it was down). Cheap enough to run every second: one
    /// round trip when nothing was lost.
    pub fn reconcile_denylist_if_incomplete(&self) -> Result<Option<usize>, Fault> {
        if !self.sync.behind() && self.core.ports.denylist.is_complete()? {
            return Ok(None);
        }
        self.reconcile_denylist().map(Some)
    }
}
