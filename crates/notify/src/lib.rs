//! Logout tokens delivered to clients' back-channel logout URIs (OpenID Connect Back-Channel
//! Logout 1.0 §2.5): an HTTP POST of `logout_token`, form-encoded, off the caller's thread,
//! retried with back-off until the client answers 2xx or the schedule runs out.
//!
//! Deliveries live in memory: a restart forgets the ones still being retried. What they
//! tell clients is already true in the store and the denylist (the session's grants are
//! revoked before any delivery is queued), so a lost delivery leaves a client's own session
//! open, never a token usable.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use ciam_domain::ports::{LogoutDelivery, LogoutNotifier};

/// How deliveries are made.
#[derive(Clone, Debug)]
pub struct NotifierSettings {
    /// The wait before each retry; its length is the number of retries. The default waits
    /// 1, 2, 4 … 128 s: about four minutes in all, within a logout token's five.
    pub retry_delays: Vec<Duration>,
    /// The bound on one attempt, connecting included.
    pub timeout: Duration,
    /// Deliveries retried at once at most; beyond, new ones are dropped with a warning, so a
    /// flood of logouts to a dead client cannot exhaust threads.
    pub max_in_flight: usize,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        NotifierSettings {
            retry_delays: (0..8).map(|i| Duration::from_secs(1 << i)).collect(),
            timeout: Duration::from_secs(5),
            max_in_flight: 256,
        }
    }
}

pub struct HttpLogoutNotifier {
    settings: Arc<NotifierSettings>,
    agent: ureq::Agent,
    in_flight: Arc<AtomicUsize>,
}

impl HttpLogoutNotifier {
    pub fn new(settings: NotifierSettings) -> HttpLogoutNotifier {
        let agent = ureq::AgentBuilder::new()
            .timeout(settings.timeout)
            // Back-Channel Logout 1.0 §2.5: the RP answers; it is not asked to redirect.
            .redirects(0)
            .build();
        HttpLogoutNotifier {
            settings: Arc::new(settings),
            agent,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many deliveries are being made or retried now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

impl LogoutNotifier for HttpLogoutNotifier {
    fn notify(&self, deliveries: Vec<LogoutDelivery>) {
        for delivery in deliveries {
            if self.in_flight.fetch_add(1, Ordering::SeqCst) >= self.settings.max_in_flight {
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!(uri = %delivery.uri, "too many logout deliveries in flight; dropped");
                continue;
            }
            let (agent, settings) = (self.agent.clone(), Arc::clone(&self.settings));
            let in_flight = Arc::clone(&self.in_flight);
            let spawned = thread::Builder::new()
                .name("ciam-logout-delivery".into())
                .spawn(move || {
                    deliver(&agent, &settings, &delivery);
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                });
            if let Err(error) = spawned {
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!(%error, "cannot start a logout delivery");
            }
        }
    }
}

/// Posts the token until a 2xx answer, waiting the next delay after each failure.
fn deliver(agent: &ureq::Agent, settings: &NotifierSettings, delivery: &LogoutDelivery) {
    let mut delays = settings.retry_delays.iter();
    loop {
        let outcome = agent
            .post(&delivery.uri)
            .send_form(&[("logout_token", delivery.logout_token.as_str())]);
        let failure = match outcome {
            Ok(response) if (200..300).contains(&response.status()) => return,
            Ok(response) => format!("HTTP {}", response.status()),
            Err(ureq::Error::Status(status, _)) => format!("HTTP {status}"),
            Err(error) => error.to_string(),
        };
        match delays.next() {
            Some(delay) => {
                tracing::info!(uri = %delivery.uri, %failure, retry_in = ?delay, "logout delivery failed");
                thread::sleep(*delay);
            }
            None => {
                tracing::warn!(uri = %delivery.uri, %failure, "logout delivery given up");
                return;
            }
        }
    }
}
