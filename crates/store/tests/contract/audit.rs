//! The contract of the audit trail (`AuditLog`, and the audit rule of every method taking an
//! `AuditEvent`): entries round-trip whole, list in order under every filter, commit exactly
//! with their change, are never updated, and are pruned by age in batches.

use std::net::IpAddr;
use std::sync::Arc;

use ciam_domain::ports::Store;
use ciam_domain::*;

use super::{grant, refresh, NOW};

fn all<T: Store>(store: &Arc<T>) -> Vec<AuditRecord> {
    store
        .list_audit(&AuditQuery {
            limit: 10_000,
            ..AuditQuery::default()
        })
        .expect("listed")
}

/// The entries after the fixtures' (which the suite writes before each test).
fn trail_since<T: Store>(store: &Arc<T>, start: usize) -> Vec<AuditRecord> {
    all(store).split_off(start)
}

fn event(at: i64, actor: Actor, action: AuditAction) -> AuditEvent {
    AuditEvent::new(UnixTime(at), actor, action)
}

fn address(text: &str) -> Option<IpAddr> {
    Some(text.parse().expect("address"))
}

pub(crate) fn audit_entries_round_trip_and_list_in_order_under_every_filter<T: Store>(
    store: &Arc<T>,
) {
    let start = all(store).len();
    let alice = UserId::new("user-1");
    let app = ClientId::new("app");
    let admin = ClientId::new("admin");
    let events = [
        event(100, Actor::Anonymous, AuditAction::SignInFailed)
            .user(&alice)
            .from_address(address("192.0.2.1"))
            .failed("wrong_credentials"),
        event(
            101,
            Actor::User(alice.clone()),
            AuditAction::SignInSucceeded,
        )
        .user(&alice)
        .client(&app)
        .from_address(address("2001:db8::7")),
        event(
            102,
            Actor::Client(app.clone()),
            AuditAction::RevokeAccessToken,
        )
        .user(&alice)
        .client(&app)
        .target("jti-1"),
        event(
            103,
            Actor::AdminClient(admin.clone()),
            AuditAction::UserDisabled,
        )
        .user(&alice),
        event(104, Actor::Cli, AuditAction::KeyRotated).target("kid-1 EdDSA"),
        event(105, Actor::System, AuditAction::RevokeGrant)
            .client(&ClientId::new("other"))
            .target("g-9"),
        event(
            106,
            Actor::User(alice.clone()),
            AuditAction::PasswordChanged,
        ),
    ];
    for event in &events {
        store.append_audit(event).expect("appended");
    }
    let trail = trail_since(store, start);
    let read: Vec<AuditEvent> = trail.iter().map(|record| record.event.clone()).collect();
    assert_eq!(read, events, "every field round-trips, in order");
    assert!(trail.windows(2).all(|pair| pair[0].seq < pair[1].seq));

    let first = trail[0].seq;
    let list = |query: AuditQuery| -> Vec<i64> {
        store
            .list_audit(&AuditQuery {
                limit: query.limit.max(1),
                after: query.after.or(Some(first - 1)),
                ..query
            })
            .expect("listed")
            .iter()
            .map(|record| record.seq - first)
            .collect()
    };
    let everything = || AuditQuery {
        limit: 100,
        ..AuditQuery::default()
    };
    // About alice (user_id), or by her (actor).
    assert_eq!(
        list(AuditQuery {
            user: Some(alice.clone()),
            ..everything()
        }),
        [0, 1, 2, 3, 6]
    );
    // About the client, or by it as a client or as an admin client.
    assert_eq!(
        list(AuditQuery {
            client: Some(app.clone()),
            ..everything()
        }),
        [1, 2]
    );
    assert_eq!(
        list(AuditQuery {
            client: Some(admin),
            ..everything()
        }),
        [3]
    );
    assert_eq!(
        list(AuditQuery {
            actions: vec![AuditAction::RevokeAccessToken, AuditAction::RevokeGrant],
            ..everything()
        }),
        [2, 5]
    );
    assert_eq!(
        list(AuditQuery {
            since: Some(UnixTime(102)),
            until: Some(UnixTime(105)),
            ..everything()
        }),
        [2, 3, 4]
    );
    assert_eq!(
        list(AuditQuery {
            after: Some(first + 4),
            ..everything()
        }),
        [5, 6]
    );
    assert_eq!(
        list(AuditQuery {
            limit: 2,
            ..everything()
        }),
        [0, 1]
    );
    assert_eq!(
        list(AuditQuery {
            user: Some(alice),
            actions: vec![AuditAction::SignInFailed],
            ..everything()
        }),
        [0],
        "filters combine"
    );
}

