//! Every mode against a ciam whose Redis denylist is a real local Redis Cluster (three
//! primaries, ciam-testkit): the SDK's Redis lookup reads each key from its own slot, the
//! synced copy scans every primary and hears events from any node, and introspection
//! answers from ciam's cluster-backed denylist.

use std::time::Duration;

use ciam_resource::{Rejection, Verifier};
use ciam_testkit::redis_cluster::TestCluster;

use crate::support::ciam::{Ciam, Options};
use crate::support::{assert_eventually, verifier, Mode, EVERY_MODE};

const PROPAGATION: Duration = Duration::from_secs(3);

#[test]
fn every_mode_refuses_revoked_tokens_on_a_redis_cluster() {
    let cluster = TestCluster::start();
    let ciam = Ciam::start(Options::full_stack_on(&cluster.url()));
    let client = ciam.client();

    // Revoked before any verifier starts: the synced copy must find them by scanning
    // every primary (twelve keys land on all three).
    let before: Vec<String> = (0..12).map(|_| ciam.client_token(&client)).collect();
    for token in &before {
        ciam.revoke(&client, token);
    }
    let verifiers: Vec<(Mode, Verifier)> = EVERY_MODE
        .iter()
        .map(|mode| (*mode, verifier(&ciam, *mode, &client)))
        .collect();
    for (mode, verifier) in &verifiers {
        for token in &before {
            assert_eq!(
                verifier.verify(token).map(drop),
                Err(Rejection::Revoked),
                "{mode:?}: revoked before the verifier started"
            );
        }
    }

    // Revoked while they run: events (synced), lookups (Redis), introspection.
    let tokens = ciam.password_tokens(&client, "read");
    let bystander = ciam.password_tokens(&client, "read");
    for (mode, verifier) in &verifiers {
        assert!(
            verifier.verify(&tokens.access).is_ok(),
            "{mode:?}: fresh token"
        );
    }
    ciam.revoke(&client, &tokens.refresh);
    for (mode, verifier) in &verifiers {
        assert_eventually(
            verifier,
            &tokens.access,
            Err(Rejection::Revoked),
            PROPAGATION,
            &format!("{mode:?}: the access token of a revoked grant"),
        );
        assert!(
            verifier.verify(&bystander.access).is_ok(),
            "{mode:?}: bystander"
        );
    }
}
