//! The contract of the operators' reads of a user's activity (`SessionListing`,
//! `GrantListing`): exactly the live sessions and grants of that user, a page at a time in
//! id order, with the clients of each session and the refresh expiry of each grant.

use std::sync::Arc;

use ciam_domain::ports::{ListedGrant, Store, UserGrantQuery, UserSessionQuery};
use ciam_domain::sessions::model::Session;
use ciam_domain::*;

use super::{grant, refresh, session, NOW};

const IDLE: i64 = 3600;

fn user_session(id: &str, user: &str) -> Session {
    Session {
        user_id: UserId::new(user),
        ..session(id, &format!("cookie-{id}"))
    }
}

fn sessions_page<T: Store>(
    store: &Arc<T>,
    user: &str,
    now: UnixTime,
    after: Option<&str>,
    limit: usize,
) -> Vec<(String, Vec<String>)> {
    store
        .list_user_sessions(&UserSessionQuery {
            user_id: UserId::new(user),
            now,
            idle_timeout: IDLE,
            after: after.map(SessionId::new),
            limit,
        })
        .expect("list")
        .into_iter()
        .map(|listed| {
            (
                listed.session.id.to_string(),
                listed.clients.iter().map(ToString::to_string).collect(),
            )
        })
        .collect()
}

pub(super) fn a_users_live_sessions_are_listed_a_page_at_a_time_with_their_clients<T: Store>(
    store: &Arc<T>,
) {
    let now = NOW.plus_seconds(100);
    let live = ["s1", "s2", "s6", "s9"];
    for id in live {
        store
            .insert_session(
                &user_session(id, "user-1"),
                &ciam_domain::testing::test_audit(),
            )
            .expect("live");
    }
    // Not live at `now`: ended, at its absolute end, idle exactly the timeout.
    let ended = Session {
        ended_at: Some(NOW),
        ..user_session("s3", "user-1")
    };
    let expired = Session {
        expires_at: now,
        ..user_session("s4", "user-1")
    };
    let idle = Session {
        last_seen_at: UnixTime(now.0 - IDLE),
        ..user_session("s5", "user-1")
    };
    // One second less idle is live.
    let barely = Session {
        last_seen_at: UnixTime(now.0 - IDLE + 1),
        ..user_session("s7", "user-1")
    };
    for session in [&ended, &expired, &idle, &barely] {
        store
            .insert_session(session, &ciam_domain::testing::test_audit())
            .expect("insert");
    }
    // Another user's, inside the id range of the first user's.
    store
        .insert_session(
            &user_session("s0", "user-2"),
            &ciam_domain::testing::test_audit(),
        )
        .expect("other");
    store
        .insert_session(
            &user_session("s8", "user-2"),
            &ciam_domain::testing::test_audit(),
        )
        .expect("other");
    let born_in = |id: &str, client: &str, session: &str, subject: &str| {
        let grant = Grant {
            session_id: Some(SessionId::new(session)),
            subject: subject.into(),
            ..grant(id, client)
        };
        store
            .create_grant(&grant, &refresh(&format!("rt-{id}"), id))
            .expect("grant");
    };
    born_in("g1", "c2", "s1", "user-1");
    born_in("g2", "c1", "s1", "user-1");
    born_in("g3", "c1", "s1", "user-1");
    born_in("g4", "c3", "s6", "user-1");
    born_in("g5", "c9", "s8", "user-2");
    // A revoked grant still names the client that signed in through the session.
    born_in("g6", "c4", "s9", "user-1");
    store
        .revoke_grant(
            &GrantId::new("g6"),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");

    let all = sessions_page(store, "user-1", now, None, 100);
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        all,
        vec![
            ("s1".to_string(), strings(&["c1", "c2"])),
            ("s2".to_string(), vec![]),
            ("s6".to_string(), strings(&["c3"])),
            ("s7".to_string(), vec![]),
            ("s9".to_string(), strings(&["c4"])),
        ]
    );
    // Pages: keyset, in id order.
    let ids = |page: Vec<(String, Vec<String>)>| page.into_iter().map(|(id, _)| id).collect();
    let first: Vec<String> = ids(sessions_page(store, "user-1", now, None, 2));
    assert_eq!(first, strings(&["s1", "s2"]));
    let second: Vec<String> = ids(sessions_page(store, "user-1", now, Some("s2"), 2));
    assert_eq!(second, strings(&["s6", "s7"]));
    let third: Vec<String> = ids(sessions_page(store, "user-1", now, Some("s7"), 2));
    assert_eq!(third, strings(&["s9"]));
    assert!(sessions_page(store, "user-1", now, Some("s9"), 2).is_empty());
    // The other user sees only theirs; nobody's are none.
    assert_eq!(
        sessions_page(store, "user-2", now, None, 100),
        vec![
            ("s0".to_string(), vec![]),
            ("s8".to_string(), strings(&["c9"]))
        ]
    );
    assert!(sessions_page(store, "nobody", now, None, 100).is_empty());

    // By id: live or not, with its owner; an unknown id is none.
    let found = store
        .find_session_by_id(&SessionId::new("s3"))
        .expect("find")
        .expect("exists");
    assert_eq!(found, ended);
    assert_eq!(
        store
            .find_session_by_id(&SessionId::new("s0"))
            .expect("find")
            .map(|s| s.user_id),
        Some(UserId::new("user-2"))
    );
    assert_eq!(
        store
            .find_session_by_id(&SessionId::new("nope"))
            .expect("find"),
        None
    );
}

