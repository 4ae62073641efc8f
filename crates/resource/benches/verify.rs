//! Synced mode, CPU only: the denylist lookup with 100,000 live revocations loaded; the same
//! with 100,000 revoked `jti`s and 100,000 cut-offs (50,000 subjects, 50,000 clients:
//! contract v2); and a whole `verify` (signature, claims, synced denylist) per algorithm, on
//! local keys and an in-memory JWKS. The denylists are loaded from a real redis-server
//! (ciam-testkit), exactly as in production; nothing else is running.
//!
//! cargo bench -p ciam-resource --bench verify -- --warm-up-time 1 --measurement-time 3

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use ciam_resource::{
    AccessTokenClaims, Algorithm, DenylistConfig, SyncedConfig, Verifier, VerifierConfig,
};
use criterion::Criterion;

use support::keys::{self, claims, mint, AUDIENCE, ISSUER};

const REVOCATIONS: usize = 100_000;
/// The cut-offs of the second denylist, half subjects, half clients.
const CUTOFFS: usize = 100_000;

fn main() {
    let redis = ciam_testkit::redis::TestRedis::spawn();
    let now = keys::now();
    support::fill_redis(&redis.url, "bench", REVOCATIONS);
    let verifier = synced(&redis.url, "bench");
    let set = verifier.revocations().expect("synced mode has a set");
    assert_eq!(set.len(), REVOCATIONS);
    // Cut-offs an hour ago: the tokens below, issued now, are after them unless made older.
    let cutoff = now - 3600;
    support::fill_redis_with_cutoffs(&redis.url, "bench-cutoffs", REVOCATIONS, CUTOFFS, cutoff);
    let with_cutoffs = synced(&redis.url, "bench-cutoffs");
    let cutoff_set = with_cutoffs.revocations().expect("synced mode has a set");
    assert_eq!(cutoff_set.len(), REVOCATIONS + CUTOFFS);
    assert_eq!(cutoff_set.cutoffs(), CUTOFFS);

    let mut criterion = Criterion::default().configure_from_args();
    let live = token_claims("5f1c0a4e9b7d2c3e8a6f4b1d0c9e7a25", now);
    let mut lookups = criterion.benchmark_group("synced_lookup_100k");
    let cases = [
        ("not_revoked", live.clone(), false),
        (
            "revoked_by_jti",
            AccessTokenClaims {
                jti: "revoked-jti-5000".into(),
                gid: None,
                ..live.clone()
            },
            true,
        ),
        (
            "revoked_by_gid",
            AccessTokenClaims {
                gid: Some("revoked-gid-5001".into()),
                ..live.clone()
            },
            true,
        ),
    ];
    for (name, claims, revoked) in &cases {
        assert_eq!(set.is_revoked(claims, now), *revoked, "{name}");
        lookups.bench_function(*name, |b| b.iter(|| set.is_revoked(black_box(claims), now)));
    }
    lookups.finish();

    let mut lookups = criterion.benchmark_group("synced_lookup_100k_jti_100k_cutoffs");
    let cases = [
        ("not_revoked", live.clone(), false),
        (
            "revoked_by_jti",
            AccessTokenClaims {
                jti: "revoked-jti-5000".into(),
                ..live.clone()
            },
            true,
        ),
        (
            "issued_after_sub_cutoff",
            AccessTokenClaims {
                sub: "cutoff-sub-5000".into(),
                ..live.clone()
            },
            false,
        ),
        (
            "revoked_by_sub_cutoff",
            AccessTokenClaims {
                sub: "cutoff-sub-5000".into(),
                iat: cutoff,
                ..live.clone()
            },
            true,
        ),
        (
            "revoked_by_cid_cutoff",
            AccessTokenClaims {
                client_id: "cutoff-cid-5001".into(),
                iat: cutoff - 1,
                ..live.clone()
            },
            true,
        ),
    ];
    for (name, claims, revoked) in &cases {
        assert_eq!(cutoff_set.is_revoked(claims, now), *revoked, "{name}");
        lookups.bench_function(*name, |b| {
            b.iter(|| cutoff_set.is_revoked(black_box(claims), now))
        });
    }
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

/// A synced verifier of the denylist under `prefix`, loaded.
fn synced(url: &str, prefix: &str) -> Verifier {
    let started = Instant::now();
    let verifier = Verifier::with_jwks(
        VerifierConfig::new(
            ISSUER,
            AUDIENCE,
            DenylistConfig::Synced(SyncedConfig {
                prefix: prefix.into(),
                ..SyncedConfig::new(url)
            }),
        ),
        &keys::jwks(),
    )
    .expect("verifier");
    verifier
        .wait_ready(Duration::from_secs(60))
        .expect("synced");
    let set = verifier.revocations().expect("synced mode has a set");
    eprintln!(
        "synced copy of {} entries under {prefix} loaded in {:?}",
        set.len(),
        started.elapsed()
    );
    verifier
}

/// Claims as ciam issues them, issued at `now`, under a live grant, of a subject and client
/// with no cut-off.
fn token_claims(jti: &str, now: i64) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: ISSUER.into(),
        sub: "alice".into(),
        aud: AUDIENCE.into(),
        exp: now + 300,
        iat: now,
        jti: jti.into(),
        client_id: "client-1".into(),
        scope: Some("read write".into()),
        gid: Some("0d3b5e7f9a1c2e4b6d8f0a2c4e6b8d01".into()),
    }
}
