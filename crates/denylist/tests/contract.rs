//! The `Denylist` contract (crates/domain/src/ports.rs), written once in `suite` and run
//! against every adapter; then what only the Redis adapter promises: the published key,
//! value, TTL and event format of docs/redis-denylist.md, and its behaviour when Redis
//! goes away and comes back.
//!
//! Redis tests share one `redis-server` (ciam-testkit), each under its own key prefix;
//! the tests that flush, stop or restart a server start their own.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ciam_contract::ContractVersion::{V1, V2};
use ciam_denylist::{InProcessDenylist, RedisDenylist, RedisSettings, ReplicatedDenylist};
use ciam_domain::ports::Denylist;
use ciam_domain::{
    ClientId, Cutoff, CutoffKind, DenylistError, GrantId, Jti, Revocation, TokenRef, UnixTime,
};
use ciam_testkit::redis::{shared, unique_prefix, TestRedis};
use ciam_testkit::redis_cluster::TestCluster;

/// Redis expires keys by its own clock, so every test takes `now` from the real one.
fn real_now() -> UnixTime {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    UnixTime(i64::try_from(since_epoch.as_secs()).expect("seconds fit i64"))
}

fn token(jti: &str, until: UnixTime) -> Revocation {
    Revocation::AccessToken {
        jti: Jti::new(jti),
        until,
    }
}

fn grant(grant_id: &str, until: UnixTime) -> Revocation {
    Revocation::Grant {
        grant_id: GrantId::new(grant_id),
        until,
    }
}

fn cutoff(kind: CutoffKind, id: &str, at: UnixTime, until: UnixTime) -> Revocation {
    Revocation::Cutoff(Cutoff {
        kind,
        id: id.into(),
        at,
        until,
    })
}

/// `is_denied` of a token with this `jti` and grant, of subject `nobody` and client `nobody`,
/// issued at the epoch.
fn check<D: Denylist + ?Sized>(
    denylist: &D,
    jti: &str,
    gid: Option<&str>,
    now: UnixTime,
) -> Result<bool, DenylistError> {
    check_token(denylist, jti, gid, "nobody", "nobody", UnixTime(0), now)
}

fn check_token<D: Denylist + ?Sized>(
    denylist: &D,
    jti: &str,
    gid: Option<&str>,
    subject: &str,
    client: &str,
    issued_at: UnixTime,
    now: UnixTime,
) -> Result<bool, DenylistError> {
    let (jti, gid, client) = (Jti::new(jti), gid.map(GrantId::new), ClientId::new(client));
    denylist.is_denied(
        &TokenRef {
            jti: &jti,
            grant_id: gid.as_ref(),
            subject,
            client_id: &client,
            issued_at,
        },
        now,
    )
}

fn denied(denylist: &dyn Denylist, jti: &str, gid: Option<&str>, now: UnixTime) -> bool {
    check(denylist, jti, gid, now).expect("is_denied answers")
}

fn settings(server: &TestRedis, prefix: String, timeout: Duration) -> RedisSettings {
    RedisSettings {
        url: server.url.clone(),
        key_prefix: prefix,
        pool_size: 4,
        timeout,
        write_v1: true,
    }
}

/// A Redis denylist on the shared server, under a prefix of its own.
fn shared_redis_denylist(name: &str) -> RedisDenylist {
    let settings = settings(shared(), unique_prefix(name), Duration::from_secs(5));
    RedisDenylist::connect(settings).expect("connect")
}

/// The same, read through a local replica (whole before it is returned).
fn shared_replicated_denylist(name: &str) -> ReplicatedDenylist {
    let settings = settings(shared(), unique_prefix(name), Duration::from_secs(5));
    let denylist = ReplicatedDenylist::start(settings).expect("start");
    assert!(
        denylist.wait_whole(Duration::from_secs(10)),
        "replica loaded"
    );
    denylist
}

/// A Redis denylist on a three-primary cluster shared by this binary's tests.
fn shared_cluster_denylist(name: &str) -> RedisDenylist {
    static CLUSTER: std::sync::OnceLock<TestCluster> = std::sync::OnceLock::new();
    let cluster = CLUSTER.get_or_init(TestCluster::start);
    RedisDenylist::connect(RedisSettings {
        url: cluster.url(),
        key_prefix: unique_prefix(name),
        pool_size: 4,
        timeout: Duration::from_secs(5),
        write_v1: true,
    })
    .expect("connect")
}

/// What every adapter must do.
mod suite {
    use super::*;

