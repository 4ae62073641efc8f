use std::sync::Arc;
use std::thread;
use std::time::Duration;

use actix_web::HttpServer;
use ciam_domain::TokenService;

use super::CommandError;
use crate::settings::Settings;
use crate::wiring;

pub fn run(settings: Settings) -> Result<(), CommandError> {
    let service = Arc::new(wiring::service(&settings)?);
    service.ensure_signing_key()?;
    // A denylist that cannot be filled now (Redis down) is not fatal: the server starts,
    // answers 503 where it needs the denylist, and the reconciler fills it when it returns.
    match service.reconcile_denylist() {
        Ok(restored) => tracing::info!(restored, "denylist rebuilt from the store"),
        Err(error) => tracing::warn!(%error, "denylist not rebuilt yet; the reconciler retries"),
    }
    spawn_reconciler(
        Arc::clone(&service),
        Duration::from_secs(settings.reconcile_interval),
    );
    if settings.prune_interval > 0 {
        spawn_pruner(
            Arc::clone(&service),
            Duration::from_secs(settings.prune_interval),
        );
    }
    tracing::info!(listen = %settings.listen, issuer = %service.config().issuer, "ciam serving");
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || ciam_http::app(Arc::clone(&service)))
            .bind(&settings.listen)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?
            .run()
            .await
            .map_err(CommandError::from)
    })
}

/// How often the denylist is asked whether it lost entries (a Redis restart or flush).
const COMPLETENESS_CHECK: Duration = Duration::from_secs(1);

/// Keeps the denylist a faithful cache of the store:
/// - every second, if the denylist reports lost entries (Redis restarted without persistence,
///   `FLUSHALL`), it is rebuilt at once: this is the "on every reconnect" rebuild;
/// - every `full_every`, it is rebuilt regardless, so a revocation whose denylist write failed
///   (the request got 503), or that another process made (`ciam client delete`), arrives.
fn spawn_reconciler(service: Arc<TokenService>, full_every: Duration) {
    thread::spawn(move || {
        let mut since_full = Duration::ZERO;
        loop {
            thread::sleep(COMPLETENESS_CHECK);
            since_full += COMPLETENESS_CHECK;
            let result = if since_full >= full_every {
                since_full = Duration::ZERO;
                service.reconcile_denylist().map(Some)
            } else {
                service.reconcile_denylist_if_incomplete()
            };
            match result {
                Ok(Some(count)) => tracing::info!(count, "denylist rebuilt from the store"),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "denylist reconciliation failed; retrying"),
            }
        }
    });
}

/// Deletes expired revocations, refresh tokens and finished grants every `every`, so the
/// store (and the SQLite file) stays the size of what is live. The first run is one interval
/// after start, away from the start-up rebuild. A failure is retried at the next interval.
fn spawn_pruner(service: Arc<TokenService>, every: Duration) {
    thread::spawn(move || loop {
        thread::sleep(every);
        match service.prune_expired() {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "expired rows pruned from the store"),
            Err(error) => tracing::warn!(%error, "pruning expired rows failed; retrying later"),
        }
    });
}
