//! Benchmark (not a test): how long the reconciler takes to refill an empty Redis with
//! 100,000 live revocations from Postgres. Starts its own throwaway Postgres and Redis on
//! loopback (ciam-testkit), loads the revocations through the store port, then flushes
//! Redis and times `TokenService::reconcile_denylist` three times.
//!
//!     cargo run --release --example reconcile_100k [-- COUNT]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ciam_crypto::{Argon2idHasher, JwtCodec, OsRandom, SystemClock};
use ciam_denylist::{RedisDenylist, RedisSettings};
use ciam_domain::ports::{Clock, RevocationStore};
use ciam_domain::{ClientId, Jti, Ports, ServiceConfig, TokenService};
use ciam_store::{DatabaseUrl, DieselStore, PoolSettings};
use ciam_testkit::postgres::TestPostgres;
use ciam_testkit::redis::TestRedis;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let postgres = TestPostgres::start();
    let redis = TestRedis::start();
    let url = DatabaseUrl::parse(&postgres.fresh_database("reconcile")).expect("url");
    let store = Arc::new(
        DieselStore::connect(
            &url,
            &PoolSettings {
                max_size: 8,
                connection_timeout: Duration::from_secs(5),
            },
        )
        .expect("store"),
    );
    let denylist = Arc::new(
        RedisDenylist::connect(RedisSettings {
            url: redis.url.clone(),
            timeout: Duration::from_secs(5),
            ..RedisSettings::default()
        })
        .expect("redis"),
    );

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

    let ports = Ports {
        clients: store.clone(),
        users: store.clone(),
        grants: store.clone(),
        revocations: store.clone(),
        keys: store,
        denylist,
        codec: Arc::new(JwtCodec::default()),
        passwords: Arc::new(Argon2idHasher::default()),
        clock: Arc::new(SystemClock),
        random: Arc::new(OsRandom),
    };
    let service = TokenService::new(ports, ServiceConfig::new("http://bench"));
    println!("| run | live revocations | reconcile after FLUSHALL |");
    println!("|---|---|---|");
    for run in 1..=3 {
        redis.flushall();
        let started = Instant::now();
        let written = service.reconcile_denylist().expect("reconciled");
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