    pub fn denies_a_token_until_its_expiry(denylist: &dyn Denylist) {
        let now = real_now();
        let until = now.plus_seconds(60);
        denylist.deny(&[token("a", until)], now).expect("deny");
        assert!(denied(denylist, "a", None, now));
        assert!(denied(denylist, "a", None, now.plus_seconds(59)));
        assert!(
            denied(denylist, "a", Some("any-grant"), now),
            "the jti alone suffices"
        );
        assert!(!denied(denylist, "a", None, until), "not at its until");
        assert!(
            !denied(denylist, "a", None, until.plus_seconds(1)),
            "nor after"
        );
        assert!(!denied(denylist, "b", None, now), "another token");
    }

    pub fn denies_every_token_of_a_denied_grant(denylist: &dyn Denylist) {
        let now = real_now();
        let until = now.plus_seconds(60);
        denylist.deny(&[grant("g", until)], now).expect("deny");
        assert!(denied(denylist, "t1", Some("g"), now));
        assert!(denied(denylist, "t2", Some("g"), now.plus_seconds(59)));
        assert!(
            !denied(denylist, "t1", Some("g"), until),
            "not at its until"
        );
        assert!(!denied(denylist, "t1", Some("other"), now), "another grant");
        assert!(
            !denied(denylist, "t1", None, now),
            "a token without a grant"
        );
    }

    pub fn tokens_and_grants_are_separate_namespaces(denylist: &dyn Denylist) {
        let now = real_now();
        let until = now.plus_seconds(60);
        denylist
            .deny(&[token("same", until), grant("other", until)], now)
            .expect("deny");
        assert!(
            !denied(denylist, "x", Some("same"), now),
            "a jti does not deny a grant"
        );
        assert!(
            !denied(denylist, "other", None, now),
            "a grant id does not deny a jti"
        );
    }

    pub fn ids_are_taken_verbatim(denylist: &dyn Denylist) {
        let now = real_now();
        let until = now.plus_seconds(60);
        let odd = "a:b c/ü\"*";
        denylist
            .deny(&[token(odd, until), grant(odd, until)], now)
            .expect("deny");
        assert!(denied(denylist, odd, None, now));
        assert!(denied(denylist, "t", Some(odd), now));
        assert!(!denied(denylist, "a:b", None, now));
        assert!(
            !denied(denylist, "a:b c/ü\"?", None, now),
            "no pattern matching"
        );
    }

    pub fn a_later_deny_never_shortens_an_entry(denylist: &dyn Denylist) {
        let now = real_now();
        let long = now.plus_seconds(120);
        let short = now.plus_seconds(30);
        denylist
            .deny(&[token("a", long), grant("g", long)], now)
            .expect("deny");
        denylist
            .deny(&[token("a", short), grant("g", short)], now)
            .expect("re-deny");
        assert!(denied(denylist, "a", None, now.plus_seconds(100)));
        assert!(denied(denylist, "t", Some("g"), now.plus_seconds(100)));
        let longer = now.plus_seconds(300);
        denylist
            .deny(&[token("a", longer), grant("g", longer)], now)
            .expect("extend");
        assert!(
            denied(denylist, "a", None, now.plus_seconds(299)),
            "a later until extends"
        );
        assert!(denied(denylist, "t", Some("g"), now.plus_seconds(299)));
        // Within one batch too (one script call may carry both).
        denylist
            .deny(&[token("b", long), token("b", short)], now)
            .expect("deny both");
        assert!(denied(denylist, "b", None, now.plus_seconds(100)));
    }

    pub fn expired_entries_are_not_stored(denylist: &dyn Denylist) {
        let now = real_now();
        let entries = [
            token("at-now", now),
            token("past", now.plus_seconds(-5)),
            grant("g", now),
        ];
        denylist.deny(&entries, now).expect("deny");
        // Asked about an earlier instant, a stored entry would still count.
        let earlier = now.plus_seconds(-10);
        assert!(!denied(denylist, "at-now", None, earlier));
        assert!(!denied(denylist, "past", None, earlier));
        assert!(!denied(denylist, "t", Some("g"), earlier));
    }

    pub fn denies_a_whole_batch(denylist: &dyn Denylist) {
        let now = real_now();
        denylist.deny(&[], now).expect("an empty batch");
        let batch: Vec<Revocation> = (0..200)
            .map(|i| match i % 2 {
                0 => token(&format!("t{i}"), now.plus_seconds(60 + i)),
                _ => grant(&format!("g{i}"), now.plus_seconds(60 + i)),
            })
            .collect();
        denylist.deny(&batch, now).expect("deny");
        for i in 0..200 {
            let (jti, gid) = match i % 2 {
                0 => (format!("t{i}"), None),
                _ => ("x".to_owned(), Some(format!("g{i}"))),
            };
            assert!(denied(denylist, &jti, gid.as_deref(), now), "entry {i}");
        }
    }

