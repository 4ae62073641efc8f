//! Sync rounds: how checks ask the subscriber for a `PING` sent after they began, and learn
//! that its `PONG` (and so every event before it) has been applied.
//!
//! Rounds are numbered. A check takes the number of the next round not yet sent; the
//! subscriber takes that number when it sends the `PING`, so the round a check waits for was
//! sent after the check began. One round serves every check that asked before it was sent.
//!
//! A check waits either on a thread ([`Rounds::sync`], with its own deadline) or as a
//! future ([`RoundFence`]), which holds no thread. A future has no timer: it is woken when
//! its round completes, or fails. The subscriber guarantees one of them within about two
//! Redis timeouts: its reads and writes time out and then break the subscription, and a
//! subscriber thread that ends for any reason breaks it too.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

#[derive(Default)]
pub(super) struct Rounds {
    state: Mutex<State>,
    /// Checks wait on it for rounds to complete (or the replica to change state).
    round_done: Condvar,
    /// The subscriber waits on it for a check to want a round. Apart from `round_done`, so
    /// that a check asking for a round does not wake every other waiting check.
    round_wanted: Condvar,
}

#[derive(Default)]
struct State {
    /// The number the next round sent will have.
    next: u64,
    /// Every round below this one came back, with every event before it applied (rounds
    /// complete in order: one connection).
    done_below: u64,
    /// Every round below this one that did not come back never will: the subscription
    /// broke while it ran or before it was sent.
    failed_below: u64,
    /// A check is waiting for round `next`.
    wanted: bool,
    /// Subscribed, loaded, and no event missed since.
    whole: bool,
    stopped: bool,
    /// Futures waiting for a round, woken when any round completes or fails (a woken future
    /// that is not done yet registers again).
    wakers: Vec<Waker>,
}

impl State {
    /// Asks for the next round to be sent, and returns its number.
    fn ask(&mut self, round_wanted: &Condvar) -> u64 {
        if !self.wanted {
            self.wanted = true;
            round_wanted.notify_one();
        }
        self.next
    }

    /// What the wait for round `mine` ended with, if it has.
    fn outcome(&self, mine: u64) -> Option<SyncOutcome> {
        if self.done_below > mine {
            Some(SyncOutcome::Done)
        } else if mine < self.failed_below || !self.whole || self.stopped {
            Some(SyncOutcome::NotWhole)
        } else {
            None
        }
    }
}

/// What a check's wait for a round ended with.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum SyncOutcome {
    /// The replica holds every revocation made before the wait began.
    Done,
    /// Not loaded, or the subscription broke: the replica cannot tell, Redis may.
    NotWhole,
    /// No round came back in time: Redis, or the way to it, is not answering.
    TimedOut,
    /// (Futures only.) The round asked for will never come back: the subscription broke
    /// while the check waited, most often because Redis did not answer in time.
    Lost,
}

/// What the subscriber's wait ended with.
pub(super) enum Wake {
    /// Send round `n` now.
    Round(u64),
    Stop,
}

impl Rounds {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent at every unlock: a panic elsewhere cannot break it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn is_whole(&self) -> bool {
        self.lock().whole
    }

