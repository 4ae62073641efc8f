//! Two built `ciam serve` nodes on one Postgres database and one Redis, as behind a load
//! balancer (one issuer): what is done through one node, the other node and every resource
//! server see at once, or within the bound README's "Several nodes" names.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ciam_resource::{Rejection, Verifier};
use ciam_testkit::redis::{self as test_redis, TestRedis};
use serde_json::Value;

use crate::support::nodes::{
    access, active, admin, call, client_token, jwks_kids, kid, password_tokens, refresh_token,
    revoke, tokens, verdict, Client, Mode, Nodes, CLIENT_CACHE_TTL, KEY_REFRESH_INTERVAL,
};
use crate::support::server::Server;

/// Slack on top of a documented bound, for a loaded machine.
const MARGIN: Duration = Duration::from_secs(2);
/// Synced mode sees a revocation "after one pub/sub hop" (docs/resource-servers.md):
/// milliseconds; this is the deadline for a loaded machine.
const PUBSUB_HOP: Duration = Duration::from_secs(2);
/// "Caught up within a second of Redis answering again" (README, `CIAM_RECONCILE_INTERVAL`).
const REBUILD_BOUND: Duration = Duration::from_secs(1);

/// Polls until `verifier` refuses `token` as revoked; fails past `deadline`.
fn refused_by(verifier: &Verifier, token: &str, deadline: Instant, what: &str) {
    loop {
        let answer = verdict(verifier, token);
        if answer == Err(Rejection::Revoked) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the synced verifier still answers {answer:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The assertions made right after a revocation's 200, through whichever node: inactive
/// on both nodes and refused by the Redis-mode SDK at once, by the synced one within a hop.
fn refused_everywhere(
    nodes: &Nodes,
    client: &Client,
    sdk: &(Verifier, Verifier),
    token: &str,
    what: &str,
) {
    let answered = Instant::now();
    for node in [&nodes.a, &nodes.b] {
        assert!(
            !active(node, client, token),
            "{what}: still active on {} after the revocation's 200",
            node.base_url
        );
    }
    assert_eq!(
        verdict(&sdk.0, token),
        Err(Rejection::Revoked),
        "{what}: the Redis-mode verifier"
    );
    refused_by(&sdk.1, token, answered + PUBSUB_HOP, what);
}

#[test]
fn a_token_revoked_through_one_node_is_inactive_on_the_other_at_once() {
    // Up to 200 tokens in 2 interleaved streams of issue → revoke → check, within a time
    // budget (a loaded machine does fewer), and never fewer than 40.
    const STREAMS: usize = 2;
    const TOKENS: usize = 200;
    const AT_LEAST: usize = 40;
    const BUDGET: Duration = Duration::from_secs(25);
    let nodes = Nodes::start("two_nodes_revoke", &test_redis::shared().url);
    let client = nodes.web_client();
    nodes.user("alice");
    let sdk = (nodes.verifier(Mode::Redis), nodes.verifier(Mode::Synced));
    let started = Instant::now();
    let (next, checked) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for _ in 0..STREAMS {
            let (nodes, client, sdk, next, checked) = (&nodes, &client, &sdk, &next, &checked);
            scope.spawn(move || loop {
                let round = next.fetch_add(1, Ordering::SeqCst);
                if round >= TOKENS || (round >= AT_LEAST && started.elapsed() > BUDGET) {
                    return;
                }
                // Issued on one node, revoked on the other, alternately.
                let (issuer, revoker) = if round.is_multiple_of(2) {
                    (&nodes.a, &nodes.b)
                } else {
                    (&nodes.b, &nodes.a)
                };
                let token = if round.is_multiple_of(25) {
                    access(&password_tokens(issuer, client, "alice"))
                } else {
                    client_token(issuer, client)
                };
                let what = format!("token {round}, issued on {}", issuer.base_url);
                assert!(active(issuer, client, &token), "{what}: fresh");
                assert!(verdict(&sdk.0, &token).is_ok(), "{what}: fresh");
                assert_eq!(revoke(revoker, client, &token), 200, "{what}");
                refused_everywhere(nodes, client, sdk, &token, &what);
                checked.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    let checked = checked.into_inner();
    assert!(checked >= AT_LEAST, "{checked} tokens checked");
    eprintln!("{checked} tokens revoked through one node and checked on both");
}

#[test]
fn a_grant_or_a_user_revoked_through_one_node_is_refused_by_the_other_at_once() {
    let nodes = Nodes::start("two_nodes_grant", &test_redis::shared().url);
    let client = nodes.web_client();
    nodes.user("alice");
    let bob = nodes.user("bob");
    let sdk = (nodes.verifier(Mode::Redis), nodes.verifier(Mode::Synced));

    // A grant begun on A, refreshed on B, revoked on B by its latest refresh token: every
    // access token of the grant, A's included, is refused at once.
    let first = password_tokens(&nodes.a, &client, "alice");
    let second = tokens(
        &nodes.b,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token(&first)),
        ],
    );
    let bystander = client_token(&nodes.a, &client);
    assert_eq!(revoke(&nodes.b, &client, &refresh_token(&second)), 200);
    for (n, token) in [access(&first), access(&second)].iter().enumerate() {
        refused_everywhere(&nodes, &client, &sdk, token, &format!("grant token {n}"));
    }
    let (status, refused) = call(
        &nodes.a,
        "/oauth2/token",
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token(&second)),
        ],
    );
    assert_eq!(
        (status, &refused["error"]),
        (400, &Value::from("invalid_grant"))
    );
    assert!(
        active(&nodes.a, &client, &bystander),
        "another token lives on"
    );

    // Everything of a user, revoked through B's admin API: A's tokens of theirs are refused
    // at once, their grants are dead on A, and other tokens live on.
    let admin_client = nodes.admin_client();
    let admin_token = client_token(&nodes.b, &admin_client);
    let bobs: Vec<Value> = (0..2)
        .map(|_| password_tokens(&nodes.a, &client, "bob"))
        .collect();
    let (status, said) = admin(
        "POST",
        &nodes.b,
        &format!("/admin/v1/users/{bob}/revoke"),
        &admin_token,
    );
    assert_eq!(status, 200, "{said}");
    assert_eq!(said["grants_revoked"], 2, "{said}");
    for (n, issued) in bobs.iter().enumerate() {
        refused_everywhere(&nodes, &client, &sdk, &access(issued), &format!("bob {n}"));
        let (status, refused) = call(
            &nodes.a,
            "/oauth2/token",
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token(issued)),
            ],
        );
        assert_eq!(
            (status, &refused["error"]),
            (400, &Value::from("invalid_grant"))
        );
    }
    assert!(active(&nodes.a, &client, &bystander), "not bob's");
    assert!(verdict(&sdk.0, &bystander).is_ok());
}