    pub fn answers_ping_and_keeps_the_completeness_mark(denylist: &dyn Denylist) {
        denylist.ping().expect("ping");
        mark_complete(denylist);
        assert_eq!(denylist.is_complete(), Ok(true));
        mark_complete(denylist);
        assert_eq!(denylist.is_complete(), Ok(true));
    }

    /// Two nodes rebuilding at once both finish: neither's rebuild cancels the other's.
    pub fn concurrent_rebuilds_both_finish(denylist: &dyn Denylist) {
        denylist.begin_rebuild("node-a").expect("begin a");
        denylist.begin_rebuild("node-b").expect("begin b");
        assert_eq!(denylist.finish_rebuild("node-b"), Ok(true));
        assert_eq!(denylist.finish_rebuild("node-a"), Ok(true));
        assert_eq!(denylist.is_complete(), Ok(true));
    }

    pub fn a_cutoff_denies_tokens_issued_at_or_before_it(denylist: &dyn Denylist) {
        let now = real_now();
        let at = now.plus_seconds(-10);
        let until = now.plus_seconds(60);
        denylist
            .deny(
                &[
                    cutoff(CutoffKind::Subject, "user:1", at, until),
                    cutoff(CutoffKind::Client, "client 1", at, until),
                ],
                now,
            )
            .expect("deny");
        let issued = |subject: &str, client: &str, iat: UnixTime, at_time: UnixTime| {
            check_token(denylist, "j", None, subject, client, iat, at_time)
                .expect("is_denied answers")
        };
        assert!(issued("user:1", "other", at, now), "issued in its second");
        assert!(issued("user:1", "other", at.plus_seconds(-1), now));
        assert!(
            !issued("user:1", "other", at.plus_seconds(1), now),
            "after it"
        );
        assert!(issued("someone", "client 1", at, now));
        assert!(!issued("someone", "client 1", at.plus_seconds(1), now));
        assert!(!issued("client 1", "user:1", at, now), "kinds are separate");
        // After `until` every token the cut-off covers has expired: an adapter may answer
        // either way (Redis drops the key by its own clock, and a cut-off's value is not
        // its `until`).
    }

    pub fn a_cutoff_only_rises(denylist: &dyn Denylist) {
        let now = real_now();
        let until = now.plus_seconds(60);
        denylist
            .deny(&[cutoff(CutoffKind::Subject, "u", now, until)], now)
            .expect("deny");
        denylist
            .deny(
                &[cutoff(
                    CutoffKind::Subject,
                    "u",
                    now.plus_seconds(-30),
                    until,
                )],
                now,
            )
            .expect("an earlier cut-off");
        let denied_at = |iat: UnixTime| {
            check_token(denylist, "j", None, "u", "c", iat, now).expect("is_denied answers")
        };
        assert!(denied_at(now), "the later cut-off stays");
        denylist
            .deny(
                &[cutoff(
                    CutoffKind::Subject,
                    "u",
                    now.plus_seconds(5),
                    until.plus_seconds(5),
                )],
                now,
            )
            .expect("a later cut-off");
        assert!(denied_at(now.plus_seconds(5)));
    }

    /// A rebuild with nothing in between, as the reconciler runs one.
    pub fn mark_complete(denylist: &dyn Denylist) {
        denylist.begin_rebuild("rebuild").expect("begin_rebuild");
        assert_eq!(
            denylist.finish_rebuild("rebuild"),
            Ok(true),
            "finish_rebuild"
        );
    }
}

macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        mod in_process_adapter {
            $(
                #[test]
                fn $test() {
                    super::suite::$test(&ciam_denylist::InProcessDenylist::new());
                }
            )*
        }

        mod redis_adapter {
            $(
                #[test]
                fn $test() {
                    super::suite::$test(&super::shared_redis_denylist(stringify!($test)));
                }
            )*
        }

        mod replicated_adapter {
            $(
                #[test]
                fn $test() {
                    super::suite::$test(&super::shared_replicated_denylist(stringify!($test)));
                }
            )*
        }

        mod redis_cluster_adapter {
            $(
                #[test]
                fn $test() {
                    super::suite::$test(&super::shared_cluster_denylist(stringify!($test)));
                }
            )*
        }
    };
}

contract!(
    denies_a_token_until_its_expiry,
    denies_every_token_of_a_denied_grant,
    tokens_and_grants_are_separate_namespaces,
    ids_are_taken_verbatim,
    a_later_deny_never_shortens_an_entry,
    expired_entries_are_not_stored,
    denies_a_whole_batch,
    answers_ping_and_keeps_the_completeness_mark,
    concurrent_rebuilds_both_finish,
    a_cutoff_denies_tokens_issued_at_or_before_it,
    a_cutoff_only_rises,
);

