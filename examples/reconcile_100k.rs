//! Benchmark (not a test): how long the reconciler takes to refill an empty Redis with
//! 100,000 live revocations from Postgres. Starts its own throwaway Postgres and Redis on
//! loopback (ciam-testkit), loads the revocations through the store port, then flushes
//! Redis and times `Revoker::reconcile_denylist` three times.
//!
//!     cargo run --release --example reconcile_100k [-- COUNT]

use std::sync::Arc;
use std::time::Instant;

use ciam::secret_url::SecretUrl;
use ciam_crypto::SystemClock;
use ciam_domain::ports::Clock;
use ciam_domain::{Actor, AuditAction, AuditEvent, ClientId, Jti};
use ciam_testkit::postgres::TestPostgres;
use ciam_testkit::redis::TestRedis;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let postgres = TestPostgres::start();
    let redis = TestRedis::start();
    // Built by the composition root, as `ciam serve` builds it.
    let mut settings = ciam::Settings::defaults().expect("default settings");
    settings.database_url = SecretUrl::new(postgres.fresh_database("reconcile"));
    settings.redis_url = Some(SecretUrl::new(redis.url.as_str()));
    settings.redis_timeout_ms = 5000;
    settings.database_pool_size = 8;
    let mut wired = None;
    let services =
        ciam::services_with(&settings, |ports, _| wired = Some(ports.clone())).expect("services");
    let store = wired.expect("ports").store;

    let now = SystemClock.now();
    let loading = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let store = Arc::clone(&store);
            scope.spawn(move || {
                for i in (worker..count).step_by(4) {
                    store
                        .revoke_access_token(
                            &Jti::new(format!("jti-{i}")),
                            &ClientId::new("bench"),
                            now.plus_seconds(3600),
                            now,
                            &AuditEvent::new(now, Actor::Cli, AuditAction::RevokeAccessToken),
                        )
                        .expect("revocation stored");
                }
            });
        }
    });
    eprintln!(
        "loaded {count} revocations into Postgres in {:.1} s",
        loading.elapsed().as_secs_f64()
    );

    println!("| run | live revocations | reconcile after FLUSHALL |");
    println!("|---|---|---|");
    for run in 1..=3 {
        redis.flushall();
        let started = Instant::now();
        let written = services
            .revocation
            .reconcile_denylist()
            .expect("reconciled");
        let elapsed = started.elapsed();
        let keys = redis.command(&["DBSIZE"]).expect("DBSIZE");
        assert_eq!(
            keys.trim(),
            format!(":{}", written + 1),
            "every revocation and the marker are in Redis"
        );
        println!("| {run} | {written} | {:.2} s |", elapsed.as_secs_f64());
    }
}