#[test]
fn a_key_rotated_on_one_node_signs_on_the_other_within_the_key_refresh_interval() {
    let nodes = Nodes::start("two_nodes_keys", &test_redis::shared().url);
    let client = nodes.web_client();
    let admin_client = nodes.admin_client();
    let before = client_token(&nodes.b, &client);
    let old_kid = kid(&before);

    let admin_token = client_token(&nodes.a, &admin_client);
    let (status, rotated) = admin("POST", &nodes.a, "/admin/v1/keys/rotate", &admin_token);
    let rotated_at = Instant::now();
    assert_eq!(status, 200, "{rotated}");
    let new_kid = rotated["kid"].as_str().expect("kid").to_owned();
    assert_ne!(new_kid, old_kid);

    // A: at once. Its tokens verify on B at once too (an unknown kid re-reads the keys).
    let on_a = client_token(&nodes.a, &client);
    assert_eq!(kid(&on_a), new_kid, "A signs with its new key at once");
    assert!(jwks_kids(&nodes.a).contains(&new_kid));
    assert!(active(&nodes.b, &client, &on_a), "A's new token on B");
    assert!(active(&nodes.a, &client, &on_a), "A's new token on A");

    // B: within CIAM_KEY_REFRESH_INTERVAL, its tokens and its JWKS.
    let deadline = rotated_at + KEY_REFRESH_INTERVAL + MARGIN;
    let on_b = loop {
        let token = client_token(&nodes.b, &client);
        if kid(&token) == new_kid && jwks_kids(&nodes.b).contains(&new_kid) {
            break token;
        }
        assert!(
            Instant::now() < deadline,
            "B still signs with {} (JWKS {:?}) {:?} after the rotation",
            kid(&token),
            jwks_kids(&nodes.b),
            rotated_at.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    for token in [&before, &on_a, &on_b] {
        for node in [&nodes.a, &nodes.b] {
            assert!(active(node, &client, token), "{}", node.base_url);
        }
    }
    // The retired key stays published until its tokens expire.
    for node in [&nodes.a, &nodes.b] {
        let kids = jwks_kids(node);
        assert!(
            kids.contains(&old_kid) && kids.contains(&new_kid),
            "{kids:?}"
        );
    }
    // A resource server (keys from the issuer's JWKS) accepts tokens of both nodes and keys.
    let sdk = nodes.verifier(Mode::Redis);
    for token in [&before, &on_a, &on_b] {
        assert!(verdict(&sdk, token).is_ok(), "{:?}", verdict(&sdk, token));
    }
}

#[test]
fn a_client_deleted_on_one_node_stops_authenticating_on_the_other_within_the_cache_ttl() {
    let nodes = Nodes::start("two_nodes_clients", &test_redis::shared().url);
    let victim = nodes.client(&["--grant-type", "client_credentials"]);
    let admin_client = nodes.admin_client();
    let admin_token = client_token(&nodes.a, &admin_client);
    let sdk = nodes.verifier(Mode::Redis);
    // Both nodes have the client in their caches.
    let issued = client_token(&nodes.a, &victim);
    client_token(&nodes.b, &victim);

    let (status, body) = admin(
        "DELETE",
        &nodes.a,
        &format!("/admin/v1/clients/{}", victim.id),
        &admin_token,
    );
    let deleted_at = Instant::now();
    assert_eq!(status, 204, "{body}");
    let refused = |node: &Server| {
        let (status, body) = call(
            node,
            "/oauth2/token",
            &victim,
            &[("grant_type", "client_credentials")],
        );
        status == 401 && body["error"] == "invalid_client"
    };
    assert!(refused(&nodes.a), "A refuses at once");
    assert_eq!(verdict(&sdk, &issued), Err(Rejection::Revoked));

    let deadline = deleted_at + CLIENT_CACHE_TTL + MARGIN;
    while !refused(&nodes.b) {
        assert!(
            Instant::now() < deadline,
            "B still authenticates the deleted client {:?} after",
            deleted_at.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // And for good: past another TTL, on both.
    let until = Instant::now() + CLIENT_CACHE_TTL + Duration::from_secs(1);
    while Instant::now() < until {
        for node in [&nodes.a, &nodes.b] {
            assert!(refused(node), "{} authenticates it again", node.base_url);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn after_a_redis_flush_the_reconcilers_of_both_nodes_restore_every_revocation() {
    // Its own Redis: it is flushed.
    let redis = TestRedis::spawn();
    let nodes = Nodes::start("two_nodes_reconcile", &redis.url);
    let client = nodes.web_client();
    let admin_client = nodes.admin_client();
    nodes.user("alice");
    let bob = nodes.user("bob");
    let sdk = nodes.verifier(Mode::Redis);
    let marker = nodes.complete_marker();
    let has_marker = || redis.command(&["EXISTS", &marker]).expect("EXISTS") == ":1";
    let node = |n: usize| {
        if n.is_multiple_of(2) {
            &nodes.a
        } else {
            &nodes.b
        }
    };

    // Before the flush: tokens, grants and a user revoked through both nodes.
    let mut revoked = Vec::new();
    for n in 0..10 {
        let token = client_token(node(n), &client);
        assert_eq!(revoke(node(n + 1), &client, &token), 200);
        revoked.push(token);
    }
    let grant = password_tokens(&nodes.a, &client, "alice");
    assert_eq!(revoke(&nodes.b, &client, &refresh_token(&grant)), 200);
    revoked.push(access(&grant));
    let bobs = access(&password_tokens(&nodes.b, &client, "bob"));
    let admin_token = client_token(&nodes.a, &admin_client);
    let (status, said) = admin(
        "POST",
        &nodes.a,
        &format!("/admin/v1/users/{bob}/revoke"),
        &admin_token,
    );
    assert_eq!(status, 200, "{said}");
    revoked.push(bobs);
    assert!(has_marker());
    for token in &revoked {
        assert_eq!(verdict(&sdk, token), Err(Rejection::Revoked));
    }

    let failures = |server: &Server| {
        std::fs::read_to_string(server.dir.join("serve.log"))
            .unwrap_or_default()
            .matches("reconciliation failed")
            .count()
    };
    redis.flushall();
    let flushed_at = Instant::now();
    // While the nodes rebuild, revocations through either answer 200 or 503; those that
    // answered 200 must be refused afterwards.
    let mut during = Vec::new();
    let mut n = 0;
    let back_at = loop {
        let token = client_token(node(n), &client);
        match revoke(node(n + 1), &client, &token) {
            200 => during.push(token),
            503 => {}
            other => panic!("a revocation during the rebuild answered {other}"),
        }
        n += 1;
        if has_marker() {
            break flushed_at.elapsed();
        }
        assert!(
            flushed_at.elapsed() < REBUILD_BOUND + COMPLETENESS_CHECKS + MARGIN,
            "{marker} not back {:?} after the flush",
            flushed_at.elapsed()
        );
    };
    assert!(
        !during.is_empty(),
        "no revocation was made during the rebuild"
    );

    // Both nodes are done: neither keeps failing, the marker stays.
    let failed = (failures(&nodes.a), failures(&nodes.b));
    std::thread::sleep(COMPLETENESS_CHECKS * 2);
    assert!(has_marker(), "the marker went away again");
    assert_eq!(
        (failures(&nodes.a), failures(&nodes.b)),
        failed,
        "a node's reconciler still fails {back_at:?} after the marker was back"
    );
    for (n, token) in revoked.iter().chain(&during).enumerate() {
        assert_eq!(
            verdict(&sdk, token),
            Err(Rejection::Revoked),
            "revocation {n} (of {} before the flush)",
            revoked.len()
        );
        for node in [&nodes.a, &nodes.b] {
            assert!(!active(node, &client, token), "{n} on {}", node.base_url);
        }
    }
}

/// How often each node checks the marker (`ciam serve`'s reconciler: once a second).
const COMPLETENESS_CHECKS: Duration = Duration::from_secs(1);