#[test]
fn the_in_process_denylist_is_always_complete() {
    assert_eq!(InProcessDenylist::new().is_complete(), Ok(true));
}

/// What resource servers rely on: docs/redis-denylist.md.
mod redis_contract {
    use super::*;
    use ciam_domain::DenylistError;
    use redis::Commands;
    use std::sync::{mpsc, Arc};

    fn inspector(server: &TestRedis) -> redis::Connection {
        let client = redis::Client::open(server.url.as_str()).expect("url");
        let conn = client
            .get_connection_with_timeout(Duration::from_secs(5))
            .expect("connect");
        conn.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        conn
    }

    /// Milliseconds from now until `until`, give or take the current second.
    fn assert_ttl_reaches(pttl: i64, until: UnixTime) {
        let expected_ms = (until.0 - real_now().0) * 1000;
        assert!(
            pttl > expected_ms - 3000 && pttl <= expected_ms + 1000,
            "PTTL {pttl} ms, expected about {expected_ms} ms"
        );
    }

    #[test]
    fn keys_have_the_documented_names_values_and_ttls() {
        let prefix = unique_prefix("keys");
        let denylist =
            RedisDenylist::connect(settings(shared(), prefix.clone(), Duration::from_secs(5)))
                .expect("connect");
        let now = real_now();
        let (token_until, grant_until) = (now.plus_seconds(60), now.plus_seconds(600));
        denylist
            .deny(&[token("j-1", token_until), grant("g-1", grant_until)], now)
            .expect("deny");

        let jti_key = format!("{prefix}:v1:revoked:jti:j-1");
        let gid_key = format!("{prefix}:v1:revoked:gid:g-1");
        assert_eq!(denylist.keys(V1).jti("j-1"), jti_key);
        assert_eq!(denylist.keys(V1).grant("g-1"), gid_key);

        let mut conn = inspector(shared());
        let value: String = conn.get(&jti_key).expect("GET");
        assert_eq!(
            value,
            token_until.0.to_string(),
            "the value is the until, in decimal"
        );
        let value: String = conn.get(&gid_key).expect("GET");
        assert_eq!(value, grant_until.0.to_string());
        assert_ttl_reaches(conn.pttl(&jti_key).expect("PTTL"), token_until);
        assert_ttl_reaches(conn.pttl(&gid_key).expect("PTTL"), grant_until);
        let expire_at: i64 = redis::cmd("EXPIRETIME")
            .arg(&jti_key)
            .query(&mut conn)
            .expect("EXPIRETIME");
        assert_eq!(expire_at, token_until.0, "the key expires exactly at until");

        // The documented one-round-trip check.
        let count: i64 = redis::cmd("EXISTS")
            .arg(&jti_key)
            .arg(&gid_key)
            .query(&mut conn)
            .expect("EXISTS");
        assert_eq!(count, 2);
        let unrelated = format!("{prefix}:v1:revoked:jti:other");
        let count: i64 = redis::cmd("EXISTS")
            .arg(&unrelated)
            .query(&mut conn)
            .expect("EXISTS");
        assert_eq!(count, 0);

        // The same in v2, the version ciam reads.
        for (v1, v2) in [
            (&jti_key, denylist.keys(V2).jti("j-1")),
            (&gid_key, denylist.keys(V2).grant("g-1")),
        ] {
            assert_eq!(*v1, v2.replace(":v2:", ":v1:"));
            let value: String = conn.get(&v2).expect("GET");
            let v1_value: String = conn.get(v1).expect("GET");
            assert_eq!(value, v1_value);
        }
        let keys: Vec<String> = conn.keys(format!("{prefix}:*")).expect("KEYS");
        assert_eq!(keys.len(), 4, "nothing else is written: {keys:?}");
    }

