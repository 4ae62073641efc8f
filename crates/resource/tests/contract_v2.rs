//! Contract v2 in the Redis and synced modes, against a real redis-server: cut-off keys and
//! events written by hand (`DenylistKeys::v2`, `RevocationEvent::v2_cutoff`) exactly as
//! docs/redis-denylist.md says ciam writes them, and tokens signed by local keys.

use std::time::Duration;

use ciam_resource::{
    Algorithm, ContractVersion, DenylistConfig, DenylistKeys, EventKind, RedisConfig, Rejection,
    RevocationEvent, SyncedConfig, Verifier, VerifierConfig,
};
use serde_json::{json, Value};

use crate::support::assert_eventually;
use crate::support::keys::{self, claims, mint, AUDIENCE, ISSUER};

/// How long an event may take to reach a synced copy on loopback.
const PROPAGATION: Duration = Duration::from_secs(3);

/// A v2 denylist under a prefix of its own on the shared test Redis, written as ciam does.
struct Denylist {
    url: String,
    keys: DenylistKeys,
    conn: redis::Connection,
}

impl Denylist {
    fn new(name: &str) -> Denylist {
        let redis = ciam_testkit::redis::shared();
        let keys = DenylistKeys::v2(ciam_testkit::redis::unique_prefix(name));
        let conn = redis::Client::open(redis.url.as_str())
            .and_then(|client| client.get_connection_with_timeout(Duration::from_secs(5)))
            .expect("redis connection");
        Denylist {
            url: redis.url.clone(),
            keys,
            conn,
        }
    }

    fn complete(&mut self) -> &mut Self {
        redis::cmd("SET")
            .arg(self.keys.complete())
            .arg(1)
            .query::<()>(&mut self.conn)
            .expect("marker");
        self
    }

    /// `SET {key} {value} EXAT {until}`, then the event on the channel.
    fn write(&mut self, event: &RevocationEvent) -> &mut Self {
        redis::pipe()
            .cmd("SET")
            .arg(self.keys.entry(event.kind, &event.id))
            .arg(event.value())
            .arg("EXAT")
            .arg(event.until)
            .ignore()
            .cmd("PUBLISH")
            .arg(self.keys.channel())
            .arg(serde_json::to_string(event).expect("event JSON"))
            .ignore()
            .query::<()>(&mut self.conn)
            .expect("written");
        self
    }

    fn cutoff(&mut self, kind: EventKind, id: &str, cutoff: i64) -> &mut Self {
        self.write(&RevocationEvent::v2_cutoff(kind, id, cutoff, cutoff + 600))
    }

    fn verifier(&self, denylist: DenylistConfig) -> Verifier {
        let verifier = Verifier::with_jwks(
            VerifierConfig::new(ISSUER, AUDIENCE, denylist),
            &keys::jwks(),
        )
        .expect("verifier");
        verifier.wait_ready(Duration::from_secs(10)).expect("ready");
        verifier
    }

    fn redis_mode(&self) -> Verifier {
        self.verifier(DenylistConfig::Redis(RedisConfig {
            prefix: self.keys.prefix().to_owned(),
            ..RedisConfig::new(&self.url)
        }))
    }

    fn synced_mode(&self) -> Verifier {
        self.verifier(DenylistConfig::Synced(SyncedConfig {
            prefix: self.keys.prefix().to_owned(),
            ..SyncedConfig::new(&self.url)
        }))
    }
}

/// A token of `sub` and `client_id` issued at `iat`, valid for five minutes more.
fn token(sub: &str, client_id: &str, iat: i64) -> String {
    let mut claims: Value = claims(None);
    claims["sub"] = json!(sub);
    claims["client_id"] = json!(client_id);
    claims["iat"] = json!(iat);
    mint(Algorithm::EdDSA, &claims)
}

fn verdict(verifier: &Verifier, token: &str) -> Result<(), Rejection> {
    verifier.verify(token).map(|_| ())
}

/// Tokens issued at `t - 1` and `t` are refused, at `t + 1` accepted: for the subject
/// `alice` (of any client) and for the client `batch` (of any subject); a token of neither
/// is accepted whenever it was issued.
fn assert_cutoffs_at(verifier: &Verifier, t: i64, what: &str) {
    for (sub, client) in [("alice", "web"), ("bob", "batch")] {
        for (iat, expected) in [
            (t - 1, Err(Rejection::Revoked)),
            (t, Err(Rejection::Revoked)),
            (t + 1, Ok(())),
        ] {
            assert_eventually(
                verifier,
                &token(sub, client, iat),
                expected,
                PROPAGATION,
                &format!("{what}: {sub} of {client} issued at T{:+}", iat - t),
            );
        }
    }
    assert_eq!(
        verdict(verifier, &token("bob", "web", t - 30)),
        Ok(()),
        "{what}"
    );
}

