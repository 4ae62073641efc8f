//! Group writes: concurrent `deny` calls share one Redis pipeline.
//!
//! A call adds its entries to the open batch. If no write is in flight it takes the batch
//! and writes it (the leader); otherwise it waits, and either finds its batch written by
//! the leader of the moment or, once that write is over and its own batch is still open,
//! leads it. A caller's `Ok` therefore still means its own entries were written: the
//! port's promise holds per call, and under load the revocations that arrive during one
//! round trip go out together in the next.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use ciam_domain::{DenylistError, Revocation};

/// Calls with this many entries or more are written on their own.
const ALONE: usize = 1000;

#[derive(Default)]
pub(crate) struct Combiner {
    state: Mutex<State>,
    written: Condvar,
}

#[derive(Default)]
struct State {
    /// The entries of the open batch.
    pending: Vec<Revocation>,
    /// The open batch's outcome, set when its write is over.
    open: Arc<Batch>,
    writing: bool,
}

#[derive(Default)]
struct Batch {
    outcome: OnceLock<Result<(), DenylistError>>,
}

impl Combiner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every unlock leaves the state consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes `entries` with whatever else is waiting, through `write`; returns the outcome
    /// of the write that carried them.
    pub(crate) fn deny(
        &self,
        entries: &[Revocation],
        write: impl Fn(&[Revocation]) -> Result<(), DenylistError>,
    ) -> Result<(), DenylistError> {
        // A rebuild's every live revocation fills pipelines of its own: copying it into the
        // batch would only double its memory.
        if entries.len() >= ALONE {
            return write(entries);
        }
        let mut state = self.lock();
        state.pending.extend_from_slice(entries);
        let mine = Arc::clone(&state.open);
        loop {
            if let Some(outcome) = mine.outcome.get() {
                return outcome.clone();
            }
            if !state.writing {
                // The open batch is still ours (a taken one is finished before `writing`
                // falls): lead it.
                state.writing = true;
                let batch = std::mem::take(&mut state.pending);
                let taken = std::mem::take(&mut state.open);
                drop(state);
                // `write` may panic (a bug); the batch then fails rather than hangs.
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(&batch)))
                        .unwrap_or_else(|_| Err(DenylistError::new("denylist write panicked")));
                let _ = taken.outcome.set(outcome);
                state = self.lock();
                state.writing = false;
                self.written.notify_all();
                continue;
            }
            state = self
                .written
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciam_domain::{Jti, UnixTime};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;
    use std::thread;
    use std::time::Duration;

    fn entry(i: usize) -> Revocation {
        Revocation::AccessToken {
            jti: Jti::new(format!("j{i}")),
            until: UnixTime(10),
        }
    }

    #[test]
    fn concurrent_calls_share_writes_and_every_entry_is_written_once() {
        let combiner = Combiner::default();
        let written = Mutex::new(Vec::new());
        let writes = AtomicUsize::new(0);
        let callers = 16;
        let start = Barrier::new(callers);
        thread::scope(|scope| {
            for i in 0..callers {
                let (combiner, written, writes, start) = (&combiner, &written, &writes, &start);
                scope.spawn(move || {
                    start.wait();
                    combiner
                        .deny(&[entry(i)], |batch| {
                            writes.fetch_add(1, Ordering::SeqCst);
                            // A round trip's worth of time for the others to queue.
                            thread::sleep(Duration::from_millis(20));
                            written.lock().expect("lock").extend_from_slice(batch);
                            Ok(())
                        })
                        .expect("written");
                    assert!(
                        written.lock().expect("lock").contains(&entry(i)),
                        "Ok before its entry was written"
                    );
                });
            }
        });
        let mut written = written.into_inner().expect("lock");
        assert_eq!(written.len(), callers, "each entry once");
        written.dedup();
        assert_eq!(written.len(), callers);
        let writes = writes.load(Ordering::SeqCst);
        assert!(writes < callers, "{writes} writes for {callers} calls");
    }

    #[test]
    fn a_failed_write_fails_every_call_it_carried_and_the_next_batch_is_tried_afresh() {
        let combiner = Combiner::default();
        let failing = |_: &[Revocation]| Err(DenylistError::new("down"));
        assert_eq!(
            combiner.deny(&[entry(1)], failing),
            Err(DenylistError::new("down"))
        );
        assert_eq!(combiner.deny(&[entry(2)], |_| Ok(())), Ok(()));
    }
}