fn grants_page<T: Store>(
    store: &Arc<T>,
    subject: &str,
    now: UnixTime,
    after: Option<&str>,
    limit: usize,
) -> Vec<ListedGrant> {
    store
        .list_user_grants(&UserGrantQuery {
            subject: subject.into(),
            now,
            after: after.map(GrantId::new),
            limit,
        })
        .expect("list")
}

fn expiring(token: &str, grant_id: &str, expires_at: UnixTime) -> RefreshTokenRecord {
    RefreshTokenRecord {
        expires_at,
        ..refresh(token, grant_id)
    }
}

pub(super) fn a_users_live_grants_are_listed_with_their_refresh_expiry<T: Store>(store: &Arc<T>) {
    let now = NOW.plus_seconds(100);
    let create = |id: &str, subject: &str, first: RefreshTokenRecord| {
        let grant = Grant {
            subject: subject.into(),
            ..grant(id, "c1")
        };
        store.create_grant(&grant, &first).expect("grant");
        grant
    };
    let ga = create("ga", "user-1", refresh("rt-a", "ga"));
    create("gb", "user-1", refresh("rt-b", "gb"));
    store
        .revoke_grant(
            &GrantId::new("gb"),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    // Its only refresh token expires at `now`: it can issue nothing more.
    create("gc", "user-1", expiring("rt-c", "gc", now));
    // Rotated: the successor's expiry counts, not the rotated token's.
    create(
        "gd",
        "user-1",
        expiring("rt-d1", "gd", NOW.plus_seconds(9000)),
    );
    let outcome = store
        .rotate_refresh_token(
            &Secret::new("rt-d1").hash(),
            &expiring("rt-d2", "gd", NOW.plus_seconds(7200)),
            NOW.plus_seconds(50),
            NOW.plus_seconds(350),
        )
        .expect("rotate");
    assert_eq!(outcome, RotateOutcome::Rotated);
    // Two live tokens (a grace-period successor): the later expiry.
    create(
        "ge",
        "user-1",
        expiring("rt-e1", "ge", NOW.plus_seconds(500)),
    );
    store
        .add_refresh_token(
            &expiring("rt-e2", "ge", NOW.plus_seconds(800)),
            NOW.plus_seconds(300),
        )
        .expect("add");
    create("gz", "user-2", refresh("rt-z", "gz"));

    let all = grants_page(store, "user-1", now, None, 100);
    let summary: Vec<(String, UnixTime)> = all
        .iter()
        .map(|listed| (listed.grant.id.to_string(), listed.expires_at))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("ga".to_string(), NOW.plus_seconds(3600)),
            ("gd".to_string(), NOW.plus_seconds(7200)),
            ("ge".to_string(), NOW.plus_seconds(800)),
        ]
    );
    assert_eq!(all[0].grant, ga);
    let ids = |page: Vec<ListedGrant>| -> Vec<String> {
        page.into_iter()
            .map(|listed| listed.grant.id.to_string())
            .collect()
    };
    assert_eq!(
        ids(grants_page(store, "user-1", now, None, 2)),
        ["ga", "gd"]
    );
    assert_eq!(
        ids(grants_page(store, "user-1", now, Some("gd"), 2)),
        ["ge"]
    );
    assert!(grants_page(store, "user-1", now, Some("ge"), 2).is_empty());
    assert_eq!(ids(grants_page(store, "user-2", now, None, 100)), ["gz"]);
    // Later, the shorter-lived ones are gone.
    let later = NOW.plus_seconds(3600);
    assert_eq!(ids(grants_page(store, "user-1", later, None, 100)), ["gd"]);

    // By id: revoked or not; an unknown id is none.
    let gb = store
        .find_grant(&GrantId::new("gb"))
        .expect("find")
        .expect("exists");
    assert_eq!(gb.revoked_at, Some(NOW));
    assert_eq!(gb.subject, "user-1");
    assert_eq!(store.find_grant(&GrantId::new("nope")).expect("find"), None);
}
