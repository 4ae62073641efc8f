//! The contract of not-before cut-offs (`BulkRevocationStore`): what revoking everything of
//! a user or a client ends, and exactness against grants created concurrently.

use std::sync::{Arc, Barrier};
use std::thread;

use ciam_domain::authorization::model::Redemption;
use ciam_domain::ports::{RevocationStore, Store};
use ciam_domain::*;

use super::{code, grant, refresh, session, NOW};

fn cutoff(kind: CutoffKind, id: &str, at: UnixTime) -> Cutoff {
    Cutoff {
        kind,
        id: id.into(),
        at,
        until: at.plus_seconds(600),
    }
}

fn token<'a>(jti: &'a Jti, subject: &'a str, client: &'a ClientId, iat: UnixTime) -> TokenRef<'a> {
    TokenRef {
        jti,
        grant_id: None,
        subject,
        client_id: client,
        issued_at: iat,
    }
}

fn user_grant(id: &str, subject: &str, client: &str, created_at: UnixTime) -> Grant {
    Grant {
        subject: subject.into(),
        created_at,
        access_expires_at: created_at.plus_seconds(300),
        ..grant(id, client)
    }
}

pub(super) fn a_cutoff_revokes_grants_codes_and_sessions_of_its_owner_only<T: Store>(
    store: &Arc<T>,
) {
    // grant() belongs to user-1; the session and code() are made theirs.
    let theirs = ciam_domain::sessions::model::Session {
        user_id: UserId::new("user-1"),
        ..session("s1", "cookie-1")
    };
    store
        .insert_session(&theirs, &ciam_domain::testing::test_audit())
        .expect("session");
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-1", "g1"))
        .expect("g1");
    store
        .create_grant(&grant("g2", "c2"), &refresh("rt-2", "g2"))
        .expect("g2");
    store
        .create_grant(
            &user_grant("g3", "user-2", "c1", NOW),
            &refresh("rt-3", "g3"),
        )
        .expect("g3");
    let their_code = ciam_domain::authorization::model::AuthorizationCode {
        user_id: UserId::new("user-1"),
        ..code("unused")
    };
    store.insert_code(&their_code).expect("code");
    let later = NOW.plus_seconds(10);

    let revoked = store
        .revoke_everything_of(
            &cutoff(CutoffKind::Subject, "user-1", later),
            later,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoked");
    assert_eq!(revoked.grant_count, 2);
    assert_eq!(
        revoked.clients,
        vec![ClientId::new("c1"), ClientId::new("c2")]
    );
    let mut entries = revoked.grants.clone();
    entries.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(
        entries,
        vec![
            Revocation::Grant {
                grant_id: GrantId::new("g1"),
                until: NOW.plus_seconds(300)
            },
            Revocation::Grant {
                grant_id: GrantId::new("g2"),
                until: NOW.plus_seconds(300)
            },
        ]
    );
    assert_eq!(revoked.session_count, 1);
    let (_, g1) = store
        .find_refresh_token(&Secret::new("rt-1").hash())
        .expect("read")
        .expect("kept");
    assert_eq!(g1.revoked_at, Some(later));
    let (_, g3) = store
        .find_refresh_token(&Secret::new("rt-3").hash())
        .expect("read")
        .expect("kept");
    assert_eq!(g3.revoked_at, None, "another user's grant lives");
    let ended = store
        .find_session(&Secret::new("cookie-1").hash())
        .expect("read")
        .expect("kept");
    assert_eq!(ended.ended_at, Some(later));
    let burnt = store
        .find_code(&Secret::new("unused").hash())
        .expect("read")
        .expect("kept");
    assert_eq!(burnt.used_at, Some(later));

    // A second bulk revocation finds nothing left to revoke.
    let again = store
        .revoke_everything_of(
            &cutoff(CutoffKind::Subject, "user-1", later),
            later,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoked");
    assert_eq!((again.grant_count, again.session_count), (0, 0));

    // A client's cut-off: its grants, whoever the user.
    let revoked = store
        .revoke_everything_of(
            &cutoff(CutoffKind::Client, "c1", later),
            later,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoked");
    assert_eq!(revoked.grant_count, 1, "g3; g1 was already revoked");
    assert_eq!(revoked.session_count, 0, "a client has no sessions");
}

pub(super) fn a_cutoff_only_rises_and_covers_tokens_issued_at_or_before_it<T: Store>(
    store: &Arc<T>,
) {
    let jti = Jti::new("j");
    let client = ClientId::new("c1");
    let at = NOW.plus_seconds(100);
    store
        .revoke_everything_of(
            &cutoff(CutoffKind::Subject, "u", at),
            at,
            &ciam_domain::testing::test_audit(),
        )
        .expect("cut off");
    let covered = |iat: UnixTime| {
        store
            .is_revoked(&token(&jti, "u", &client, iat))
            .expect("read")
    };
    assert!(covered(at.plus_seconds(-1)));
    assert!(covered(at));
    assert!(!covered(at.plus_seconds(1)));
    assert!(!store
        .is_revoked(&token(&jti, "someone-else", &client, at))
        .expect("read"));
    // An earlier cut-off does not lower it.
    let earlier = NOW;
    store
        .revoke_everything_of(
            &cutoff(CutoffKind::Subject, "u", earlier),
            earlier,
            &ciam_domain::testing::test_audit(),
        )
        .expect("cut off");
    assert!(covered(at));
    assert_eq!(
        store
            .find_cutoff(CutoffKind::Subject, "u", at)
            .expect("read")
            .map(|c| (c.at, c.until)),
        Some((at, at.plus_seconds(600)))
    );
    // The client's kind is separate from the subject's.
    assert!(!store
        .is_revoked(&token(&jti, "x", &ClientId::new("u"), at))
        .expect("read"));
    store
        .revoke_everything_of(
            &cutoff(CutoffKind::Client, "c1", at),
            at,
            &ciam_domain::testing::test_audit(),
        )
        .expect("cut off");
    assert!(store
        .is_revoked(&token(&jti, "x", &client, at))
        .expect("read"));
}

pub(super) fn a_grant_created_at_or_before_a_cutoff_is_stored_revoked<T: Store>(store: &Arc<T>) {
    let at = NOW.plus_seconds(100);
    store
        .revoke_everything_of(
            &cutoff(CutoffKind::Subject, "user-1", at),
            at,
            &ciam_domain::testing::test_audit(),
        )
        .expect("cut off");
    let created = |id: &str, created_at: UnixTime| {
        let live = store
            .create_grant(
                &user_grant(id, "user-1", "c1", created_at),
                &refresh(&format!("rt-{id}"), id),
            )
            .expect("created");
        let grant = store
            .find_refresh_token(&Secret::new(format!("rt-{id}")).hash())
            .expect("read")
            .expect("kept")
            .1;
        assert_eq!(
            live,
            grant.revoked_at.is_none(),
            "the answer says how it was stored"
        );
        grant
    };
    assert_eq!(created("at", at).revoked_at, Some(at));
    assert_eq!(created("after", at.plus_seconds(1)).revoked_at, None);
    // Redeeming a code creates a grant too.
    store.insert_code(&code("late")).expect("code");
    let from_code = user_grant("from-code", "user-1", "c1", at);
    assert_eq!(
        store
            .redeem_code(&Secret::new("late").hash(), at, &from_code, None)
            .expect("redeemed"),
        Redemption::Redeemed { live: false },
        "the redemption says the grant is stored revoked"
    );
    assert!(is_revoked_grant(&**store, "from-code"));
}

fn is_revoked_grant<S: RevocationStore + ?Sized>(store: &S, id: &str) -> bool {
    let nobody = ClientId::new("nobody");
    let grant_id = GrantId::new(id);
    store
        .is_revoked(&TokenRef {
            jti: &Jti::new("none"),
            grant_id: Some(&grant_id),
            subject: "nobody",
            client_id: &nobody,
            issued_at: UnixTime(0),
        })
        .expect("read")
}

pub(super) fn a_cutoff_lives_until_its_last_token_expires_then_is_pruned<T: Store>(store: &Arc<T>) {
    let c = cutoff(CutoffKind::Client, "c9", NOW);
    store
        .revoke_everything_of(&c, NOW, &ciam_domain::testing::test_audit())
        .expect("cut off");
    let live = store.live_revocations(NOW).expect("read");
    assert!(live.contains(&Revocation::Cutoff(c.clone())), "{live:?}");
    assert!(!store
        .live_revocations(c.until)
        .expect("read")
        .iter()
        .any(|r| matches!(r, Revocation::Cutoff(_))));
    assert_eq!(
        store
            .prune_expired(c.until.plus_seconds(-1), 100)
            .expect("prune"),
        0
    );
    assert_eq!(store.prune_expired(c.until, 100).expect("prune"), 1);
    assert_eq!(
        store
            .find_cutoff(CutoffKind::Client, "c9", NOW)
            .expect("read"),
        None
    );
}

/// Grants of the same user are created on several threads while a cut-off at `AT` commits:
/// afterwards every grant created at or before `AT` is revoked, every later one is not,
/// whichever committed first.
pub(super) fn grants_created_during_a_cutoff_are_revoked_exactly_when_covered<T: Store>(
    store: &Arc<T>,
) {
    const AT: UnixTime = UnixTime(1_700_000_100);
    const THREADS: usize = 6;
    const EACH: usize = 8;
    let start = Arc::new(Barrier::new(THREADS + 1));
    let creators: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(store);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for i in 0..EACH {
                    // Alternately covered (created in the cut-off's second) and not.
                    let created_at = AT.plus_seconds((i % 2) as i64);
                    let id = format!("g-{t}-{i}");
                    store
                        .create_grant(
                            &user_grant(&id, "user-1", "c1", created_at),
                            &refresh(&format!("rt-{id}"), &id),
                        )
                        .expect("created");
                }
            })
        })
        .collect();
    start.wait();
    store
        .revoke_everything_of(
            &cutoff(CutoffKind::Subject, "user-1", AT),
            AT,
            &ciam_domain::testing::test_audit(),
        )
        .expect("cut off");
    for creator in creators {
        creator.join().expect("creator");
    }
    for t in 0..THREADS {
        for i in 0..EACH {
            let id = format!("g-{t}-{i}");
            let covered = i % 2 == 0;
            assert_eq!(is_revoked_grant(&**store, &id), covered, "{id}");
        }
    }
}
