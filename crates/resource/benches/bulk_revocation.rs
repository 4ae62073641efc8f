//! Bulk revocation of one user with many live grants and sessions: how long signing them
//! out everywhere takes to answer (the domain call the CLI and the admin API make: durable
//! in Postgres, visible in Redis), and how long until a synced verifier refuses every one
//! of their access tokens. Against a real ciam (in process, on Postgres and Redis from
//! ciam-testkit). Each run builds the user's grants and sessions afresh.
//!
//! cargo bench -p ciam-resource --bench bulk_revocation                 # 10,000, 3 runs
//! BULK_GRANTS=1000 BULK_RUNS=1 cargo bench -p ciam-resource --bench bulk_revocation

#[path = "../tests/support/ciam.rs"]
mod ciam;
mod support;

use std::time::{Duration, Instant};

use ciam_domain::secret::Secret;
use ciam_resource::{DenylistConfig, Rejection, SyncedConfig, Verifier, VerifierConfig};

use ciam::{Ciam, Options};

/// Past this the run fails: a token was not refused.
const GIVE_UP: Duration = Duration::from_secs(30);

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let grants = env("BULK_GRANTS", 10_000);
    let runs = env("BULK_RUNS", 3);
    let ciam = Ciam::start(Options::full_stack());
    let client = ciam.client();
    let verifier = Verifier::new(VerifierConfig::new(
        &ciam.issuer,
        &ciam.issuer,
        DenylistConfig::Synced(SyncedConfig {
            prefix: ciam.redis_prefix().to_owned(),
            ..SyncedConfig::new(ciam.redis_url())
        }),
    ))
    .expect("verifier");
    verifier
        .wait_ready(Duration::from_secs(30))
        .expect("synced");
    for run in 1..=runs {
        let username = format!("bulk-{run}");
        let user = ciam
            .services
            .accounts
            .create_user(&username, &Secret::new(ciam::PASSWORD))
            .expect("user");
        eprintln!("run {run}: {grants} grants and sessions for {username}…");
        let built = Instant::now();
        let tokens: Vec<String> = (0..grants)
            .map(|_| {
                ciam.services.sessions.start(&user, None).expect("session");
                ciam.password_tokens_of(&client, &username, "read").access
            })
            .collect();
        eprintln!("  built in {:.1} s", built.elapsed().as_secs_f64());
        for token in &tokens {
            assert!(verifier.verify(token).is_ok(), "fresh tokens verify");
        }

        let started = Instant::now();
        let revoked = ciam
            .services
            .sessions
            .sign_out_everywhere(&user.id, &ciam_domain::Initiator::cli())
            .expect("signed out everywhere");
        let answered = started.elapsed();
        assert_eq!(revoked.grant_count, grants);
        assert_eq!(revoked.session_count, grants);
        // Propagation: until the newest token is refused (one check costs a signature
        // verification, ~50 µs, so checking all 10,000 in a loop would measure the loop).
        let newest = tokens.last().expect("tokens");
        while !matches!(
            verifier.verify_nonblocking(newest),
            Some(Err(Rejection::Revoked))
        ) {
            assert!(
                started.elapsed() < GIVE_UP,
                "the newest token is still accepted"
            );
        }
        let newest_refused = started.elapsed() - answered;
        // Then every token of theirs, in one pass.
        let pass = Instant::now();
        let refused = tokens
            .iter()
            .filter(|token| {
                matches!(
                    verifier.verify_nonblocking(token),
                    Some(Err(Rejection::Revoked))
                )
            })
            .count();
        assert_eq!(refused, grants, "every access token of theirs is refused");
        println!(
            "run {run}: {grants} grants + {grants} sessions: answer {:.1} ms; newest access token refused by the synced verifier {:.2} ms after the answer; all {refused} refused in the next pass ({:.0} ms to check them all)",
            answered.as_secs_f64() * 1000.0,
            newest_refused.as_secs_f64() * 1000.0,
            pass.elapsed().as_secs_f64() * 1000.0,
        );
    }
}
