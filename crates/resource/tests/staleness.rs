//! Synced mode fails closed when its subscription is gone too long, and recovers; each test
//! on a Redis of its own that it freezes, stops and restarts.

use std::time::{Duration, Instant};

use ciam_resource::{DenylistConfig, Rejection, SyncedConfig, Verifier, VerifierConfig};
use ciam_testkit::redis::TestRedis;

use crate::support::ciam::{Ciam, Options};
use crate::support::{assert_eventually, until_answer, SERVER_CONTRACT};

const STALENESS: Duration = Duration::from_millis(1000);

fn synced(ciam: &Ciam, prefix: &str) -> Verifier {
    let config = VerifierConfig::new(
        &ciam.issuer,
        &ciam.issuer,
        DenylistConfig::Synced(SyncedConfig {
            prefix: prefix.to_owned(),
            staleness: STALENESS,
            timeout: Duration::from_millis(300),
            contract: SERVER_CONTRACT,
            ..SyncedConfig::new(ciam.redis_url())
        }),
    );
    Verifier::new(config).expect("verifier")
}

#[test]
fn a_frozen_redis_makes_checks_stale_then_they_recover() {
    let redis = TestRedis::spawn();
    let ciam = Ciam::start(Options::full_stack_on(&redis.url));
    let client = ciam.client();
    let verifier = synced(&ciam, ciam.redis_prefix());
    verifier
        .wait_ready(Duration::from_secs(10))
        .expect("synced");
    let token = ciam.password_tokens(&client, "read").access;
    let revoked = ciam.password_tokens(&client, "read").access;
    ciam.revoke(&client, &revoked);
    assert_eventually(
        &verifier,
        &revoked,
        Err(Rejection::Revoked),
        Duration::from_secs(2),
        "before the freeze",
    );
    assert!(verifier.verify(&token).is_ok());

    redis.freeze();
    let frozen_at = Instant::now();
    let took = assert_eventually(
        &verifier,
        &token,
        Err(Rejection::DenylistStale),
        Duration::from_secs(5),
        "frozen Redis",
    );
    assert!(
        frozen_at.elapsed() >= STALENESS.saturating_sub(Duration::from_millis(400)),
        "answered from memory within the bound ({took:?})"
    );
    assert_eq!(
        verifier.verify(&revoked).map(|_| ()),
        Err(Rejection::DenylistStale),
        "stale is stale, revoked or not"
    );

    redis.thaw();
    assert_eventually(
        &verifier,
        &token,
        Ok(()),
        Duration::from_secs(5),
        "thawed Redis",
    );
    assert_eq!(
        verifier.verify(&revoked).map(|_| ()),
        Err(Rejection::Revoked)
    );
    // And events flow again.
    ciam.revoke(&client, &token);
    assert_eventually(
        &verifier,
        &token,
        Err(Rejection::Revoked),
        Duration::from_secs(2),
        "revocation after recovery",
    );
}

#[test]
fn a_restarted_redis_is_resubscribed_and_the_copy_kept() {
    let redis = TestRedis::spawn();
    let ciam = Ciam::start(Options::full_stack_on(&redis.url));
    let client = ciam.client();
    let verifier = synced(&ciam, ciam.redis_prefix());
    verifier
        .wait_ready(Duration::from_secs(10))
        .expect("synced");
    let token = ciam.password_tokens(&client, "read").access;
    let revoked = ciam.password_tokens(&client, "read");
    ciam.revoke(&client, &revoked.refresh);
    assert_eventually(
        &verifier,
        &revoked.access,
        Err(Rejection::Revoked),
        Duration::from_secs(2),
        "before the restart",
    );

    redis.stop();
    assert_eventually(
        &verifier,
        &token,
        Err(Rejection::DenylistStale),
        Duration::from_secs(5),
        "Redis stopped",
    );
    // Back, empty (no persistence): the completeness marker is gone until ciam rebuilds.
    redis.restart();
    assert_eventually(
        &verifier,
        &token,
        Ok(()),
        Duration::from_secs(5),
        "Redis restarted",
    );
    assert_eq!(
        verifier.verify(&revoked.access).map(|_| ()),
        Err(Rejection::Revoked),
        "the in-memory copy outlives Redis's loss"
    );
    // ciam's reconciler would do this within a second; the copy follows its events.
    ciam.services
        .revocation
        .reconcile_denylist()
        .expect("rebuilt");
    ciam.revoke(&client, &token);
    assert_eventually(
        &verifier,
        &token,
        Err(Rejection::Revoked),
        Duration::from_secs(2),
        "revocation after the restart",
    );
}

#[test]
fn synced_mode_waits_for_a_complete_denylist_at_start() {
    let redis = TestRedis::spawn();
    let ciam = Ciam::start(Options::full_stack_on(&redis.url));
    let client = ciam.client();
    let token = ciam.client_token(&client);
    // As after a FLUSHALL that ciam has not repaired yet.
    let marker =
        ciam_resource::DenylistKeys::versioned(ciam.redis_prefix(), SERVER_CONTRACT).complete();
    assert_eq!(redis.command(&["DEL", &marker]).expect("DEL"), ":1");
    let verifier = synced(&ciam, ciam.redis_prefix());
    assert_eq!(
        verifier.wait_ready(Duration::from_millis(1500)),
        Err(Rejection::DenylistUnavailable)
    );
    assert_eq!(
        verifier.verify(&token).map(|_| ()),
        Err(Rejection::DenylistUnavailable)
    );
    ciam.services
        .revocation
        .reconcile_denylist()
        .expect("rebuilt");
    let (answer, took) = until_answer(&verifier, &token, Ok(()), Duration::from_secs(5));
    assert!(answer.is_ok(), "ready once the marker is back: {answer:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}