    #[test]
    fn cutoffs_are_v2_keys_holding_the_cutoff_and_expiring_at_until() {
        let prefix = unique_prefix("cutoffs");
        let denylist =
            RedisDenylist::connect(settings(shared(), prefix.clone(), Duration::from_secs(5)))
                .expect("connect");
        let mut conn = inspector(shared());
        let mut events = inspector(shared());
        let mut subscriber = events.as_pubsub();
        subscriber
            .subscribe(format!("{prefix}:v2:revocations"))
            .expect("SUBSCRIBE");
        let now = real_now();
        let until = now.plus_seconds(600);
        denylist
            .deny(&[cutoff(CutoffKind::Subject, "u-1", now, until)], now)
            .expect("deny");
        denylist
            .deny(&[cutoff(CutoffKind::Client, "c-1", now, until)], now)
            .expect("deny");
        for (key, kind, id) in [
            (format!("{prefix}:v2:cutoff:sub:u-1"), "sub", "u-1"),
            (format!("{prefix}:v2:cutoff:cid:c-1"), "cid", "c-1"),
        ] {
            let value: i64 = conn.get(&key).expect("GET");
            assert_eq!(value, now.0, "the value is the cut-off");
            let expire_at: i64 = redis::cmd("EXPIRETIME")
                .arg(&key)
                .query(&mut conn)
                .expect("EXPIRETIME");
            assert_eq!(expire_at, until.0, "the key expires at until");
            let message = subscriber.get_message().expect("an event");
            let payload: String = message.get_payload().expect("payload");
            let json: serde_json::Value = serde_json::from_str(&payload).expect("JSON");
            assert_eq!(
                json,
                serde_json::json!({"v": 2, "kind": kind, "id": id, "until": until.0, "cutoff": now.0})
            );
        }
        let keys: Vec<String> = conn.keys(format!("{prefix}:*")).expect("KEYS");
        assert_eq!(keys.len(), 2, "v1 has no cut-offs: {keys:?}");
    }

    #[test]
    fn with_v1_off_only_v2_is_written() {
        let prefix = unique_prefix("v2only");
        let denylist = RedisDenylist::connect(RedisSettings {
            write_v1: false,
            ..settings(shared(), prefix.clone(), Duration::from_secs(5))
        })
        .expect("connect");
        let now = real_now();
        denylist
            .deny(&[token("j", now.plus_seconds(60))], now)
            .expect("deny");
        let mut conn = inspector(shared());
        let v1_marker = format!("{prefix}:v1:complete");
        redis::cmd("SET")
            .arg(&v1_marker)
            .arg(1)
            .query::<()>(&mut conn)
            .expect("a v1 marker left from when v1 was written");
        suite::mark_complete(&denylist);
        let mut keys: Vec<String> = inspector(shared())
            .keys(format!("{prefix}:*"))
            .expect("KEYS");
        keys.sort();
        assert_eq!(
            keys,
            vec![
                format!("{prefix}:v2:complete"),
                format!("{prefix}:v2:revoked:jti:j")
            ]
        );
        assert_eq!(denylist.is_complete(), Ok(true));
    }

    #[test]
    fn a_re_deny_never_lowers_a_key_value_or_ttl() {
        let prefix = unique_prefix("redeny");
        let denylist =
            RedisDenylist::connect(settings(shared(), prefix.clone(), Duration::from_secs(5)))
                .expect("connect");
        let key = format!("{prefix}:v1:revoked:jti:a");
        let mut conn = inspector(shared());
        let now = real_now();

        denylist
            .deny(&[token("a", now.plus_seconds(120))], now)
            .expect("deny");
        denylist
            .deny(&[token("a", now.plus_seconds(30))], now)
            .expect("shorter re-deny");
        let value: i64 = conn.get(&key).expect("GET");
        assert_eq!(value, now.plus_seconds(120).0);
        assert_ttl_reaches(conn.pttl(&key).expect("PTTL"), now.plus_seconds(120));

        denylist
            .deny(&[token("a", now.plus_seconds(300))], now)
            .expect("longer re-deny");
        let value: i64 = conn.get(&key).expect("GET");
        assert_eq!(value, now.plus_seconds(300).0);
        assert_ttl_reaches(conn.pttl(&key).expect("PTTL"), now.plus_seconds(300));
    }

    #[test]
    fn expired_entries_write_no_key() {
        let prefix = unique_prefix("expired");
        let denylist =
            RedisDenylist::connect(settings(shared(), prefix.clone(), Duration::from_secs(5)))
                .expect("connect");
        let now = real_now();
        denylist
            .deny(&[token("a", now), grant("g", now.plus_seconds(-1))], now)
            .expect("deny");
        let keys: Vec<String> = inspector(shared())
            .keys(format!("{prefix}:*"))
            .expect("KEYS");
        assert!(keys.is_empty(), "{keys:?}");
    }

