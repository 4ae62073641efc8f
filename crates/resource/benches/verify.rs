//! Synced mode, CPU only: the denylist lookup with 100,000 live revocations loaded, and a
//! whole `verify` (signature, claims, synced denylist) per algorithm, on local keys and an
//! in-memory JWKS. The denylist is loaded from a real redis-server (ciam-testkit), exactly as
//! in production; nothing else is running.
//!
//! cargo bench -p ciam-resource --bench verify -- --warm-up-time 1 --measurement-time 3

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use ciam_resource::{Algorithm, DenylistConfig, SyncedConfig, Verifier, VerifierConfig};
use criterion::Criterion;

use support::keys::{self, claims, mint, AUDIENCE, ISSUER};

const REVOCATIONS: usize = 100_000;

fn main() {
    let redis = ciam_testkit::redis::TestRedis::spawn();
    let prefix = "bench";
    support::fill_redis(&redis.url, prefix, REVOCATIONS);
    let started = Instant::now();
    let verifier = Verifier::with_jwks(
        VerifierConfig::new(
            ISSUER,
            AUDIENCE,
            DenylistConfig::Synced(SyncedConfig {
                prefix: prefix.into(),
                ..SyncedConfig::new(&redis.url)
            }),
        ),
        &keys::jwks(),
    )
    .expect("verifier");
    verifier
        .wait_ready(Duration::from_secs(60))
        .expect("synced");
    let set = verifier.revocations().expect("synced mode has a set");
    assert_eq!(set.len(), REVOCATIONS);
    eprintln!(
        "synced copy of {} revocations loaded in {:?}",
        set.len(),
        started.elapsed()
    );

    let mut criterion = Criterion::default().configure_from_args();
    let now = keys::now();
    let mut lookups = criterion.benchmark_group("synced_lookup_100k");
    lookups.bench_function("not_revoked", |b| {
        b.iter(|| {
            set.is_revoked(
                black_box("5f1c0a4e9b7d2c3e8a6f4b1d0c9e7a25"),
                Some(black_box("0d3b5e7f9a1c2e4b6d8f0a2c4e6b8d01")),
                now,
            )
        })
    });
    lookups.bench_function("revoked_by_jti", |b| {
        b.iter(|| set.is_revoked(black_box("revoked-jti-5000"), None, now))
    });
    lookups.bench_function("revoked_by_gid", |b| {
        b.iter(|| {
            set.is_revoked(
                black_box("5f1c0a4e9b7d2c3e8a6f4b1d0c9e7a25"),
                Some(black_box("revoked-gid-5001")),
                now,
            )
        })
    });
    lookups.finish();

    let mut verify = criterion.benchmark_group("verify_synced_100k");
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
        let token = mint(alg, &claims(Some("live-grant")));
        assert!(verifier.verify(&token).is_ok(), "{alg:?}");
        verify.bench_function(format!("{alg:?}"), |b| {
            b.iter(|| {
                verifier
                    .verify_nonblocking(black_box(&token))
                    .expect("synced mode needs no I/O")
                    .expect("valid")
            })
        });
    }
    verify.finish();
    criterion.final_summary();
    redis.stop();
}
