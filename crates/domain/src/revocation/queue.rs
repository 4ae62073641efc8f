//! Group commit of access-token revocations, holding no thread while a request waits.
//!
//! Every revocation must be durable (the store) and then visible (the denylist) before its
//! request gets 200, and each step costs a round trip; the store's commit, a disk flush.
//! Revocations that arrive while a batch is being written wait in the queue and go out
//! together in the next one: one commit and one denylist write for all of them.
//!
//! A request enqueues its revocation and gets a [`Completion`], a plain future the HTTP edge
//! awaits on its event loop (or [`Completion::wait`] on a thread). The first request to find
//! nobody writing gets the [`Lead`] too: whoever holds it writes batches until the queue is
//! empty, on a thread that may block (the HTTP edge: its own batch, then the rest on a
//! detached blocking task). No thread of the domain's own, and no thread parked per waiting
//! request.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::ports::AccessTokenRevocation;
use super::{RevokeError, Revoker};
use crate::error::{Cause, Fault, StoreError};
use crate::revocation::model::Revocation;

/// Revocations per batch: one store statement and one denylist write.
pub(crate) const MAX_BATCH: usize = 256;

/// Revocations waiting at most: far more than concurrent requests ever queue while the
/// store answers (a batch takes about a millisecond), and a few megabytes. Past it (the store
/// hangs and requests keep coming) a revocation is refused at once (503) instead of queued
/// without bound.
pub(crate) const MAX_QUEUED: usize = 64 * MAX_BATCH;

#[derive(Default)]
pub(crate) struct Queue {
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    pending: Batch,
    /// A [`Lead`] exists: someone writes what is pending.
    leading: bool,
}

/// Revocations written together, and who waits for each (same order).
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) rows: Vec<AccessTokenRevocation>,
    pub(crate) entries: Vec<Revocation>,
    waiting: Vec<Arc<Slot>>,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // Every unlock leaves the state consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Enqueues one revocation; `true` with it when nobody was writing: the caller then
    /// holds the lead and must run it (see [`Lead`]), or the queue stalls.
    pub(crate) fn submit(
        &self,
        row: AccessTokenRevocation,
        entry: Revocation,
    ) -> (Completion, bool) {
        let done = Arc::new(Slot::default());
        let mut state = self.lock();
        if state.pending.rows.len() >= MAX_QUEUED {
            done.complete(Err(overloaded()));
            return (Completion(done), false);
        }
        state.pending.rows.push(row);
        state.pending.entries.push(entry);
        state.pending.waiting.push(Arc::clone(&done));
        let lead = !std::mem::replace(&mut state.leading, true);
        (Completion(done), lead)
    }

    /// The next batch, or `None` (and the lead given up) when nothing is pending.
    fn next_batch(&self) -> Option<Batch> {
        let mut state = self.lock();
        let pending = &mut state.pending;
        if pending.rows.is_empty() {
            state.leading = false;
            return None;
        }
        let take = pending.rows.len().min(MAX_BATCH);
        Some(Batch {
            rows: pending.rows.drain(..take).collect(),
            entries: pending.entries.drain(..take).collect(),
            waiting: pending.waiting.drain(..take).collect(),
        })
    }

    /// Whether revocations are pending; if none, the lead is given up.
    fn more(&self) -> bool {
        let mut state = self.lock();
        if state.pending.rows.is_empty() {
            state.leading = false;
            return false;
        }
        true
    }
}

fn overloaded() -> RevokeError {
    RevokeError::Unavailable(Fault::Store(StoreError::Unavailable(Cause::message(
        "too many revocations are waiting for the store",
    ))))
}

/// The duty to write what is queued, until nothing is. Held by one caller at a time.
pub struct Lead(Option<Arc<Revoker>>);

impl Lead {
    pub(crate) fn new(revoker: Arc<Revoker>) -> Lead {
        Lead(Some(revoker))
    }

    /// Writes one batch (the one holding the caller's own revocation, when it has just
    /// submitted). Returns the lead again if more is pending: run it elsewhere (it may go
    /// on for as long as revocations keep arriving), so that this caller can answer.
    pub fn run_once(mut self) -> Option<Lead> {
        let revoker = self.0.take()?;
        // Nothing pending: the lead is given up, and another request may already hold the
        // next one.
        let batch = revoker.queue.next_batch()?;
        write(&revoker, batch);
        revoker.queue.more().then(|| Lead(Some(revoker)))
    }

    /// Writes batches until nothing is pending.
    pub fn run(mut self) {
        if let Some(revoker) = self.0.take() {
            while let Some(batch) = revoker.queue.next_batch() {
                write(&revoker, batch);
            }
        }
    }
}

impl Drop for Lead {
    /// A lead dropped unrun still writes what is pending: the waiting requests have no one
    /// else to do it.
    fn drop(&mut self) {
        if let Some(revoker) = self.0.take() {
            Lead(Some(revoker)).run();
        }
    }
}

/// Durable first, then visible, then every waiting request is told: the same outcome for
/// the whole batch.
fn write(revoker: &Revoker, batch: Batch) {
    let outcome =
        catch_unwind(AssertUnwindSafe(|| revoker.commit_batch(&batch))).unwrap_or_else(|_| {
            Err(RevokeError::Unavailable(Fault::Store(
                StoreError::Unavailable(Cause::message("writing a revocation batch panicked")),
            )))
        });
    for waiting in batch.waiting {
        waiting.complete(outcome.clone());
    }
}

/// A revocation's outcome, filled in once.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    filled: Condvar,
}

#[derive(Default)]
struct SlotState {
    outcome: Option<Result<(), RevokeError>>,
    waker: Option<Waker>,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn complete(&self, outcome: Result<(), RevokeError>) {
        let waker = {
            let mut state = self.lock();
            state.outcome = Some(outcome);
            state.waker.take()
        };
        self.filled.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The outcome of one revocation: `Ok` once it is durable and visible (RFC 7009 §2.2's 200).
/// A future for an event loop; [`Completion::wait`] for a thread.
pub struct Completion(Arc<Slot>);

impl Completion {
    pub(crate) fn ready(outcome: Result<(), RevokeError>) -> Completion {
        let slot = Slot::default();
        slot.lock().outcome = Some(outcome);
        Completion(Arc::new(slot))
    }

    /// Blocks this thread for the outcome, at most `within`: after that the revocation is
    /// not known to be durable (it may still become so), and the answer is `Unavailable`.
    pub fn wait(self, within: Duration) -> Result<(), RevokeError> {
        let deadline = Instant::now() + within;
        let mut state = self.0.lock();
        loop {
            if let Some(outcome) = state.outcome.take() {
                return outcome;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Err(RevokeError::not_durable_within(within));
            };
            state = self
                .0
                .filled
                .wait_timeout(state, left)
                .map(|(state, _)| state)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

impl RevokeError {
    /// The answer for a revocation not known to be durable after waiting `within`.
    pub fn not_durable_within(within: Duration) -> RevokeError {
        RevokeError::Unavailable(Fault::Store(StoreError::Unavailable(Cause::message(
            format!("revocation not committed within {within:?}"),
        ))))
    }
}

impl Future for Completion {
    type Output = Result<(), RevokeError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.0.lock();
        match state.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