    #[test]
    fn keys_expire_when_the_token_does() {
        let prefix = unique_prefix("expiry");
        let denylist =
            RedisDenylist::connect(settings(shared(), prefix.clone(), Duration::from_secs(5)))
                .expect("connect");
        let key = format!("{prefix}:v1:revoked:jti:short");
        let mut conn = inspector(shared());
        let now = real_now();
        let until = now.plus_seconds(2);
        denylist.deny(&[token("short", until)], now).expect("deny");
        assert!(conn.exists::<_, bool>(&key).expect("EXISTS"), "written");

        let deadline = Instant::now() + Duration::from_secs(5);
        while conn.exists::<_, bool>(&key).expect("EXISTS") {
            assert!(Instant::now() < deadline, "the key outlived its until");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Gone, and not before its until (Redis and this test share the clock).
        assert!(
            real_now() >= until,
            "expired at {:?}, before {until:?}",
            real_now()
        );
        assert!(
            !denied(&denylist, "short", None, now),
            "Redis forgot it: so does is_denied"
        );
    }

    #[test]
    fn a_rebuild_larger_than_one_round_trip_fits_the_timeout() {
        // The reconciler denies every live revocation at once; the timeout bounds each
        // round trip, not the whole rebuild.
        let prefix = unique_prefix("rebuild");
        let denylist =
            RedisDenylist::connect(settings(shared(), prefix.clone(), Duration::from_secs(1)))
                .expect("connect");
        let now = real_now();
        let live: Vec<Revocation> = (0..20_000)
            .map(|i| token(&format!("t{i}"), now.plus_seconds(60)))
            .collect();
        let started = Instant::now();
        denylist.deny(&live, now).expect("deny 20 000 entries");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(20), "took {took:?}");
        assert!(denied(&denylist, "t0", None, now));
        assert!(denied(&denylist, "t19999", None, now));
        let count: i64 = redis::cmd("EVAL")
            .arg("return #redis.call('KEYS', ARGV[1])")
            .arg(0)
            .arg(format!("{prefix}:v1:revoked:jti:*"))
            .query(&mut inspector(shared()))
            .expect("count keys");
        assert_eq!(count, 20_000);
    }

    #[test]
    fn publishes_one_event_per_key_written() {
        let prefix = unique_prefix("events");
        let denylist =
            RedisDenylist::connect(settings(shared(), prefix.clone(), Duration::from_secs(5)))
                .expect("connect");
        let channel = format!("{prefix}:v1:revocations");
        assert_eq!(denylist.keys(V1).channel(), channel);

        let mut reader = inspector(shared());
        let mut conn = inspector(shared());
        let mut subscriber = conn.as_pubsub();
        subscriber.subscribe(&channel).expect("SUBSCRIBE");
        let mut next_event = |expected: serde_json::Value| {
            let message = subscriber.get_message().expect("an event");
            assert_eq!(message.get_channel_name(), channel);
            let payload: String = message.get_payload().expect("a string payload");
            let json: serde_json::Value = serde_json::from_str(&payload).expect("JSON");
            assert_eq!(json, expected, "{payload}");
        };

        let now = real_now();
        let (j_until, g_until) = (now.plus_seconds(60), now.plus_seconds(600));
        let entries = [
            token("j-1", j_until),
            grant("g-1", g_until),
            token("expired", now),
        ];
        denylist.deny(&entries, now).expect("deny");
        next_event(serde_json::json!({"v": 1, "kind": "jti", "id": "j-1", "until": j_until.0}));
        next_event(serde_json::json!({"v": 1, "kind": "gid", "id": "g-1", "until": g_until.0}));
        let key = format!("{prefix}:v1:revoked:gid:g-1");
        assert!(
            reader.exists::<_, bool>(&key).expect("EXISTS"),
            "written before announced"
        );

        // Nothing changes, nothing is announced: a rebuild re-denies every live entry.
        let unchanged = [token("j-1", j_until), grant("g-1", now.plus_seconds(300))];
        denylist.deny(&unchanged, now).expect("re-deny");
        let extended = now.plus_seconds(120);
        denylist
            .deny(&[token("j-1", extended)], now)
            .expect("extend");
        next_event(serde_json::json!({"v": 1, "kind": "jti", "id": "j-1", "until": extended.0}));

        subscriber
            .set_read_timeout(Some(Duration::from_millis(300)))
            .expect("read timeout");
        assert!(
            subscriber.get_message().is_err(),
            "one event per key written, no more"
        );
    }

