//! A bound on password hashing: a few dedicated threads do every argon2id hash.
//!
//! Each hash holds its whole memory cost (19 MiB) while it runs. Bounding how many run at
//! once is not enough on its own: with glibc, a thread's freed 19 MiB stays in that thread's
//! malloc arena, so hashes spread over the 64 threads of a burst leave 64 × 19 MiB resident
//! long after (seen: 1 GiB). Run on the same few threads, every hash reuses the memory the
//! last one freed, and resident memory stays at about `threads × 19 MiB`.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

pub(crate) struct HashingPool {
    jobs: SyncSender<Job>,
}

/// Why a job did not run.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// `queue` jobs already wait: the caller is told to retry later.
    Saturated,
    /// The workers are gone (a job panicked in every one of them).
    Stopped,
}

impl HashingPool {
    /// `threads` workers (at least 1) and at most `queue` jobs waiting for them.
    pub(crate) fn new(threads: usize, queue: usize) -> Self {
        let (jobs, waiting) = mpsc::sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for i in 0..threads.max(1) {
            let waiting = Arc::clone(&waiting);
            let spawned = std::thread::Builder::new()
                .name(format!("ciam-argon2-{i}"))
                .spawn(move || work(&waiting));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        Self { jobs }
    }

    /// Runs `job` on a worker and returns its result; refused at once when the queue is
    /// full, so a burst is answered "retry later" instead of piling up without limit.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Refused> {
        let (done, result) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = done.send(job());
        });
        match self.jobs.try_send(job) {
            Ok(()) => result.recv().map_err(|_| Refused::Stopped),
            Err(TrySendError::Full(_)) => Err(Refused::Saturated),
            Err(TrySendError::Disconnected(_)) => Err(Refused::Stopped),
        }
    }
}

fn work(waiting: &Mutex<Receiver<Job>>) {
    loop {
        let job = match waiting.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            // Every sender is gone: the pool was dropped.
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn never_more_than_the_threads_at_once_and_every_job_answers() {
        let pool = Arc::new(HashingPool::new(2, 64));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..16)
            .map(|i| {
                let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
                std::thread::spawn(move || {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(5));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                })
            })
            .collect();
        for (i, caller) in callers.into_iter().enumerate() {
            assert_eq!(caller.join().expect("joined"), Ok(i));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_full_queue_refuses_at_once() {
        let pool = Arc::new(HashingPool::new(1, 1));
        let (release, hold) = mpsc::channel::<()>();
        let hold = Arc::new(Mutex::new(hold));
        let busy = {
            let (pool, hold) = (pool.clone(), hold.clone());
            std::thread::spawn(move || pool.run(move || hold.lock().map(|h| h.recv()).is_ok()))
        };
        let queued = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                // Queued behind the running job, filling the one-place queue.
                std::thread::sleep(Duration::from_millis(50));
                pool.run(|| true)
            })
        };
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(pool.run(|| true), Err(Refused::Saturated));
        release.send(()).expect("release");
        assert_eq!(busy.join().expect("joined"), Ok(true));
        assert_eq!(queued.join().expect("joined"), Ok(true));
    }
}
