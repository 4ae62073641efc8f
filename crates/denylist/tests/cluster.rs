//! The Redis denylist on a real local Redis Cluster (three primaries, ciam-testkit): what
//! only a cluster can break. The adapter-independent contract runs on a cluster too, in
//! `contract.rs` (`redis_cluster_adapter`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ciam_contract::ContractVersion::V2;
use ciam_denylist::{RedisDenylist, RedisSettings};
use ciam_domain::ports::Denylist;
use ciam_domain::{Jti, Revocation, TokenRef, UnixTime};
use ciam_testkit::redis::unique_prefix;
use ciam_testkit::redis_cluster::TestCluster;

fn real_now() -> UnixTime {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    UnixTime(i64::try_from(since_epoch.as_secs()).expect("seconds fit i64"))
}

fn denylist(cluster: &TestCluster, prefix: &str) -> RedisDenylist {
    RedisDenylist::connect(RedisSettings {
        url: cluster.url(),
        key_prefix: prefix.to_owned(),
        pool_size: 2,
        timeout: Duration::from_secs(5),
        write_v1: true,
    })
    .expect("connect")
}

fn token(jti: &str, until: UnixTime) -> Revocation {
    Revocation::AccessToken {
        jti: Jti::new(jti),
        until,
    }
}

fn denied(denylist: &RedisDenylist, jti: &str, now: UnixTime) -> bool {
    let (jti, client) = (Jti::new(jti), ciam_domain::ClientId::new("c"));
    denylist
        .is_denied(
            &TokenRef {
                jti: &jti,
                grant_id: None,
                subject: "u",
                client_id: &client,
                issued_at: UnixTime(0),
            },
            now,
        )
        .expect("is_denied answers")
}

fn rebuild(denylist: &RedisDenylist, id: &str) -> bool {
    denylist.begin_rebuild(id).expect("begin_rebuild");
    denylist.finish_rebuild(id).expect("finish_rebuild")
}

/// The node (a primary) holding `key`, asked through each primary with `EXISTS`.
fn node_holding(cluster: &TestCluster, key: &str) -> u16 {
    cluster
        .primaries()
        .into_iter()
        .find(|port| cluster.command(*port, &["EXISTS", key]) == ":1")
        .unwrap_or_else(|| panic!("no primary holds {key}"))
}

#[test]
fn keys_spread_over_the_primaries_and_events_reach_subscribers_on_every_node() {
    let cluster = TestCluster::start();
    let prefix = unique_prefix("spread");
    let denylist = denylist(&cluster, &prefix);
    let channel = denylist.keys(V2).channel();
    let mut subscribers: Vec<redis::Connection> = cluster
        .node_urls()
        .iter()
        .map(|url| {
            let client = redis::Client::open(url.as_str()).expect("url");
            client.get_connection().expect("connect")
        })
        .collect();
    let mut pubsubs: Vec<redis::PubSub<'_>> = subscribers
        .iter_mut()
        .map(|conn| {
            let mut pubsub = conn.as_pubsub();
            pubsub.subscribe(&channel).expect("SUBSCRIBE");
            pubsub
                .set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            pubsub
        })
        .collect();

    let now = real_now();
    let until = now.plus_seconds(60);
    let jtis: Vec<String> = (0..30).map(|n| format!("j-{n}")).collect();
    let entries: Vec<Revocation> = jtis.iter().map(|j| token(j, until)).collect();
    denylist.deny(&entries, now).expect("deny");

    for jti in &jtis {
        assert!(denied(&denylist, jti, now), "{jti}");
    }
    assert!(!denied(&denylist, "other", now));
    let holders: std::collections::BTreeSet<u16> = jtis
        .iter()
        .map(|j| node_holding(&cluster, &denylist.keys(V2).jti(j)))
        .collect();
    assert_eq!(holders.len(), 3, "30 keys land on every primary");

    for pubsub in &mut pubsubs {
        for _ in &jtis {
            let message = pubsub
                .get_message()
                .expect("every node delivers every event");
            assert_eq!(message.get_channel_name(), channel);
        }
    }
}

