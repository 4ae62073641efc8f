//! The contract of the user lifecycle (`UserStore`): the disabled flag, profile changes,
//! deletion, keyset paging with a username prefix, and that no grant of a disabled or
//! deleted subject is ever stored live.

use std::sync::Arc;

use ciam_domain::ports::Store;
use ciam_domain::*;

use super::{code, refresh, NOW};

fn user(id: &str, username: &str) -> User {
    User {
        id: UserId::new(id),
        username: username.into(),
        password_hash: "$argon2id$...".into(),
        created_at: NOW,
        profile: Profile::default(),
        disabled_at: None,
    }
}

/// The users a listing test starts from: none (the fixtures' users are removed).
fn without_fixture_users<T: Store>(store: &Arc<T>) {
    for id in ["user-1", "user-2"] {
        store
            .delete_user(&UserId::new(id), &ciam_domain::testing::test_audit())
            .expect("delete");
    }
}

fn page<T: Store>(
    store: &Arc<T>,
    after: Option<&str>,
    prefix: Option<&str>,
    limit: usize,
) -> Vec<String> {
    store
        .list_users(&UserQuery {
            after: after.map(UserId::new),
            username_prefix: prefix.map(str::to_owned),
            limit,
        })
        .expect("list")
        .into_iter()
        .map(|user| user.username)
        .collect()
}

pub(super) fn disabling_round_trips_and_keeps_the_first_time<T: Store>(store: &Arc<T>) {
    let alice = user("u-alice", "alice");
    store
        .insert_user(&alice, &ciam_domain::testing::test_audit())
        .expect("insert");
    let disabled = store
        .set_user_disabled(&alice.id, Some(NOW), &ciam_domain::testing::test_audit())
        .expect("disable")
        .expect("exists");
    assert_eq!(disabled.disabled_at, Some(NOW));
    assert!(disabled.is_disabled());
    let read = store.find_user_by_username("alice").expect("read");
    assert_eq!(read.map(|u| u.disabled_at), Some(Some(NOW)));
    // Disabling again keeps the first time.
    let again = store
        .set_user_disabled(
            &alice.id,
            Some(NOW.plus_seconds(60)),
            &ciam_domain::testing::test_audit(),
        )
        .expect("disable")
        .expect("exists");
    assert_eq!(again.disabled_at, Some(NOW));
    let enabled = store
        .set_user_disabled(&alice.id, None, &ciam_domain::testing::test_audit())
        .expect("enable")
        .expect("exists");
    assert_eq!(enabled, alice, "enabled: as before");
    assert_eq!(store.find_user_by_id(&alice.id).expect("read"), Some(alice));
    assert_eq!(
        store
            .set_user_disabled(
                &UserId::new("nobody"),
                Some(NOW),
                &ciam_domain::testing::test_audit()
            )
            .expect("disable"),
        None
    );
}

pub(super) fn profiles_are_replaced_and_deleting_frees_the_username<T: Store>(store: &Arc<T>) {
    let alice = user("u-alice", "alice");
    store
        .insert_user(&alice, &ciam_domain::testing::test_audit())
        .expect("insert");
    let profile = Profile {
        name: Some("Alice Doe".into()),
        email: Some("alice@example.com".into()),
        email_verified: true,
    };
    let updated = store
        .update_user_profile(&alice.id, &profile, &ciam_domain::testing::test_audit())
        .expect("update")
        .expect("exists");
    assert_eq!(updated.profile, profile);
    assert_eq!(
        store.find_user_by_id(&alice.id).expect("read"),
        Some(updated)
    );
    let cleared = store
        .update_user_profile(
            &alice.id,
            &Profile::default(),
            &ciam_domain::testing::test_audit(),
        )
        .expect("update")
        .expect("exists");
    assert_eq!(cleared.profile, Profile::default());
    assert_eq!(
        store
            .update_user_profile(
                &UserId::new("nobody"),
                &profile,
                &ciam_domain::testing::test_audit()
            )
            .expect("update"),
        None
    );

    assert!(store
        .delete_user(&alice.id, &ciam_domain::testing::test_audit())
        .expect("delete"));
    assert!(!store
        .delete_user(&alice.id, &ciam_domain::testing::test_audit())
        .expect("delete again"));
    assert_eq!(store.find_user_by_id(&alice.id).expect("read"), None);
    assert_eq!(store.find_user_by_username("alice").expect("read"), None);
    // The username is free again, for a new id.
    store
        .insert_user(
            &user("u-alice-2", "alice"),
            &ciam_domain::testing::test_audit(),
        )
        .expect("the username is free");
}

pub(super) fn users_are_listed_in_id_order_a_page_at_a_time<T: Store>(store: &Arc<T>) {
    without_fixture_users(store);
    assert!(page(store, None, None, 10).is_empty());
    // Inserted out of order; ids sort as u00 < u01 < … < u24.
    for i in (0..25).rev() {
        store
            .insert_user(
                &user(&format!("u{i:02}"), &format!("name-{i:02}")),
                &ciam_domain::testing::test_audit(),
            )
            .expect("insert");
    }
    let names = |range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| format!("name-{i:02}")).collect()
    };
    assert_eq!(page(store, None, None, 10), names(0..10));
    assert_eq!(page(store, Some("u09"), None, 10), names(10..20));
    assert_eq!(page(store, Some("u19"), None, 10), names(20..25));
    assert!(page(store, Some("u24"), None, 10).is_empty());
    // A cursor need not be an id that exists: the page starts after it.
    assert_eq!(page(store, Some("u045"), None, 2), names(5..7));
    assert_eq!(page(store, None, None, 1), names(0..1));
    assert_eq!(page(store, None, None, 100).len(), 25);
}

