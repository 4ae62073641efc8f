//! The contract of `PasswordStore` and profile updates: the history kept with each new
//! password, and reset codes redeemed by exactly one of concurrent requests.

use std::sync::{Arc, Barrier};
use std::thread;

use ciam_domain::ports::Store;
use ciam_domain::*;

use super::NOW;

fn user<T: Store>(store: &Arc<T>, id: &str, hash: &str) -> UserId {
    let user = User {
        id: UserId::new(id),
        username: format!("name-{id}"),
        password_hash: hash.into(),
        created_at: NOW,
        profile: Profile::default(),
        disabled_at: None,
    };
    store
        .insert_user(&user, &ciam_domain::testing::test_audit())
        .expect("insert user");
    user.id
}

fn hash_of<T: Store>(store: &Arc<T>, id: &UserId) -> String {
    store
        .find_user_by_id(id)
        .expect("find")
        .expect("exists")
        .password_hash
}

fn reset(code: &str, user: &UserId, expires_at: UnixTime) -> PasswordReset {
    PasswordReset {
        code_hash: Secret::new(code).hash(),
        user_id: user.clone(),
        created_at: NOW,
        expires_at,
        used_at: None,
    }
}

pub(super) fn a_new_password_moves_the_old_one_into_a_trimmed_history<T: Store>(store: &Arc<T>) {
    let alice = user(store, "u-alice", "h0");
    let bob = user(store, "u-bob", "b0");
    assert_eq!(
        store.password_history(&alice, 10).expect("read"),
        Vec::<String>::new()
    );
    for (n, hash) in ["h1", "h2", "h3", "h4"].iter().enumerate() {
        let at = NOW.plus_seconds(n as i64);
        assert!(store
            .set_password(&alice, hash, at, 3, &ciam_domain::testing::test_audit())
            .expect("set"));
        assert_eq!(&hash_of(store, &alice), hash);
    }
    assert_eq!(
        store.password_history(&alice, 10).expect("read"),
        ["h3", "h2", "h1"],
        "most recently replaced first, only the last 3 kept"
    );
    assert_eq!(
        store.password_history(&alice, 2).expect("read"),
        ["h3", "h2"]
    );
    assert!(
        store.password_history(&bob, 10).expect("read").is_empty(),
        "per user"
    );
    assert_eq!(hash_of(store, &bob), "b0");

    assert!(store
        .set_password(
            &alice,
            "h5",
            NOW.plus_seconds(9),
            0,
            &ciam_domain::testing::test_audit()
        )
        .expect("set"));
    assert!(
        store.password_history(&alice, 10).expect("read").is_empty(),
        "keep 0: no history"
    );
    assert!(
        !store
            .set_password(
                &UserId::new("nobody"),
                "x",
                NOW,
                3,
                &ciam_domain::testing::test_audit()
            )
            .expect("set"),
        "no such user"
    );
}

pub(super) fn profiles_are_updated_whole<T: Store>(store: &Arc<T>) {
    let alice = user(store, "u-profile", "h0");
    let profile = Profile {
        name: Some("Alice Ünïcode".into()),
        email: Some("alice@example.com".into()),
        email_verified: true,
    };
    assert!(store
        .update_user_profile(&alice, &profile, &ciam_domain::testing::test_audit())
        .expect("update")
        .is_some());
    let found = store
        .find_user_by_id(&alice)
        .expect("find")
        .expect("exists");
    assert_eq!(found.profile, profile);
    assert_eq!(found.password_hash, "h0", "nothing else changes");
    assert!(store
        .update_user_profile(
            &alice,
            &Profile::default(),
            &ciam_domain::testing::test_audit()
        )
        .expect("update")
        .is_some());
    assert_eq!(
        store
            .find_user_by_id(&alice)
            .expect("find")
            .expect("exists")
            .profile,
        Profile::default()
    );
    assert!(store
        .update_user_profile(
            &UserId::new("nobody"),
            &profile,
            &ciam_domain::testing::test_audit()
        )
        .expect("update")
        .is_none());
}

