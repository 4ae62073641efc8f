//! The store contract: what every backend of the store ports must do, run against a real
//! database. SQLite here; the same functions take any `DieselStore`.

use std::sync::{Arc, Barrier};
use std::thread;

use ciam_domain::ports::{ClientStore, GrantStore, KeyStore, RevocationStore, UserStore};
use ciam_domain::*;
use ciam_store::{DatabaseUrl, DieselStore, PoolSettings};

struct TempStore {
    store: DieselStore,
    _dir: tempfile::TempDir,
}

fn sqlite() -> TempStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("contract.db");
    let url = DatabaseUrl::parse(path.to_str().expect("utf-8 path")).expect("url");
    let store = DieselStore::connect(&url, &PoolSettings::default()).expect("connect");
    TempStore { store, _dir: dir }
}

const NOW: UnixTime = UnixTime(1_700_000_000);

fn client(id: &str) -> Client {
    Client {
        id: ClientId::new(id),
        name: format!("client {id}"),
        secret_hash: Some(Secret::new("secret").hash()),
        grant_types: vec![GrantType::Password, GrantType::RefreshToken],
        scope: Scope::parse("read write").expect("scope"),
        created_at: NOW,
    }
}

fn grant(id: &str, client_id: &str) -> Grant {
    Grant {
        id: GrantId::new(id),
        client_id: ClientId::new(client_id),
        subject: "user-1".into(),
        scope: Scope::parse("read").expect("scope"),
        created_at: NOW,
        access_expires_at: NOW.plus_seconds(300),
        revoked_at: None,
    }
}

fn refresh(token: &str, grant_id: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        hash: Secret::new(token).hash(),
        grant_id: GrantId::new(grant_id),
        issued_at: NOW,
        expires_at: NOW.plus_seconds(3600),
        rotated_at: None,
    }
}

#[test]
fn clients_round_trip_and_duplicates_are_refused() {
    let t = sqlite();
    let c = client("c1");
    t.store.insert_client(&c).expect("insert");
    assert_eq!(t.store.find_client(&c.id).expect("find"), Some(c.clone()));
    assert!(matches!(t.store.insert_client(&c), Err(StoreError::Duplicate(_))));
    assert_eq!(t.store.find_client(&ClientId::new("nope")).expect("find"), None);
    assert_eq!(t.store.list_clients().expect("list"), vec![c]);
}

#[test]
fn users_round_trip_and_usernames_are_unique() {
    let t = sqlite();
    let user = User {
        id: UserId::new("u1"),
        username: "alice".into(),
        password_hash: "$argon2id$...".into(),
        created_at: NOW,
    };
    t.store.insert_user(&user).expect("insert");
    let found = t.store.find_user_by_username("alice").expect("find").expect("exists");
    assert_eq!(found.id, user.id);
    let twin = User { id: UserId::new("u2"), ..user };
    assert!(matches!(t.store.insert_user(&twin), Err(StoreError::Duplicate(_))));
}

#[test]
fn grant_and_refresh_token_are_found_by_hash_only() {
    let t = sqlite();
    t.store.create_grant(&grant("g1", "c1"), &refresh("rt-1", "g1")).expect("create");
    let (record, found) = t.store.find_refresh_token(&Secret::new("rt-1").hash()).expect("find").expect("exists");
    assert_eq!(record, refresh("rt-1", "g1"));
    assert_eq!(found, grant("g1", "c1"));
    assert_eq!(t.store.find_refresh_token(&Secret::new("rt-2").hash()).expect("find"), None);
}

