//! Supervised background work: periodic tasks on threads of their own that survive a panic
//! in a run (logged, and the task goes on at its next tick) and stop cleanly on shutdown.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Background {
    stopping: Arc<(Mutex<bool>, Condvar)>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Background {
    /// Runs `tick` every `period`, the first time one period from now.
    pub fn every(
        &mut self,
        name: &'static str,
        period: Duration,
        mut tick: impl FnMut() + Send + 'static,
    ) {
        let stopping = Arc::clone(&self.stopping);
        let spawned = std::thread::Builder::new()
            .name(format!("ciam-{name}"))
            .spawn(move || {
                // Fixed rate, not fixed delay: a run that took long (a Redis call waiting out
                // its timeout) does not push every later run back by as much.
                let mut next = Instant::now() + period;
                while wait_or_stop(&stopping, next) {
                    if catch_unwind(AssertUnwindSafe(&mut tick)).is_err() {
                        tracing::error!(
                            task = name,
                            "background task panicked; it runs again at its next tick"
                        );
                    }
                    next = (next + period).max(Instant::now());
                }
            });
        match spawned {
            Ok(handle) => self.tasks.push((name, handle)),
            Err(error) => tracing::error!(task = name, %error, "cannot start a background task"),
        }
    }

    /// Asks every task to stop and waits for each to finish the run it is in.
    pub fn stop(self) {
        let (flag, wake) = &*self.stopping;
        if let Ok(mut stopping) = flag.lock() {
            *stopping = true;
        }
        wake.notify_all();
        for (name, handle) in self.tasks {
            if handle.join().is_err() {
                tracing::error!(task = name, "background task ended abnormally");
            }
        }
    }
}

/// Sleeps until `deadline` unless asked to stop first; `true` if the task should run now.
fn wait_or_stop(stopping: &(Mutex<bool>, Condvar), deadline: Instant) -> bool {
    let (flag, wake) = stopping;
    let Ok(mut stop) = flag.lock() else {
        return false;
    };
    loop {
        if *stop {
            return false;
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return true;
        };
        match wake.wait_timeout(stop, left) {
            Ok((guard, _)) => stop = guard,
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_panicking_task_goes_on_and_stop_is_prompt() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut background = Background::default();
        let counted = Arc::clone(&runs);
        background.every("test", Duration::from_millis(10), move || {
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("first run fails");
            }
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while runs.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(runs.load(Ordering::SeqCst) >= 3, "runs after the panic");

        let mut slow = Background::default();
        slow.every("slow", Duration::from_secs(3600), || {});
        let started = Instant::now();
        slow.stop();
        background.stop();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "stop does not wait a period"
        );
    }
}