pub(super) fn a_reset_code_is_redeemed_once_before_it_expires<T: Store>(store: &Arc<T>) {
    let alice = user(store, "u-reset", "h0");
    let live = reset("live code", &alice, NOW.plus_seconds(900));
    store
        .insert_password_reset(&live, &ciam_domain::testing::test_audit())
        .expect("insert");
    assert!(matches!(
        store.insert_password_reset(&live, &ciam_domain::testing::test_audit()),
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        store.find_password_reset(&live.code_hash).expect("find"),
        Some(live.clone())
    );
    let expired = reset("expired code", &alice, NOW);
    store
        .insert_password_reset(&expired, &ciam_domain::testing::test_audit())
        .expect("insert");
    assert_eq!(
        store
            .redeem_password_reset(
                &expired.code_hash,
                NOW,
                "h-expired",
                5,
                &ciam_domain::testing::test_audit()
            )
            .expect("redeem"),
        None,
        "expires_at <= now"
    );
    assert_eq!(
        store
            .redeem_password_reset(
                &Secret::new("unknown").hash(),
                NOW,
                "h-x",
                5,
                &ciam_domain::testing::test_audit()
            )
            .expect("redeem"),
        None
    );
    assert_eq!(hash_of(store, &alice), "h0", "nothing written");

    assert_eq!(
        store
            .redeem_password_reset(
                &live.code_hash,
                NOW,
                "h1",
                5,
                &ciam_domain::testing::test_audit()
            )
            .expect("redeem"),
        Some(alice.clone())
    );
    assert_eq!(hash_of(store, &alice), "h1");
    assert_eq!(store.password_history(&alice, 5).expect("read"), ["h0"]);
    assert_eq!(
        store
            .find_password_reset(&live.code_hash)
            .expect("find")
            .and_then(|r| r.used_at),
        Some(NOW)
    );
    assert_eq!(
        store
            .redeem_password_reset(
                &live.code_hash,
                NOW,
                "h2",
                5,
                &ciam_domain::testing::test_audit()
            )
            .expect("redeem"),
        None,
        "used"
    );
    assert_eq!(hash_of(store, &alice), "h1");

    // Pruning: the expired reset goes, the used but unexpired one stays until it expires.
    store.prune_expired(NOW, 100).expect("prune");
    assert_eq!(
        store.find_password_reset(&expired.code_hash).expect("find"),
        None
    );
    assert!(store
        .find_password_reset(&live.code_hash)
        .expect("find")
        .is_some());
    store
        .prune_expired(NOW.plus_seconds(900), 100)
        .expect("prune");
    assert_eq!(
        store.find_password_reset(&live.code_hash).expect("find"),
        None
    );
}

pub(super) fn concurrent_redemptions_of_one_reset_code_have_one_winner<T: Store>(store: &Arc<T>) {
    let alice = user(store, "u-race", "h0");
    let live = reset("race code", &alice, NOW.plus_seconds(900));
    store
        .insert_password_reset(&live, &ciam_domain::testing::test_audit())
        .expect("insert");
    let barrier = Barrier::new(8);
    let outcomes: Vec<Option<UserId>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (store, barrier, hash) = (store, &barrier, live.code_hash.clone());
                scope.spawn(move || {
                    barrier.wait();
                    let new = format!("h-{i}");
                    let outcome = store
                        .redeem_password_reset(
                            &hash,
                            NOW,
                            &new,
                            5,
                            &ciam_domain::testing::test_audit(),
                        )
                        .expect("redeem");
                    outcome.map(|id| (id, new))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .map(|outcome| {
        outcome.map(|(id, new)| {
            assert_eq!(
                hash_of(store, &id),
                new,
                "the winner's password is the one stored"
            );
            id
        })
    })
    .collect();
    let winners = outcomes.iter().filter(|o| o.is_some()).count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert_eq!(
        store.password_history(&alice, 10).expect("read"),
        ["h0"],
        "one change, one history row"
    );
}
