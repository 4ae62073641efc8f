use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use ciam_domain::{AuditTrail, Chain, Revoker};

use super::CommandError;
use crate::background::Background;
use ciam::metrics::{self, DenylistFreshness, ReconcileOutcome};
use ciam::settings::Settings;
use ciam::wiring;

pub fn run(settings: Settings) -> Result<(), CommandError> {
    // Held until this function returns, i.e. for as long as the server runs.
    let _database = wiring::claim_for_serving(&settings)?;
    let (services, store) = wiring::services_and_store(&settings)?;
    let freshness = DenylistFreshness::default();
    let exposition = metrics::exposition(vec![metrics::pool_sampler(store), freshness.sampler()])?;
    let branding = settings.branding()?;
    services.access_tokens.ensure_signing_key()?;
    // A denylist that cannot be filled now (Redis down) is not fatal: the server starts,
    // answers 503 where it needs the denylist, and the reconciler fills it when it returns.
    let began = Instant::now();
    match services.revocation.reconcile_denylist() {
        Ok(restored) => {
            freshness.record(ReconcileOutcome::Rebuilt, began, Some(restored));
            tracing::info!(restored, "denylist rebuilt from the store")
        }
        Err(error) => {
            freshness.record(ReconcileOutcome::Failed, began, None);
            ciam_http::metrics::record_fault(&error);
            tracing::warn!(error = %Chain(&error), "denylist not rebuilt yet; the reconciler retries")
        }
    }
    let mut background = Background::default();
    background.every(
        "reconciler",
        COMPLETENESS_CHECK,
        reconciler(
            Arc::clone(&services.revocation),
            Duration::from_secs(settings.reconcile_interval),
            freshness,
        ),
    );
    background.every("metrics-upkeep", METRICS_UPKEEP, metrics::upkeep);
    if settings.prune_interval > 0 {
        let (revocation, audit) = (
            Arc::clone(&services.revocation),
            Arc::clone(&services.audit),
        );
        background.every(
            "pruner",
            Duration::from_secs(settings.prune_interval),
            move || prune(&revocation, &audit),
        );
    }
    tracing::info!(
        listen = %settings.listen,
        metrics_listen = settings.metrics_listen.as_deref().unwrap_or(&settings.listen),
        issuer = %services.config().issuer,
        "ciam serving"
    );
    // On SIGTERM or SIGINT actix stops accepting, lets in-flight requests finish (a revoke
    // answers only once its batch has committed, so none is half-written), then returns.
    let served = actix_web::rt::System::new().block_on(async move {
        // With CIAM_METRICS_LISTEN, /metrics is served there alone, so it need not be public.
        let (on_main, separate) = match &settings.metrics_listen {
            Some(address) => (None, Some((address, exposition))),
            None => (Some(exposition), None),
        };
        let metrics_server = match separate {
            Some((address, exposition)) => Some(
                HttpServer::new(move || ciam_http::metrics_app(exposition.clone()))
                    .workers(1)
                    .bind(address)
                    .map_err(|e| format!("cannot listen on {address}: {e}"))?
                    .run(),
            ),
            None => None,
        };
        let main = HttpServer::new(move || {
            ciam_http::app_with(services.clone(), branding.clone(), on_main.clone())
        })
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .bind(&settings.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?
        .run();
        let metrics_handle = metrics_server.map(|server| {
            let handle = server.handle();
            actix_web::rt::spawn(server);
            handle
        });
        let served = main.await.map_err(CommandError::from);
        if let Some(handle) = metrics_handle {
            handle.stop(true).await;
        }
        served
    });
    background.stop();
    tracing::info!("ciam stopped");
    served
}

/// How long in-flight requests may take to finish after SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How often the denylist is asked whether it lost entries (a Redis restart or flush).
const COMPLETENESS_CHECK: Duration = Duration::from_secs(1);

/// How often histogram samples are folded into their buckets between scrapes.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Keeps the denylist a faithful cache of the store, run every second:
/// - if the denylist reports lost entries (Redis restarted without persistence,
///   `FLUSHALL`), or a write to it failed here, it is rebuilt at once;
/// - every `full_every`, it is rebuilt regardless, so a revocation that another process
///   made (`ciam client delete`) arrives.
fn reconciler(
    revocation: Arc<Revoker>,
    full_every: Duration,
    freshness: DenylistFreshness,
) -> impl FnMut() + Send {
    let mut since_full = Duration::ZERO;
    move || {
        let began = Instant::now();
        since_full += COMPLETENESS_CHECK;
        let result = if since_full >= full_every {
            since_full = Duration::ZERO;
            revocation.reconcile_denylist().map(Some)
        } else {
            revocation.reconcile_denylist_if_incomplete()
        };
        match result {
            Ok(Some(count)) => {
                freshness.record(ReconcileOutcome::Rebuilt, began, Some(count));
                tracing::info!(count, "denylist rebuilt from the store")
            }
            Ok(None) => freshness.record(ReconcileOutcome::Complete, began, None),
            Err(error) => {
                freshness.record(ReconcileOutcome::Failed, began, None);
                ciam_http::metrics::record_fault(&error);
                tracing::warn!(error = %Chain(&error), "denylist reconciliation failed; retrying")
            }
        }
    }
}

/// Deletes expired revocations, refresh tokens and finished grants, so the store (and the
/// SQLite file) stays the size of what is live. The first run is one interval after start,
/// away from the start-up rebuild. A failure is retried at the next interval. Audit
/// entries older than `CIAM_AUDIT_RETENTION` go in the same run.
fn prune(revocation: &Revoker, audit: &AuditTrail) {
    match revocation.prune_expired() {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "expired rows pruned from the store"),
        Err(error) => {
            tracing::warn!(error = %Chain(&error), "pruning expired rows failed; retrying later")
        }
    }
    match audit.prune() {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "audit entries past retention pruned"),
        Err(error) => {
            tracing::warn!(error = %Chain(&error), "pruning the audit trail failed; retrying later")
        }
    }
}