pub(super) fn a_username_prefix_finds_exactly_the_usernames_that_start_with_it<T: Store>(
    store: &Arc<T>,
) {
    without_fixture_users(store);
    let usernames = [
        "al",
        "alice",
        "Alice",
        "albert",
        "al%",
        "al_x",
        "alz\u{10FFFF}",
        "am",
        "ak",
        "a",
        "bob",
        "ålice",
        "al-ice",
        "al.ice",
        "al ice",
    ];
    for (i, name) in usernames.iter().enumerate() {
        store
            .insert_user(
                &user(&format!("u{i:02}"), name),
                &ciam_domain::testing::test_audit(),
            )
            .expect("insert");
    }
    let mut found = page(store, None, Some("al"), 100);
    found.sort();
    let mut expected: Vec<String> = usernames
        .iter()
        .filter(|name| name.starts_with("al"))
        .map(|name| name.to_string())
        .collect();
    expected.sort();
    assert_eq!(
        found, expected,
        "case-sensitive, LIKE wildcards are literal"
    );
    assert_eq!(page(store, None, Some("al%"), 100), ["al%"]);
    assert_eq!(page(store, None, Some("al_"), 100), ["al_x"]);
    assert_eq!(page(store, None, Some("å"), 100), ["ålice"]);
    assert_eq!(
        page(store, None, Some("alz\u{10FFFF}"), 100),
        ["alz\u{10FFFF}"]
    );
    assert!(page(store, None, Some("zz"), 100).is_empty());
    // Paging and the prefix together: ids u00 (al), u01 (alice), u03 (albert), …
    let first = page(store, None, Some("al"), 2);
    assert_eq!(first, ["al", "alice"]);
    assert_eq!(page(store, Some("u01"), Some("al"), 2), ["albert", "al%"]);
}

pub(super) fn a_grant_of_a_disabled_or_deleted_subject_is_stored_revoked<T: Store>(store: &Arc<T>) {
    let grant_of = |id: &str, subject: &str| Grant {
        id: GrantId::new(id),
        client_id: ClientId::new("c1"),
        subject: subject.into(),
        scope: Scope::parse("read").expect("scope"),
        created_at: NOW,
        access_expires_at: NOW.plus_seconds(300),
        revoked_at: None,
        session_id: None,
    };
    let stored = |id: &str| {
        store
            .find_refresh_token(&Secret::new(format!("rt-{id}")).hash())
            .expect("read")
            .expect("kept")
            .1
            .revoked_at
    };
    let create = |id: &str, subject: &str| {
        let live = store
            .create_grant(&grant_of(id, subject), &refresh(&format!("rt-{id}"), id))
            .expect("created");
        let revoked_at = stored(id);
        assert_eq!(
            live,
            revoked_at.is_none(),
            "the answer says how it was stored"
        );
        revoked_at
    };
    store
        .insert_user(&user("u-live", "live"), &ciam_domain::testing::test_audit())
        .expect("insert");
    assert_eq!(
        create("live", "u-live"),
        None,
        "an enabled user's grant lives"
    );

    store
        .insert_user(&user("u-off", "off"), &ciam_domain::testing::test_audit())
        .expect("insert");
    store
        .set_user_disabled(
            &UserId::new("u-off"),
            Some(NOW),
            &ciam_domain::testing::test_audit(),
        )
        .expect("disable");
    assert_eq!(create("disabled", "u-off"), Some(NOW));
    assert_eq!(create("never", "no-such-user"), Some(NOW));

    store
        .insert_user(&user("u-gone", "gone"), &ciam_domain::testing::test_audit())
        .expect("insert");
    store
        .delete_user(&UserId::new("u-gone"), &ciam_domain::testing::test_audit())
        .expect("delete");
    assert_eq!(create("deleted", "u-gone"), Some(NOW));

    // Redeeming a code creates a grant too.
    store.insert_code(&code("late")).expect("code");
    let from_code = Grant {
        session_id: None,
        ..grant_of("from-code", "u-off")
    };
    store
        .redeem_code(&Secret::new("late").hash(), NOW, &from_code, None)
        .expect("redeemed");
    let revoked = store
        .revoke_grant(
            &GrantId::new("from-code"),
            NOW.plus_seconds(5),
            &ciam_domain::testing::test_audit(),
        )
        .expect("read")
        .expect("kept");
    assert_eq!(revoked.revoked_at, Some(NOW), "stored revoked at creation");

    // Enabled again: new grants live; the old ones stay revoked.
    store
        .set_user_disabled(
            &UserId::new("u-off"),
            None,
            &ciam_domain::testing::test_audit(),
        )
        .expect("enable");
    assert_eq!(create("enabled-again", "u-off"), None);
    assert_eq!(stored("disabled"), Some(NOW));
}