    #[test]
    fn the_completeness_marker_is_per_prefix_and_lost_on_flushall() {
        // FLUSHALL would wipe the other tests' keys: this test has its own server.
        let server = TestRedis::spawn();
        let prefix = unique_prefix("complete");
        let denylist =
            RedisDenylist::connect(settings(&server, prefix.clone(), Duration::from_secs(5)))
                .expect("connect");
        let neighbour = RedisDenylist::connect(settings(
            &server,
            unique_prefix("neighbour"),
            Duration::from_secs(5),
        ))
        .expect("connect");

        assert_eq!(
            denylist.is_complete(),
            Ok(false),
            "a fresh Redis holds nothing"
        );
        denylist.begin_rebuild("r1").expect("begin_rebuild");
        assert_eq!(
            denylist.is_complete(),
            Ok(false),
            "a rebuild that has begun has written nothing yet: not complete"
        );
        assert_eq!(denylist.finish_rebuild("r1"), Ok(true));
        assert_eq!(denylist.is_complete(), Ok(true));
        assert_eq!(neighbour.is_complete(), Ok(false), "markers are per prefix");

        let key = format!("{prefix}:v1:complete");
        assert_eq!(denylist.keys(V1).complete(), key);
        assert!(inspector(&server)
            .exists::<_, bool>(denylist.keys(V2).complete())
            .expect("EXISTS"));
        let mut conn = inspector(&server);
        assert!(conn.exists::<_, bool>(&key).expect("EXISTS"));
        assert_eq!(
            conn.ttl::<_, i64>(&key).expect("TTL"),
            -1,
            "the marker never expires"
        );

        server.flushall();
        assert_eq!(
            denylist.is_complete(),
            Ok(false),
            "a flush loses the marker"
        );

        // A flush while a rebuild runs: what it wrote before the flush is gone, so it must
        // not claim completeness.
        denylist.begin_rebuild("r2").expect("begin_rebuild");
        server.flushall();
        assert_eq!(denylist.finish_rebuild("r2"), Ok(false));
        assert_eq!(denylist.is_complete(), Ok(false));
        assert_eq!(
            conn.keys::<_, Vec<String>>(format!("{prefix}:*"))
                .expect("KEYS"),
            Vec::<String>::new(),
            "a failed finish leaves no key behind"
        );
    }

    /// The script travels once per server, not once per revocation: `EVALSHA`, and after
    /// the server forgets its scripts, `SCRIPT LOAD` once and the call again.
    #[test]
    fn denies_by_script_hash_and_survives_a_script_flush() {
        // SCRIPT FLUSH and the command statistics are server-wide: a server of its own.
        let server = TestRedis::spawn();
        let denylist = RedisDenylist::connect(settings(
            &server,
            unique_prefix("evalsha"),
            Duration::from_secs(5),
        ))
        .expect("connect");
        let until = UnixTime(real_now().0 + 600);
        let mut conn = inspector(&server);
        let count = |conn: &mut redis::Connection, command: &str| -> u64 {
            let info: String = redis::cmd("INFO")
                .arg("commandstats")
                .query(conn)
                .expect("INFO");
            info.lines()
                .find_map(|line| line.strip_prefix(&format!("cmdstat_{command}:calls=")))
                .and_then(|rest| rest.split(',').next())
                .and_then(|calls| calls.parse().ok())
                .unwrap_or(0)
        };

        denylist
            .deny(&[token("before-flush", until)], real_now())
            .expect("deny");
        redis::cmd("SCRIPT")
            .arg("FLUSH")
            .query::<()>(&mut conn)
            .expect("SCRIPT FLUSH");
        denylist
            .deny(
                &[token("after-flush", until), grant("g-after", until)],
                real_now(),
            )
            .expect("deny after the server forgot the script");
        denylist
            .deny(&[token("again", until)], real_now())
            .expect("deny");

        let now = real_now();
        for jti in ["before-flush", "after-flush", "again"] {
            assert!(denied(&denylist, jti, None, now), "{jti} is denied");
        }
        assert!(denied(&denylist, "other", Some("g-after"), now));
        assert_eq!(
            count(&mut conn, "eval"),
            0,
            "the script text is never sent by EVAL"
        );
        assert_eq!(
            count(&mut conn, "script|load"),
            2,
            "loaded once at first use and once after the flush"
        );
        assert!(count(&mut conn, "evalsha") >= 4);
    }

