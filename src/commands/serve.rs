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
    let restored = service.reconcile_denylist()?;
    spawn_reconciler(Arc::clone(&service), Duration::from_secs(settings.reconcile_interval));
    tracing::info!(
        listen = %settings.listen,
        issuer = %service.config().issuer,
        restored_revocations = restored,
        "ciam serving"
    );
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || ciam_http::app(Arc::clone(&service)))
            .bind(&settings.listen)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?
            .run()
            .await
            .map_err(CommandError::from)
    })
}

/// Rebuilds the denylist from the store on a schedule: a revocation whose denylist write
/// failed (the request got 503) or that another process made (`ciam client delete`)
/// reaches this node's denylist within one interval.
fn spawn_reconciler(service: Arc<TokenService>, every: Duration) {
    thread::spawn(move || loop {
        thread::sleep(every);
        if let Err(error) = service.reconcile_denylist() {
            tracing::warn!(%error, "denylist reconciliation failed; retrying next interval");
        }
    });
}