pub(crate) fn a_change_and_its_entry_commit_together<T: Store>(store: &Arc<T>) {
    let start = all(store).len();
    let alice = UserId::new("user-1");
    let cli = |action| event(NOW.0, Actor::Cli, action);

    // A change that finds its target writes its entry...
    store
        .set_user_disabled(
            &alice,
            Some(NOW),
            &cli(AuditAction::UserDisabled).user(&alice),
        )
        .expect("disabled")
        .expect("found");
    store
        .create_grant(&grant("g-a", "c1"), &refresh("rt-a", "g-a"))
        .expect("grant");
    // ... with the grant's owner filled in by the store.
    store
        .revoke_grant(
            &GrantId::new("g-a"),
            NOW,
            &cli(AuditAction::RevokeGrant).target("g-a"),
        )
        .expect("revoked")
        .expect("found");
    store
        .revoke_access_token(
            &Jti::new("jti-a"),
            &ClientId::new("c1"),
            NOW.plus_seconds(60),
            NOW,
            &cli(AuditAction::RevokeAccessToken).target("jti-a"),
        )
        .expect("revoked");
    let trail = trail_since(store, start);
    assert_eq!(trail.len(), 3);
    assert_eq!(trail[0].event.action, AuditAction::UserDisabled);
    assert_eq!(trail[1].event.client_id, Some(ClientId::new("c1")));
    assert_eq!(trail[1].event.user_id, Some(UserId::new("user-1")));
    assert_eq!(trail[2].event.target.as_deref(), Some("jti-a"));

    // A change that finds nothing writes nothing...
    let nobody = UserId::new("nobody");
    let unknown = cli(AuditAction::UserUpdated);
    assert!(store
        .set_user_disabled(&nobody, None, &unknown)
        .expect("answered")
        .is_none());
    assert!(store
        .update_user_profile(&nobody, &Profile::default(), &unknown)
        .expect("answered")
        .is_none());
    assert!(!store.delete_user(&nobody, &unknown).expect("answered"));
    assert!(!store
        .set_password(&nobody, "$argon2id$x", NOW, 5, &unknown)
        .expect("answered"));
    assert!(store
        .revoke_grant(&GrantId::new("no-grant"), NOW, &unknown)
        .expect("answered")
        .is_none());
    assert!(store
        .end_session(&SessionId::new("no-session"), NOW, &unknown)
        .expect("answered")
        .is_empty());
    assert!(store
        .redeem_password_reset(
            &Secret::new("no-code").hash(),
            NOW,
            "$argon2id$x",
            5,
            &unknown
        )
        .expect("answered")
        .is_none());
    assert!(store
        .delete_client(&ClientId::new("no-client"), NOW, &unknown)
        .expect("answered")
        .is_none());
    // ... and a change that fails writes neither: the duplicate's entry rolls back with it.
    let duplicate = User {
        id: UserId::new("user-9"),
        username: "fixture user-1".into(),
        password_hash: "$argon2id$...".into(),
        created_at: NOW,
        profile: Profile::default(),
        disabled_at: None,
    };
    assert!(matches!(
        store.insert_user(&duplicate, &cli(AuditAction::UserCreated)),
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(trail_since(store, start).len(), 3, "nothing more");
}

pub(crate) fn audit_entries_are_pruned_by_age_in_batches<T: Store>(store: &Arc<T>) {
    // The fixtures' entries (dated 0) go first.
    while store.prune_audit(UnixTime(5), 100).expect("pruned") > 0 {}
    for at in [10, 20, 30, 40, 50] {
        store
            .append_audit(&event(at, Actor::System, AuditAction::KeyRotated))
            .expect("appended");
    }
    // Older than 45, two at a time: the batch bound holds, the young entry stays.
    assert_eq!(store.prune_audit(UnixTime(45), 2).expect("pruned"), 2);
    assert_eq!(store.prune_audit(UnixTime(45), 2).expect("pruned"), 2);
    assert_eq!(store.prune_audit(UnixTime(45), 2).expect("pruned"), 0);
    let left: Vec<i64> = all(store).iter().map(|record| record.event.at.0).collect();
    assert_eq!(left, [50]);
}

/// `UPDATE audit_log` is refused by the database itself: `execute` runs one statement on a
/// raw connection of the backend under test.
pub(crate) fn an_audit_entry_cannot_be_updated(
    mut execute: impl FnMut(&str) -> Result<usize, diesel::result::Error>,
) {
    execute(
        "INSERT INTO audit_log (at, actor_kind, action, outcome) \
         VALUES (1, 'system', 'key.rotated', 'success')",
    )
    .expect("appended");
    let error = execute("UPDATE audit_log SET action = 'user.created'").expect_err("refused");
    assert!(
        error.to_string().contains("never changed"),
        "refused by the trigger: {error}"
    );
}