#[test]
fn a_flush_of_one_shard_takes_the_marker_away() {
    let cluster = TestCluster::start();
    let prefix = unique_prefix("shard-flush");
    let denylist = denylist(&cluster, &prefix);
    assert_eq!(denylist.is_complete(), Ok(false), "nothing written yet");
    assert!(rebuild(&denylist, "r1"));
    assert_eq!(denylist.is_complete(), Ok(true));

    // Flush a primary that does not hold the v2 marker: on one server the flush would have
    // taken the marker with it; here the bookkeeping of that shard must notice.
    let marker = denylist.keys(V2).complete();
    let marker_node = node_holding(&cluster, &marker);
    let other = cluster
        .primaries()
        .into_iter()
        .find(|port| *port != marker_node)
        .expect("another primary");
    assert_eq!(cluster.command(other, &["FLUSHALL", "SYNC"]), "+OK");
    assert_eq!(denylist.is_complete(), Ok(false), "a shard lost its data");
    assert_eq!(
        cluster.command(marker_node, &["EXISTS", &marker]),
        ":0",
        "the marker resource servers trust is gone"
    );
    assert!(rebuild(&denylist, "r2"));
    assert_eq!(denylist.is_complete(), Ok(true));

    // A flush of any shard while a rebuild runs: the rebuild must not claim completeness.
    for (n, port) in cluster.primaries().into_iter().enumerate() {
        let id = format!("during-{n}");
        denylist.begin_rebuild(&id).expect("begin");
        assert_eq!(cluster.command(port, &["FLUSHALL", "SYNC"]), "+OK");
        assert_eq!(denylist.finish_rebuild(&id), Ok(false), "flushed {port}");
        assert_eq!(denylist.is_complete(), Ok(false));
    }
}

#[test]
fn denies_after_the_primaries_forget_the_script() {
    let cluster = TestCluster::start();
    let denylist = denylist(&cluster, &unique_prefix("noscript"));
    let now = real_now();
    denylist
        .deny(&[token("before", now.plus_seconds(60))], now)
        .expect("deny");
    for port in cluster.primaries() {
        assert_eq!(cluster.command(port, &["SCRIPT", "FLUSH"]), "+OK");
    }
    let jtis: Vec<String> = (0..10).map(|n| format!("after-{n}")).collect();
    let entries: Vec<Revocation> = jtis
        .iter()
        .map(|j| token(j, now.plus_seconds(60)))
        .collect();
    denylist
        .deny(&entries, now)
        .expect("deny after SCRIPT FLUSH");
    for jti in &jtis {
        assert!(denied(&denylist, jti, now), "{jti}");
    }
}

#[test]
fn a_failover_makes_the_marker_incomplete_until_a_rebuild() {
    let cluster = TestCluster::start_with_replicas(1);
    let denylist = denylist(&cluster, &unique_prefix("failover"));
    let now = real_now();
    denylist
        .deny(&[token("kept", now.plus_seconds(60))], now)
        .expect("deny");
    assert!(rebuild(&denylist, "r1"));
    assert_eq!(denylist.is_complete(), Ok(true));

    // Another process serves a shard now: it may lack writes its old primary acknowledged.
    let replica = cluster.replicas()[0];
    cluster.failover(replica);
    assert_eq!(
        denylist.is_complete(),
        Ok(false),
        "a new primary is not trusted"
    );
    assert!(rebuild(&denylist, "r2"));
    assert_eq!(denylist.is_complete(), Ok(true));
    assert!(denied(&denylist, "kept", now));
    denylist
        .deny(&[token("after", now.plus_seconds(60))], now)
        .expect("deny after the failover");
    assert!(denied(&denylist, "after", now));
    assert_eq!(denylist.ping(), Ok(()));
}

#[test]
fn a_bad_cluster_url_is_refused_without_connecting() {
    for url in ["redis+cluster://", "redis+cluster://h:1/2"] {
        let refused = RedisDenylist::connect(RedisSettings {
            url: url.into(),
            ..RedisSettings::default()
        });
        assert!(refused.is_err(), "{url}");
    }
}
