//! Prometheus metrics (docs/operations.md): the recorder behind the `metrics` facade, which
//! the HTTP edge and the store's pool record into, installed once per process; and the
//! gauges sampled when `/metrics` is scraped (pool state, denylist staleness), so that they
//! cost nothing between scrapes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use ciam_http::Exposition;
use ciam_store::DieselStore;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const DB_POOL_CONNECTIONS: &str = "ciam_db_pool_connections";
pub const DB_POOL_IDLE: &str = "ciam_db_pool_idle_connections";
pub const DB_POOL_MAX: &str = "ciam_db_pool_max_connections";
pub const DENYLIST_ENTRIES: &str = "ciam_denylist_entries";
pub const DENYLIST_STALENESS: &str = "ciam_denylist_staleness_seconds";
pub const RECONCILER_RUNS: &str = "ciam_reconciler_runs_total";
pub const RECONCILER_DURATION: &str = "ciam_reconciler_duration_seconds";
pub const BUILD_INFO: &str = "ciam_build_info";

/// Histogram buckets, seconds: from a cached answer (sub-millisecond) to a Redis or
/// Postgres timeout and a full denylist rebuild (tens of seconds).
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("another metrics recorder is installed in this process")]
    RecorderTaken,
}

/// A gauge read when metrics are scraped.
pub type Sampler = Box<dyn Fn() + Send + Sync>;

/// The process's recorder: installed on first use, the same one after.
pub fn recorder() -> Result<&'static PrometheusHandle, MetricsError> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            start_at_zero();
            Some(handle)
        })
        .as_ref()
        .ok_or(MetricsError::RecorderTaken)
}

/// Counters whose first increment is the news (an outage, a failed rebuild) exist at 0
/// from the start, so that `rate()` and `increase()` see that first one.
fn start_at_zero() {
    for dependency in ciam_http::metrics::DEPENDENCIES {
        metrics::counter!(ciam_http::metrics::DEPENDENCY_FAILURES, "dependency" => *dependency)
            .absolute(0);
    }
    for outcome in ReconcileOutcome::ALL {
        metrics::counter!(RECONCILER_RUNS, "outcome" => outcome.label()).absolute(0);
    }
    metrics::counter!(ciam_store::POOL_TIMEOUTS).absolute(0);
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// What `GET /metrics` answers: the samplers run, then everything is rendered.
pub fn exposition(samplers: Vec<Sampler>) -> Result<Exposition, MetricsError> {
    let handle = recorder()?;
    Ok(Exposition::new(move || {
        for sample in &samplers {
            sample();
        }
        handle.render()
    }))
}

/// Drains histogram samples into their buckets: without a scrape for a while they would
/// otherwise pile up in memory. The binary runs it every few seconds.
pub fn upkeep() {
    if let Ok(handle) = recorder() {
        handle.run_upkeep();
    }
}

/// The store's pool: open and idle connections, and its bound.
pub fn pool_sampler(store: DieselStore) -> Sampler {
    Box::new(move || {
        let state = store.pool_state();
        metrics::gauge!(DB_POOL_CONNECTIONS).set(state.connections);
        metrics::gauge!(DB_POOL_IDLE).set(state.idle);
        metrics::gauge!(DB_POOL_MAX).set(state.max_size);
    })
}

/// How a reconciler run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconcileOutcome {
    /// The denylist reported itself complete: nothing to do.
    Complete,
    /// It was rebuilt from the store (lost entries, a failed write, or the periodic rebuild).
    Rebuilt,
    /// The store or the denylist failed; retried at the next tick.
    Failed,
}

impl ReconcileOutcome {
    const ALL: [ReconcileOutcome; 3] = [Self::Complete, Self::Rebuilt, Self::Failed];

    fn label(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Rebuilt => "rebuilt",
            Self::Failed => "failed",
        }
    }
}

/// When the denylist was last known complete: the reconciler confirms it every second, so
/// a staleness that grows means resource servers may be missing revocations.
#[derive(Clone)]
pub struct DenylistFreshness {
    started: Instant,
    /// Milliseconds after `started` of the last confirmation; 0: never.
    confirmed_at_ms: Arc<AtomicU64>,
}

impl Default for DenylistFreshness {
    fn default() -> Self {
        DenylistFreshness {
            started: Instant::now(),
            confirmed_at_ms: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl DenylistFreshness {
    /// Records a reconciler run: its outcome, its duration, and (on a rebuild) how many
    /// entries the denylist was filled with.
    pub fn record(
        &self,
        outcome: ReconcileOutcome,
        began: Instant,
        rebuilt_entries: Option<usize>,
    ) {
        metrics::counter!(RECONCILER_RUNS, "outcome" => outcome.label()).increment(1);
        metrics::histogram!(RECONCILER_DURATION).record(began.elapsed().as_secs_f64());
        if let Some(entries) = rebuilt_entries {
            // f64 holds every count below 2^53 exactly.
            metrics::gauge!(DENYLIST_ENTRIES).set(entries as f64);
        }
        if outcome != ReconcileOutcome::Failed {
            let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.confirmed_at_ms.store(ms.max(1), Ordering::Relaxed);
        }
    }

    /// Seconds since the denylist was last confirmed complete (since start if never).
    fn staleness_seconds(&self) -> f64 {
        let now_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let confirmed = self.confirmed_at_ms.load(Ordering::Relaxed) as f64;
        ((now_ms - confirmed) / 1000.0).max(0.0)
    }

    pub fn sampler(&self) -> Sampler {
        let freshness = self.clone();
        Box::new(move || {
            metrics::gauge!(DENYLIST_STALENESS).set(freshness.staleness_seconds());
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_counts_from_the_last_confirmation_and_a_failure_does_not_confirm() {
        let freshness = DenylistFreshness {
            started: Instant::now() - std::time::Duration::from_secs(100),
            confirmed_at_ms: Arc::new(AtomicU64::new(0)),
        };
        assert!(freshness.staleness_seconds() >= 100.0, "never confirmed");
        freshness.record(ReconcileOutcome::Failed, Instant::now(), None);
        assert!(
            freshness.staleness_seconds() >= 100.0,
            "a failure confirms nothing"
        );
        freshness.record(ReconcileOutcome::Complete, Instant::now(), None);
        assert!(freshness.staleness_seconds() < 5.0);
    }
}
