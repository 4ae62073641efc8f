//! The replica's fence (`Denylist::fence`, then `is_denied_after`): the wait for a sync round
//! as a future, awaited on one event-loop thread as the HTTP edge awaits it. It sees another
//! node's revocations at once, many waits share one round, and a Redis that is away or hangs
//! releases every wait with an answer that is never "not denied".

mod support;

use std::time::{Duration, Instant};

use ciam_denylist::{RedisDenylist, ReplicatedDenylist};
use ciam_domain::ports::Denylist;
use ciam_domain::{ClientId, DenylistError, Freshness, Jti, Revocation, TokenRef};
use ciam_testkit::redis::{shared, unique_prefix, TestRedis};
use support::{calls, real_now, replicated, settings};
use tokio::runtime::Runtime;

fn event_loop() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

/// Awaits a fence, failing the test if it is not released within 10 s.
fn fence(event_loop: &Runtime, denylist: &ReplicatedDenylist) -> Freshness {
    event_loop
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), denylist.fence()).await })
        .expect("a fence is always released")
}

fn denied_after(
    denylist: &dyn Denylist,
    jti: &str,
    freshness: Freshness,
) -> Result<bool, DenylistError> {
    let (jti, client) = (Jti::new(jti), ClientId::new("client"));
    let token = TokenRef {
        jti: &jti,
        grant_id: None,
        subject: "user",
        client_id: &client,
        issued_at: real_now(),
    };
    denylist.is_denied_after(&token, real_now(), freshness)
}

fn revoke(denylist: &dyn Denylist, jti: &str) {
    let now = real_now();
    let entry = Revocation::AccessToken {
        jti: Jti::new(jti),
        until: now.plus_seconds(60),
    };
    denylist.deny(&[entry], now).expect("deny");
}

#[test]
fn after_a_fence_another_nodes_revocation_is_seen_at_once() {
    let prefix = unique_prefix("fence-cross-node");
    let (a, b) = (replicated(shared(), &prefix), replicated(shared(), &prefix));
    let writer = RedisDenylist::connect(settings(shared(), &prefix)).expect("connect");
    let event_loop = event_loop();
    for i in 0..300 {
        let jti = format!("t{i}");
        let freshness = fence(&event_loop, &a);
        assert_eq!(denied_after(&a, &jti, freshness), Ok(false), "{jti}");
        // Written by another node (or by a plain Redis writer, as the CLI is).
        if i % 2 == 0 {
            revoke(&b, &jti);
        } else {
            revoke(&writer, &jti);
        }
        let freshness = fence(&event_loop, &a);
        assert!(matches!(freshness, Freshness::Current), "{freshness:?}");
        assert_eq!(
            denied_after(&a, &jti, freshness),
            Ok(true),
            "node A missed revocation {i}"
        );
    }
}

#[test]
fn concurrent_fences_share_rounds_on_one_thread() {
    // Its own server: the command counts must be this test's alone.
    let server = TestRedis::spawn();
    let prefix = unique_prefix("fence-shared-rounds");
    let denylist = replicated(&server, &prefix);
    let event_loop = event_loop();
    let waits = 500;
    let before = calls(&server, "ping");
    let answers = event_loop.block_on(async {
        let fences: Vec<_> = (0..waits).map(|_| tokio::spawn(denylist.fence())).collect();
        let mut answers = Vec::new();
        for fence in fences {
            answers.push(fence.await.expect("joins"));
        }
        answers
    });
    let pings = calls(&server, "ping") - before;
    assert!(answers.iter().all(|f| matches!(f, Freshness::Current)));
    // One thread holds every wait: they were all pending together, so few rounds served
    // them (idle rounds may add one or two).
    assert!(pings <= 5, "{waits} fences took {pings} rounds");
}

/// Awaits a fence on a Redis that is away: released by the subscriber's read timeout (1 s),
/// well before the test's own 10 s.
fn fence_released_promptly(event_loop: &Runtime, denylist: &ReplicatedDenylist) -> Freshness {
    let started = Instant::now();
    let freshness = fence(event_loop, denylist);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    freshness
}

#[test]
fn a_fence_on_a_redis_that_hangs_or_is_gone_is_released_and_never_means_not_denied() {
    let server = TestRedis::spawn();
    let prefix = unique_prefix("fence-outage");
    let denylist = replicated(&server, &prefix);
    revoke(&denylist, "revoked");
    let event_loop = event_loop();

    server.freeze();
    let freshness = fence_released_promptly(&event_loop, &denylist);
    assert!(
        matches!(freshness, Freshness::Failed(_)),
        "the round was lost: {freshness:?}"
    );
    assert!(denied_after(&denylist, "unknown", freshness).is_err());
    server.thaw();

    server.stop();
    let freshness = fence_released_promptly(&event_loop, &denylist);
    assert!(
        !matches!(freshness, Freshness::Current),
        "Redis is gone: {freshness:?}"
    );
    assert!(denied_after(&denylist, "unknown", freshness).is_err());
    // What the replica holds stays refused, whatever the fence said.
    let freshness = fence(&event_loop, &denylist);
    assert!(!matches!(freshness, Freshness::Current));
    assert_eq!(denied_after(&denylist, "revoked", freshness), Ok(true));
}
