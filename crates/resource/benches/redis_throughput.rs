//! Redis mode: whole checks (`verify`: signature, claims, one `MGET` round trip of contract
//! v2) per second from one process, with 1 to 16 threads, against a local redis-server holding
//! 100,000 revocations. The same in memory mode (no Redis) shows what the signature alone
//! costs on this machine.
//!
//! cargo bench -p ciam-resource --bench redis_throughput
//! THROUGHPUT_SECONDS=3 cargo bench -p ciam-resource --bench redis_throughput

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ciam_resource::{Algorithm, DenylistConfig, RedisConfig, Verifier, VerifierConfig};

use support::keys::{self, claims, mint, AUDIENCE, ISSUER};

fn main() {
    let seconds: u64 = std::env::var("THROUGHPUT_SECONDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let redis = ciam_testkit::redis::TestRedis::spawn();
    let prefix = "bench";
    support::fill_redis(&redis.url, prefix, 100_000);
    let token = mint(Algorithm::EdDSA, &claims(Some("live-grant")));

    for threads in [1, 2, 4, 8, 16] {
        let verifier = Verifier::with_jwks(
            VerifierConfig::new(
                ISSUER,
                AUDIENCE,
                DenylistConfig::Redis(RedisConfig {
                    prefix: prefix.into(),
                    pool_size: threads,
                    ..RedisConfig::new(&redis.url)
                }),
            ),
            &keys::jwks(),
        )
        .expect("verifier");
        let rate = run(&verifier, &token, threads, Duration::from_secs(seconds));
        println!("redis mode, EdDSA, {threads:>2} threads: {rate:>8.0} checks/s");
    }
    for threads in [1, 2] {
        let verifier = Verifier::with_jwks(
            VerifierConfig::new(ISSUER, AUDIENCE, DenylistConfig::Memory(Arc::default())),
            &keys::jwks(),
        )
        .expect("verifier");
        let rate = run(&verifier, &token, threads, Duration::from_secs(seconds));
        println!("memory mode, EdDSA, {threads:>2} threads: {rate:>8.0} checks/s (no Redis)");
    }
    redis.stop();
}

/// Checks per second over `duration` with `threads` threads verifying the same valid token.
fn run(verifier: &Verifier, token: &str, threads: usize, duration: Duration) -> f64 {
    assert!(verifier.verify(token).is_ok(), "the token verifies");
    let done = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (verifier, token) = (verifier.clone(), token.to_owned());
            let (done, total) = (Arc::clone(&done), Arc::clone(&total));
            std::thread::spawn(move || {
                let mut count = 0u64;
                while !done.load(Ordering::Relaxed) {
                    verifier.verify(&token).expect("valid and reachable");
                    count += 1;
                }
                total.fetch_add(count, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(duration);
    done.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("worker");
    }
    total.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