#[test]
fn redis_mode_refuses_tokens_issued_up_to_a_subject_or_client_cutoff() {
    let t = keys::now() - 60;
    let mut denylist = Denylist::new("v2-redis");
    denylist
        .complete()
        .cutoff(EventKind::Sub, "alice", t)
        .cutoff(EventKind::Cid, "batch", t);
    assert_cutoffs_at(&denylist.redis_mode(), t, "redis mode");
}

#[test]
fn redis_mode_reads_v2_jti_and_grant_keys_and_fails_closed_on_garbage() {
    let now = keys::now();
    let mut denylist = Denylist::new("v2-redis-jti");
    let verifier = denylist.redis_mode();
    let by_jti = claims(None);
    let by_grant = claims(Some("grant-v2"));
    let bystander = claims(Some("grant-other"));
    let [by_jti_token, by_grant_token, bystander_token] =
        [&by_jti, &by_grant, &bystander].map(|claims| mint(Algorithm::EdDSA, claims));
    assert_eq!(
        verdict(&verifier, &by_jti_token),
        Err(Rejection::DenylistUnavailable),
        "no v2 marker"
    );
    denylist.complete();
    assert_eq!(verdict(&verifier, &by_jti_token), Ok(()));
    let jti = by_jti["jti"].as_str().expect("jti");
    denylist
        .write(&RevocationEvent::v2(EventKind::Jti, jti, now + 300))
        .write(&RevocationEvent::v2(EventKind::Gid, "grant-v2", now + 300));
    assert_eq!(verdict(&verifier, &by_jti_token), Err(Rejection::Revoked));
    assert_eq!(verdict(&verifier, &by_grant_token), Err(Rejection::Revoked));
    assert_eq!(verdict(&verifier, &bystander_token), Ok(()));

    // A value that is not a number revokes what its key names, jti or cut-off alike.
    let garbage_jti = claims(None);
    let garbage_client = token("carol", "garbage-client", now);
    for key in [
        denylist.keys.jti(garbage_jti["jti"].as_str().expect("jti")),
        denylist.keys.entry(EventKind::Cid, "garbage-client"),
    ] {
        redis::cmd("SET")
            .arg(key)
            .arg("not a number")
            .arg("EX")
            .arg(600)
            .query::<()>(&mut denylist.conn)
            .expect("garbage written");
    }
    for token in [mint(Algorithm::EdDSA, &garbage_jti), garbage_client] {
        assert_eq!(verdict(&verifier, &token), Err(Rejection::Revoked));
    }
    assert_eq!(verdict(&verifier, &bystander_token), Ok(()));
}

#[test]
fn synced_mode_applies_cutoff_events() {
    let t = keys::now() - 60;
    let mut denylist = Denylist::new("v2-synced-events");
    denylist.complete();
    let verifier = denylist.synced_mode();
    for (sub, client) in [("alice", "web"), ("bob", "batch")] {
        assert_eq!(verdict(&verifier, &token(sub, client, t - 1)), Ok(()));
    }
    denylist
        .cutoff(EventKind::Sub, "alice", t)
        .cutoff(EventKind::Cid, "batch", t);
    assert_cutoffs_at(&verifier, t, "synced mode, events");
}

#[test]
fn synced_mode_loads_cutoffs_with_their_expiry() {
    let t = keys::now() - 60;
    let until = t + 600;
    let mut denylist = Denylist::new("v2-synced-load");
    denylist
        .complete()
        .cutoff(EventKind::Sub, "alice", t)
        .cutoff(EventKind::Cid, "batch", t);
    let verifier = denylist.synced_mode();
    assert_cutoffs_at(&verifier, t, "synced mode, initial load");

    // Their `until` is the keys' expiry (EXAT t + 600), read with PTTL and rounded up.
    let set = verifier.revocations().expect("synced mode has a set");
    assert_eq!(set.cutoffs(), 2);
    assert_eq!(set.remove_expired(until - 1), 0);
    assert_eq!(set.remove_expired(until + 1), 2);
}

#[test]
fn a_v1_reader_sees_no_cutoffs() {
    let t = keys::now() - 60;
    let mut denylist = Denylist::new("v1-reader");
    denylist.complete().cutoff(EventKind::Sub, "alice", t);
    let v1 = DenylistKeys::versioned(denylist.keys.prefix(), ContractVersion::V1);
    redis::cmd("SET")
        .arg(v1.complete())
        .arg(1)
        .query::<()>(&mut denylist.conn)
        .expect("v1 marker");
    let verifier = denylist.verifier(DenylistConfig::Redis(RedisConfig {
        prefix: denylist.keys.prefix().to_owned(),
        contract: ContractVersion::V1,
        ..RedisConfig::new(&denylist.url)
    }));
    assert_eq!(verdict(&verifier, &token("alice", "web", t - 1)), Ok(()));
    assert_eq!(
        verdict(&denylist.redis_mode(), &token("alice", "web", t - 1)),
        Err(Rejection::Revoked)
    );
}
