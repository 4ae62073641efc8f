//! What the replicated denylist adds to the contract (crates/denylist/src/replica.rs):
//! checks answer from memory yet see, at once, what another node wrote; what was in Redis
//! before it started; and never answer "not denied" while Redis is away.

mod support;

use std::time::Duration;

use ciam_denylist::RedisDenylist;
use ciam_domain::ports::Denylist;
use ciam_domain::{ClientId, Cutoff, CutoffKind, GrantId, Jti, Revocation, TokenRef, UnixTime};
use ciam_testkit::redis::{shared, unique_prefix, TestRedis};
use support::{calls, real_now, replicated, settings};

fn check(
    denylist: &dyn Denylist,
    jti: &str,
    gid: Option<&str>,
    sub: &str,
    iat: UnixTime,
) -> Result<bool, ciam_domain::DenylistError> {
    let (jti, client) = (Jti::new(jti), ClientId::new("client"));
    let grant = gid.map(GrantId::new);
    let token = TokenRef {
        jti: &jti,
        grant_id: grant.as_ref(),
        subject: sub,
        client_id: &client,
        issued_at: iat,
    };
    denylist.is_denied(&token, real_now())
}

fn denied(denylist: &dyn Denylist, jti: &str, gid: Option<&str>) -> bool {
    check(denylist, jti, gid, "user", real_now()).expect("answers")
}

#[test]
fn a_revocation_written_by_another_node_is_seen_at_once() {
    let prefix = unique_prefix("replica-cross-node");
    let (a, b) = (replicated(shared(), &prefix), replicated(shared(), &prefix));
    let now = real_now();
    for i in 0..500 {
        let (jti, gid) = (format!("t{i}"), format!("g{i}"));
        assert!(!denied(&a, &jti, None), "{jti} not revoked yet");
        let writer: &dyn Denylist = if i % 2 == 0 { &b } else { &a };
        let entry = if i % 3 == 0 {
            Revocation::Grant {
                grant_id: GrantId::new(gid.as_str()),
                until: now.plus_seconds(60),
            }
        } else {
            Revocation::AccessToken {
                jti: Jti::new(jti.as_str()),
                until: now.plus_seconds(60),
            }
        };
        writer.deny(&[entry], now).expect("deny");
        // Straight after the writer's Ok, on both nodes: no window.
        assert!(denied(&a, &jti, Some(&gid)), "node A missed revocation {i}");
        assert!(denied(&b, &jti, Some(&gid)), "node B missed revocation {i}");
    }
}

#[test]
fn a_cutoff_from_another_node_is_seen_at_once_and_covers_only_earlier_tokens() {
    let prefix = unique_prefix("replica-cutoff");
    let (a, b) = (replicated(shared(), &prefix), replicated(shared(), &prefix));
    let now = real_now();
    b.deny(
        &[Revocation::Cutoff(Cutoff {
            kind: CutoffKind::Subject,
            id: "alice".into(),
            at: now,
            until: now.plus_seconds(300),
        })],
        now,
    )
    .expect("deny");
    assert_eq!(check(&a, "x", None, "alice", now), Ok(true));
    assert_eq!(
        check(&a, "y", None, "alice", now.plus_seconds(1)),
        Ok(false)
    );
    assert_eq!(check(&a, "z", None, "bob", now), Ok(false));
}

#[test]
fn what_redis_held_before_the_start_is_loaded_with_its_expiry() {
    let prefix = unique_prefix("replica-load");
    let now = real_now();
    let writer = RedisDenylist::connect(settings(shared(), &prefix)).expect("connect");
    let mut entries: Vec<Revocation> = (0..2500)
        .map(|i| Revocation::AccessToken {
            jti: Jti::new(format!("old{i}")),
            until: now.plus_seconds(60),
        })
        .collect();
    entries.push(Revocation::Cutoff(Cutoff {
        kind: CutoffKind::Client,
        id: "client".into(),
        at: now.plus_seconds(-10),
        until: now.plus_seconds(300),
    }));
    writer.deny(&entries, now).expect("deny");

    let reader = replicated(shared(), &prefix);
    // Answered from the load: the barrier only covers events, and these were written
    // before the subscription.
    assert!(denied(&reader, "old0", None));
    assert!(denied(&reader, "old2499", None));
    assert_eq!(
        check(&reader, "fresh", None, "u", now.plus_seconds(-11)),
        Ok(true),
        "the client's cut-off covers tokens issued before it"
    );
    assert_eq!(check(&reader, "fresh", None, "u", now), Ok(false));
}

#[test]
fn checks_answer_from_memory_without_a_lookup_per_check() {
    // Its own server: the command counts must be this test's alone.
    let server = TestRedis::spawn();
    let prefix = unique_prefix("replica-no-mget");
    let denylist = replicated(&server, &prefix);
    let now = real_now();
    denylist
        .deny(
            &[Revocation::AccessToken {
                jti: Jti::new("gone"),
                until: now.plus_seconds(60),
            }],
            now,
        )
        .expect("deny");
    let before = (calls(&server, "mget"), calls(&server, "ping"));
    let checks = 2000;
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let denylist = &denylist;
            move || {
                for i in 0..checks / 4 {
                    assert!(!denied(denylist, &format!("live{i}"), Some("g")));
                    assert!(denied(denylist, "gone", None));
                }
            }
        })
        .collect();
    std::thread::scope(|scope| {
        for handle in handles {
            scope.spawn(handle);
        }
    });
    let (mgets, pings) = (
        calls(&server, "mget") - before.0,
        calls(&server, "ping") - before.1,
    );
    assert_eq!(mgets, 0, "no check went to Redis directly");
    assert!(
        pings <= checks as u64,
        "at most one sync round per check that found nothing: {pings}"
    );
}

#[test]
fn with_redis_away_a_check_fails_instead_of_answering_not_denied_and_recovers() {
    let server = TestRedis::spawn();
    let prefix = unique_prefix("replica-outage");
    let denylist = replicated(&server, &prefix);
    let now = real_now();
    denylist
        .deny(
            &[Revocation::AccessToken {
                jti: Jti::new("revoked"),
                until: now.plus_seconds(60),
            }],
            now,
        )
        .expect("deny");
    server.stop();
    assert!(
        check(&denylist, "unknown", None, "u", now).is_err(),
        "cannot tell: Err, never Ok(false)"
    );
    assert_eq!(
        check(&denylist, "revoked", None, "u", now),
        Ok(true),
        "what it knows is revoked stays refused"
    );

    server.restart();
    // Another node writes while this one reloads: seen once whole again.
    let other = RedisDenylist::connect(settings(&server, &prefix)).expect("connect");
    other
        .deny(
            &[Revocation::AccessToken {
                jti: Jti::new("after"),
                until: now.plus_seconds(60),
            }],
            now,
        )
        .expect("deny after restart");
    assert!(
        denylist.wait_whole(Duration::from_secs(10)),
        "replica whole again"
    );
    assert!(denied(&denylist, "after", None));
    assert!(!denied(&denylist, "unknown", None));
}
