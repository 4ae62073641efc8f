//! Revocation propagation: from `POST /oauth2/revoke` answering 200 to a synced verifier
//! refusing the token, over loopback, against a real ciam (in process, on Postgres and
//! Redis from ciam-testkit). Prints p50, p90, p99 and the maximum.
//!
//! cargo bench -p ciam-resource --bench propagation            # 1,000 revocations
//! PROPAGATION_COUNT=200 cargo bench -p ciam-resource --bench propagation

#[path = "../tests/support/ciam.rs"]
mod ciam;
mod support;

use std::time::{Duration, Instant};

use ciam_resource::{
    ContractVersion, DenylistConfig, Rejection, SyncedConfig, Verifier, VerifierConfig,
};

use ciam::{agent, basic, Ciam, Options};
use support::percentile;

/// Past this a single revocation counts as lost and the run fails.
const GIVE_UP: Duration = Duration::from_secs(5);

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter here.
    let count: usize = std::env::var("PROPAGATION_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let ciam = Ciam::start(Options::full_stack());
    let client = ciam.client();
    let verifier = Verifier::new(VerifierConfig::new(
        &ciam.issuer,
        &ciam.issuer,
        DenylistConfig::Synced(SyncedConfig {
            prefix: ciam.redis_prefix().to_owned(),
            // What the in-process ciam writes (tests/support/mod.rs, SERVER_CONTRACT).
            contract: ContractVersion::V2,
            ..SyncedConfig::new(ciam.redis_url())
        }),
    ))
    .expect("verifier");
    verifier
        .wait_ready(Duration::from_secs(30))
        .expect("synced");

    eprintln!("issuing {count} access tokens…");
    let tokens: Vec<String> = (0..count).map(|_| ciam.client_token(&client)).collect();
    for token in &tokens {
        assert!(verifier.verify(token).is_ok(), "fresh tokens verify");
    }

    let http = agent();
    let basic = basic(&client);
    let mut revoke_latency = Vec::with_capacity(count);
    let mut propagation = Vec::with_capacity(count);
    let mut first_check_refused = 0;
    for token in &tokens {
        let sent = Instant::now();
        let status = http
            .post(&ciam.url("/oauth2/revoke"))
            .set("Authorization", &basic)
            .send_form(&[("token", token), ("token_type_hint", "access_token")])
            .expect("revoke answers")
            .status();
        let answered = Instant::now();
        assert_eq!(status, 200);
        let mut checks = 0;
        loop {
            checks += 1;
            match verifier.verify_nonblocking(token) {
                Some(Err(Rejection::Revoked)) => break,
                Some(Ok(_)) if answered.elapsed() < GIVE_UP => std::thread::yield_now(),
                other => panic!("after {:?}: {other:?}", answered.elapsed()),
            }
        }
        propagation.push(answered.elapsed());
        if checks == 1 {
            first_check_refused += 1;
        }
        revoke_latency.push(answered - sent);
    }
    propagation.sort();
    revoke_latency.sort();
    let report = |name: &str, values: &[Duration]| {
        println!(
            "{name}: n={} p50={:.3} ms p90={:.3} ms p99={:.3} ms max={:.3} ms",
            values.len(),
            ms(percentile(values, 50.0)),
            ms(percentile(values, 90.0)),
            ms(percentile(values, 99.0)),
            ms(percentile(values, 100.0)),
        );
    };
    report("revoke request (send to 200)", &revoke_latency);
    report("propagation (200 to refused)", &propagation);
    println!(
        "refused by the first check after the 200: {first_check_refused} of {}",
        propagation.len()
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