#[test]
fn rotation_is_a_compare_and_set_with_exactly_one_winner() {
    let t = sqlite();
    t.store.create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1")).expect("create");
    let racers = 8;
    let barrier = Arc::new(Barrier::new(racers));
    let outcomes: Vec<RotateOutcome> = (0..racers)
        .map(|i| {
            let store = t.store.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                store
                    .rotate_refresh_token(
                        &Secret::new("rt-0").hash(),
                        &refresh(&format!("rt-next-{i}"), "g1"),
                        NOW.plus_seconds(1),
                        NOW.plus_seconds(301),
                    )
                    .expect("no store error under contention")
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert_eq!(outcomes.iter().filter(|o| **o == RotateOutcome::Rotated).count(), 1, "{outcomes:?}");
    let (old, g) = t.store.find_refresh_token(&Secret::new("rt-0").hash()).expect("find").expect("exists");
    assert_eq!(old.rotated_at, Some(NOW.plus_seconds(1)));
    assert_eq!(g.access_expires_at, NOW.plus_seconds(301));
    let losers_written = (0..racers)
        .filter(|i| {
            t.store
                .find_refresh_token(&Secret::new(format!("rt-next-{i}")).hash())
                .expect("find")
                .is_some()
        })
        .count();
    assert_eq!(losers_written, 1, "losers write nothing");
}

#[test]
fn a_revoked_grant_cannot_rotate() {
    let t = sqlite();
    t.store.create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1")).expect("create");
    t.store.revoke_grant(&GrantId::new("g1"), NOW).expect("revoke");
    let outcome = t
        .store
        .rotate_refresh_token(&Secret::new("rt-0").hash(), &refresh("rt-1", "g1"), NOW, NOW)
        .expect("rotate");
    assert_eq!(outcome, RotateOutcome::Lost);
}

#[test]
fn grant_revocation_is_idempotent_and_keeps_the_first_time() {
    let t = sqlite();
    t.store.create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1")).expect("create");
    let first = t.store.revoke_grant(&GrantId::new("g1"), NOW).expect("revoke").expect("exists");
    let second = t.store.revoke_grant(&GrantId::new("g1"), NOW.plus_seconds(5)).expect("revoke").expect("exists");
    assert_eq!(first.revoked_at, Some(NOW));
    assert_eq!(second.revoked_at, Some(NOW));
    assert_eq!(t.store.revoke_grant(&GrantId::new("nope"), NOW).expect("revoke"), None);
}

#[test]
fn live_revocations_hold_exactly_the_unexpired_ones() {
    let t = sqlite();
    let (jti, c) = (Jti::new("j1"), ClientId::new("c1"));
    t.store.revoke_access_token(&jti, &c, NOW.plus_seconds(60), NOW).expect("revoke");
    t.store.revoke_access_token(&jti, &c, NOW.plus_seconds(60), NOW).expect("idempotent");
    t.store.revoke_access_token(&Jti::new("old"), &c, NOW, NOW).expect("revoke");
    t.store.create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1")).expect("create");
    t.store.revoke_grant(&GrantId::new("g1"), NOW).expect("revoke");
    t.store.create_grant(&grant("g2", "c1"), &refresh("rt-x", "g2")).expect("create");

    let mut live = t.store.live_revocations(NOW).expect("live");
    live.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        live,
        vec![
            Revocation::AccessToken { jti: jti.clone(), until: NOW.plus_seconds(60) },
            Revocation::Grant { grant_id: GrantId::new("g1"), until: NOW.plus_seconds(300) },
        ]
    );
    assert!(t.store.is_revoked(&jti, None).expect("check"));
    assert!(t.store.is_revoked(&Jti::new("other"), Some(&GrantId::new("g1"))).expect("check"));
    assert!(!t.store.is_revoked(&Jti::new("other"), Some(&GrantId::new("g2"))).expect("check"));
    assert!(t.store.live_revocations(NOW.plus_seconds(300)).expect("live").is_empty());
}

#[test]
fn deleting_a_client_revokes_its_grants_and_drops_their_refresh_tokens() {
    let t = sqlite();
    t.store.insert_client(&client("c1")).expect("insert");
    t.store.create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1")).expect("create");
    let revoked = t.store.delete_client(&ClientId::new("c1"), NOW).expect("delete");
    assert_eq!(
        revoked,
        Some(vec![Revocation::Grant { grant_id: GrantId::new("g1"), until: NOW.plus_seconds(300) }])
    );
    assert_eq!(t.store.find_client(&ClientId::new("c1")).expect("find"), None);
    assert_eq!(t.store.find_refresh_token(&Secret::new("rt-0").hash()).expect("find"), None);
    assert!(t.store.is_revoked(&Jti::new("any"), Some(&GrantId::new("g1"))).expect("check"));
    assert_eq!(t.store.delete_client(&ClientId::new("c1"), NOW).expect("delete"), None);
}

#[test]
fn adding_a_key_retires_the_others() {
    use ciam_domain::ports::AccessTokenCodec;
    let t = sqlite();
    let codec = ciam_crypto::JwtCodec;
    let first = codec.generate_key(Kid::new("k1"), NOW).expect("key");
    let second = codec.generate_key(Kid::new("k2"), NOW.plus_seconds(10)).expect("key");
    t.store.add_key_retiring_others(&first, NOW).expect("add");
    t.store.add_key_retiring_others(&second, NOW.plus_seconds(10)).expect("add");
    let keys = t.store.list_keys().expect("list");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], second, "newest first, private key intact");
    assert_eq!(keys[1].retired_at, Some(NOW.plus_seconds(10)));
}

#[test]
fn an_unreachable_database_is_unavailable_not_empty() {
    let t = sqlite();
    let dir = t._dir.path().to_path_buf();
    drop(t.store);
    std::fs::remove_dir_all(&dir).expect("remove");
    let url = DatabaseUrl::parse(dir.join("gone/x.db").to_str().expect("utf-8")).expect("url");
    let settings = PoolSettings { max_size: 1, connection_timeout: std::time::Duration::from_millis(200) };
    assert!(DieselStore::connect(&url, &settings).is_err());
}

#[test]
fn migrations_are_idempotent() {
    let t = sqlite();
    assert_eq!(t.store.migrate().expect("migrate"), 0);
}