    /// Waits for a round sent after this call began to complete, at most `within`.
    pub(super) fn sync(&self, within: Duration) -> SyncOutcome {
        let deadline = Instant::now() + within;
        let mut state = self.lock();
        if !state.whole {
            return SyncOutcome::NotWhole;
        }
        let mine = state.ask(&self.round_wanted);
        loop {
            if let Some(outcome) = state.outcome(mine) {
                return outcome;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return SyncOutcome::TimedOut;
            }
            state = self
                .round_done
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Polls a [`RoundFence`] that waits for round `mine`, once it has asked for one.
    fn poll_fence(&self, mine: &mut Option<u64>, cx: &mut Context<'_>) -> Poll<SyncOutcome> {
        let mut state = self.lock();
        let round = match *mine {
            Some(round) => round,
            None if !state.whole => return Poll::Ready(SyncOutcome::NotWhole),
            None => *mine.insert(state.ask(&self.round_wanted)),
        };
        match state.outcome(round) {
            Some(SyncOutcome::NotWhole) => Poll::Ready(SyncOutcome::Lost),
            Some(outcome) => Poll::Ready(outcome),
            None => {
                state.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Wakes every waiting future, after the lock is released.
    fn wake_all(mut state: MutexGuard<'_, State>) {
        let wakers = std::mem::take(&mut state.wakers);
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// The subscriber: waits until a check wants a round, or `idle` passes (events are then
    /// drained anyway, and the connection proved alive), and takes the round's number.
    pub(super) fn next_round(&self, idle: Duration) -> Wake {
        let mut state = self.lock();
        if !state.wanted && !state.stopped {
            state = self
                .round_wanted
                .wait_timeout(state, idle)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        if state.stopped {
            return Wake::Stop;
        }
        let round = state.next;
        state.next += 1;
        state.wanted = false;
        Wake::Round(round)
    }

    /// Round `round` came back with every event before it applied.
    pub(super) fn completed(&self, round: u64) {
        let mut state = self.lock();
        state.done_below = state.done_below.max(round + 1);
        self.round_done.notify_all();
        Self::wake_all(state);
    }

    /// The subscription broke: events may be lost until the next load. Every round sent so
    /// far fails, and so does the one a check may be waiting to have sent.
    pub(super) fn broken(&self) {
        let mut state = self.lock();
        state.whole = false;
        state.next += 1;
        state.failed_below = state.next;
        state.wanted = false;
        self.round_done.notify_all();
        Self::wake_all(state);
    }

    /// Subscribed and loaded: checks may answer from the replica.
    pub(super) fn loaded(&self) {
        let mut state = self.lock();
        state.whole = true;
        self.round_done.notify_all();
        Self::wake_all(state);
    }

    pub(super) fn wait_whole(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut state = self.lock();
        while !state.whole {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .round_done
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    pub(super) fn stop(&self) {
        let mut state = self.lock();
        state.stopped = true;
        state.whole = false;
        self.round_done.notify_all();
        self.round_wanted.notify_all();
        Self::wake_all(state);
    }

    pub(super) fn is_stopped(&self) -> bool {
        self.lock().stopped
    }
}

/// A check's wait for a round sent after it was first polled, as a future: it holds no
/// thread while it waits.
pub(super) struct RoundFence {
    rounds: Arc<Rounds>,
    mine: Option<u64>,
}

impl RoundFence {
    pub(super) fn new(rounds: Arc<Rounds>) -> RoundFence {
        RoundFence { rounds, mine: None }
    }
}

impl Future for RoundFence {
    type Output = SyncOutcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SyncOutcome> {
        let fence = self.get_mut();
        fence.rounds.poll_fence(&mut fence.mine, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake as WakeTask;
    use std::thread;

    /// Counts how often the future it is given to was woken.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl WakeTask for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(fence: &mut RoundFence, wakes: &Arc<Wakes>) -> Poll<SyncOutcome> {
        let waker = Waker::from(Arc::clone(wakes));
        Pin::new(fence).poll(&mut Context::from_waker(&waker))
    }

    fn woken(wakes: &Wakes) -> usize {
        wakes.0.load(Ordering::SeqCst)
    }

    #[test]
    fn a_fence_waits_for_a_round_sent_after_it_was_first_polled() {
        let rounds = Arc::new(Rounds::default());
        rounds.loaded();
        let Wake::Round(sent_before) = rounds.next_round(Duration::ZERO) else {
            panic!("not stopped");
        };
        let wakes = Arc::new(Wakes::default());
        let mut fence = RoundFence::new(Arc::clone(&rounds));
        assert_eq!(poll(&mut fence, &wakes), Poll::Pending);
        // The fence asked for a round: the subscriber does not wait out its idle time.
        let asking = Instant::now();
        let Wake::Round(asked) = rounds.next_round(Duration::from_secs(30)) else {
            panic!("not stopped");
        };
        assert!(
            asking.elapsed() < Duration::from_secs(20),
            "no round was asked for"
        );
        assert!(asked > sent_before);
        rounds.completed(sent_before);
        assert_eq!(poll(&mut fence, &wakes), Poll::Pending, "an earlier round");
        rounds.completed(asked);
        assert!(woken(&wakes) >= 1, "completing its round wakes the fence");
        assert_eq!(poll(&mut fence, &wakes), Poll::Ready(SyncOutcome::Done));
    }

    #[test]
    fn a_fence_answers_at_once_before_the_load_and_as_lost_when_the_subscription_breaks() {
        let rounds = Arc::new(Rounds::default());
        let wakes = Arc::new(Wakes::default());
        let mut early = RoundFence::new(Arc::clone(&rounds));
        assert_eq!(poll(&mut early, &wakes), Poll::Ready(SyncOutcome::NotWhole));
        rounds.loaded();
        let mut waiting = RoundFence::new(Arc::clone(&rounds));
        assert_eq!(poll(&mut waiting, &wakes), Poll::Pending);
        rounds.broken();
        assert_eq!(woken(&wakes), 1, "a break wakes the fence");
        assert_eq!(poll(&mut waiting, &wakes), Poll::Ready(SyncOutcome::Lost));
    }

    #[test]
    fn stopping_releases_waiting_fences() {
        let rounds = Arc::new(Rounds::default());
        rounds.loaded();
        let wakes = Arc::new(Wakes::default());
        let mut fence = RoundFence::new(Arc::clone(&rounds));
        assert_eq!(poll(&mut fence, &wakes), Poll::Pending);
        rounds.stop();
        assert_eq!(woken(&wakes), 1);
        assert_eq!(poll(&mut fence, &wakes), Poll::Ready(SyncOutcome::Lost));
    }

    #[test]
    fn a_check_waits_for_a_round_sent_after_it_began() {
        let rounds = Arc::new(Rounds::default());
        rounds.loaded();
        // A round already sent (number 0) does not satisfy a check that begins now.
        let Wake::Round(sent_before) = rounds.next_round(Duration::ZERO) else {
            panic!("not stopped");
        };
        let checker = {
            let rounds = Arc::clone(&rounds);
            thread::spawn(move || rounds.sync(Duration::from_secs(5)) == SyncOutcome::Done)
        };
        // The check asks for round 1; completing round 0 must not release it.
        let Wake::Round(asked) = rounds.next_round(Duration::from_secs(5)) else {
            panic!("not stopped");
        };
        assert!(asked > sent_before);
        rounds.completed(sent_before);
        thread::sleep(Duration::from_millis(50));
        assert!(!checker.is_finished(), "released by an earlier round");
        rounds.completed(asked);
        assert!(checker.join().expect("joins"));
    }

    #[test]
    fn a_break_fails_waiting_checks_and_the_replica_is_not_whole_until_loaded() {
        let rounds = Arc::new(Rounds::default());
        assert_eq!(
            rounds.sync(Duration::from_secs(1)),
            SyncOutcome::NotWhole,
            "not loaded yet"
        );
        rounds.loaded();
        let checker = {
            let rounds = Arc::clone(&rounds);
            thread::spawn(move || rounds.sync(Duration::from_secs(5)) == SyncOutcome::Done)
        };
        let Wake::Round(_) = rounds.next_round(Duration::from_secs(5)) else {
            panic!("not stopped");
        };
        rounds.broken();
        assert!(!checker.join().expect("joins"));
        assert!(!rounds.is_whole());
        assert_eq!(rounds.sync(Duration::from_secs(1)), SyncOutcome::NotWhole);
    }

    #[test]
    fn a_round_that_does_not_come_back_in_time_fails_the_check() {
        let rounds = Rounds::default();
        rounds.loaded();
        let started = Instant::now();
        assert_eq!(
            rounds.sync(Duration::from_millis(30)),
            SyncOutcome::TimedOut
        );
        assert!(started.elapsed() >= Duration::from_millis(30));
    }
}