    /// Runs `call` on a thread of its own, so that a call that hangs fails the test
    /// instead of blocking it.
    fn assert_fails_fast<T: std::fmt::Debug + Send + 'static>(
        what: &str,
        denylist: &Arc<RedisDenylist>,
        call: impl FnOnce(&RedisDenylist) -> Result<T, DenylistError> + Send + 'static,
    ) {
        let denylist = Arc::clone(denylist);
        let (sender, receiver) = mpsc::channel();
        let started = Instant::now();
        std::thread::spawn(move || sender.send(call(&denylist)));
        let result = receiver
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{what} hangs while Redis is unavailable"));
        let took = started.elapsed();
        assert!(
            result.is_err(),
            "{what} with Redis unavailable must be Err, got {result:?}"
        );
        assert!(
            took < Duration::from_secs(3),
            "{what} took {took:?} with a 1 s timeout"
        );
    }

    #[test]
    fn fails_fast_while_redis_is_down_and_recovers_after_restart() {
        // Stopping a server would break the other tests: this one has its own.
        let server = TestRedis::spawn();
        server.stop();

        let started = Instant::now();
        let denylist = Arc::new(
            RedisDenylist::connect(settings(
                &server,
                unique_prefix("outage"),
                Duration::from_secs(1),
            ))
            .expect("connect must not need Redis up"),
        );
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "connect does not wait"
        );
        assert_fails_fast("ping before Redis ever came up", &denylist, |d| d.ping());

        server.restart();
        let now = real_now();
        denylist
            .deny(&[token("a", now.plus_seconds(60))], now)
            .expect("deny once Redis is up");
        suite::mark_complete(&*denylist);
        assert!(denied(&*denylist, "a", None, now));

        server.stop();
        let now = real_now();
        assert_fails_fast("deny", &denylist, move |d| {
            d.deny(&[token("b", now.plus_seconds(60))], now)
        });
        assert_fails_fast("is_denied", &denylist, move |d| check(d, "a", None, now));
        assert_fails_fast("is_denied with a grant", &denylist, move |d| {
            check(d, "a", Some("g"), now)
        });
        assert_fails_fast("ping", &denylist, |d| d.ping());
        assert_fails_fast("is_complete", &denylist, |d| d.is_complete());
        assert_fails_fast("begin_rebuild", &denylist, |d| d.begin_rebuild("r"));
        assert_fails_fast("finish_rebuild", &denylist, |d| d.finish_rebuild("r"));

        // Same adapter, no reconnect call: the first calls after the restart succeed.
        server.restart();
        denylist.ping().expect("ping after restart");
        assert_eq!(
            denylist.is_complete(),
            Ok(false),
            "the restart lost the marker: rebuild"
        );
        assert!(!denied(&*denylist, "a", None, now), "and the data");
        let now = real_now();
        denylist
            .deny(&[token("c", now.plus_seconds(60))], now)
            .expect("deny after restart");
        assert!(denied(&*denylist, "c", None, now));
    }

    /// While Redis refuses connections, a call fails at once instead of waiting out its
    /// timeout for the pool, and once Redis is back the first call succeeds without waiting
    /// for the pool's reconnect back-off (issue 13: revocations made while Redis was down
    /// reach it within a second of its return).
    #[test]
    fn a_refused_redis_fails_at_once_and_a_returned_one_answers_at_once() {
        let server = TestRedis::spawn();
        let denylist = RedisDenylist::connect(settings(
            &server,
            unique_prefix("refused"),
            Duration::from_secs(2),
        ))
        .expect("connect");
        let now = real_now();
        denylist
            .deny(&[token("a", now.plus_seconds(60))], now)
            .expect("deny");
        server.stop();
        for _ in 0..5 {
            let started = Instant::now();
            assert!(denylist.ping().is_err());
            assert!(
                started.elapsed() < Duration::from_millis(500),
                "refused at once, not after the 2 s timeout: {:?}",
                started.elapsed()
            );
        }
        server.restart();
        let started = Instant::now();
        denylist
            .deny(&[token("b", now.plus_seconds(60))], now)
            .expect("deny once Redis is back");
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "no reconnect back-off: {:?}",
            started.elapsed()
        );
        assert!(denied(&denylist, "b", None, now));
    }

    #[test]
    fn fails_within_the_timeout_while_redis_hangs() {
        // A frozen server accepts connections and never answers: without read timeouts
        // every call would hang. Its own server, as it is frozen.
        let server = TestRedis::spawn();
        let settings = settings(&server, unique_prefix("hang"), Duration::from_secs(1));
        let denylist = Arc::new(RedisDenylist::connect(settings).expect("connect"));
        let now = real_now();
        denylist
            .deny(&[token("a", now.plus_seconds(60))], now)
            .expect("deny");

        server.freeze();
        assert_fails_fast("deny", &denylist, move |d| {
            d.deny(&[token("b", now.plus_seconds(60))], now)
        });
        assert_fails_fast("is_denied", &denylist, move |d| check(d, "a", None, now));
        assert_fails_fast("ping", &denylist, |d| d.ping());
        assert_fails_fast("is_complete", &denylist, |d| d.is_complete());
        server.thaw();

        assert!(
            denied(&*denylist, "a", None, now),
            "answers again, data intact"
        );
        denylist.ping().expect("ping");
    }

    #[test]
    fn stale_pooled_connections_are_replaced_transparently() {
        let server = TestRedis::spawn();
        let settings = RedisSettings {
            pool_size: 8,
            ..settings(&server, unique_prefix("stale"), Duration::from_secs(1))
        };
        let denylist = Arc::new(RedisDenylist::connect(settings).expect("connect"));
        // Open several connections at once, so that several sit idle in the pool.
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let denylist = denylist.clone();
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        denylist.ping().expect("ping");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread");
        }
        server.restart();
        for _ in 0..20 {
            let now = real_now();
            assert_eq!(check(&*denylist, "x", None, now), Ok(false));
        }
    }
}
