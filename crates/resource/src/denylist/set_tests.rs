use super::*;

fn token(jti: &str, gid: Option<&str>) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: "http://issuer".into(),
        sub: "alice".into(),
        aud: "http://issuer".into(),
        exp: 1_000,
        iat: 100,
        jti: jti.into(),
        client_id: "web".into(),
        scope: None,
        gid: gid.map(Into::into),
    }
}

/// A token of `sub` and `client_id` issued at `iat`.
fn issued(sub: &str, client_id: &str, iat: i64) -> AccessTokenClaims {
    AccessTokenClaims {
        sub: sub.into(),
        client_id: client_id.into(),
        iat,
        ..token("j", None)
    }
}

#[test]
fn a_token_is_revoked_by_its_jti_or_its_grant_until_until() {
    let set = RevocationSet::new();
    set.insert(EventKind::Jti, "j1", 100);
    set.apply(&RevocationEvent::new(EventKind::Gid, "g1", 200));
    assert!(set.is_revoked(&token("j1", None), 99));
    assert!(!set.is_revoked(&token("j1", None), 100), "gone at until");
    assert!(set.is_revoked(&token("j2", Some("g1")), 199));
    assert!(!set.is_revoked(&token("j2", Some("g2")), 0));
    assert!(!set.is_revoked(&token("g1", None), 0), "kinds are separate");
}

#[test]
fn until_only_rises_and_expired_entries_are_swept() {
    let set = RevocationSet::new();
    set.insert(EventKind::Jti, "j", 100);
    set.insert(EventKind::Jti, "j", 50);
    assert!(set.is_revoked(&token("j", None), 99));
    set.extend([
        (EventKind::Jti, "j", 150, 150),
        (EventKind::Gid, "g", 10, 10),
    ]);
    assert!(set.is_revoked(&token("j", None), 149));
    assert_eq!(set.len(), 2);
    assert_eq!(set.remove_expired(100), 1);
    assert_eq!(set.len(), 1);
    assert!(!set.is_empty());
}

#[test]
fn a_cutoff_at_t_refuses_tokens_issued_at_or_before_t() {
    for kind in [EventKind::Sub, EventKind::Cid] {
        let set = RevocationSet::new();
        let id = if kind == EventKind::Sub {
            "alice"
        } else {
            "web"
        };
        set.apply(&RevocationEvent::v2_cutoff(kind, id, 1_000, 2_000));
        let now = 1_100;
        assert!(
            set.is_revoked(&issued("alice", "web", 999), now),
            "{kind:?} T-1"
        );
        assert!(
            set.is_revoked(&issued("alice", "web", 1_000), now),
            "{kind:?} T"
        );
        assert!(
            !set.is_revoked(&issued("alice", "web", 1_001), now),
            "{kind:?} T+1"
        );
        assert_eq!(set.cutoffs(), 1);
    }
}

#[test]
fn a_subject_cutoff_is_not_a_client_cutoff() {
    let set = RevocationSet::new();
    set.insert_cutoff(EventKind::Sub, "alice", 1_000, 2_000);
    set.insert_cutoff(EventKind::Cid, "batch", 1_000, 2_000);
    let now = 1_100;
    assert!(set.is_revoked(&issued("alice", "web", 500), now));
    assert!(set.is_revoked(&issued("bob", "batch", 500), now));
    assert!(!set.is_revoked(&issued("bob", "web", 500), now));
    // The ids are matched in their own claim only.
    assert!(!set.is_revoked(&issued("batch", "alice", 500), now));
    // And a cut-off is not a jti or a grant.
    let named_like_them = AccessTokenClaims {
        jti: "alice".into(),
        gid: Some("batch".into()),
        ..issued("bob", "web", 500)
    };
    assert!(!set.is_revoked(&named_like_them, now));
}

#[test]
fn a_cutoff_counts_until_its_until_and_is_swept_then() {
    let set = RevocationSet::new();
    set.extend([
        (EventKind::Sub, "alice", 1_000, 1_300),
        (EventKind::Cid, "web", 1_000, 1_600),
    ]);
    let alice_elsewhere = issued("alice", "other", 900);
    assert!(set.is_revoked(&alice_elsewhere, 1_299));
    assert!(!set.is_revoked(&alice_elsewhere, 1_300), "gone at until");
    assert_eq!(set.len(), 2);
    assert_eq!(set.remove_expired(1_300), 1);
    assert_eq!(set.cutoffs(), 1);
    assert!(set.is_revoked(&issued("bob", "web", 900), 1_599));
    assert_eq!(set.remove_expired(1_600), 1);
    assert!(set.is_empty());
}

#[test]
fn a_cutoff_and_its_until_only_rise() {
    let set = RevocationSet::new();
    set.insert_cutoff(EventKind::Sub, "alice", 1_000, 2_000);
    // Older, arriving late: lowers neither half.
    set.insert_cutoff(EventKind::Sub, "alice", 900, 1_500);
    assert!(set.is_revoked(&issued("alice", "web", 1_000), 1_999));
    // Later cut-off with an earlier until (a shorter token lifetime meanwhile): the cut-off
    // rises, the until stays.
    set.insert_cutoff(EventKind::Sub, "alice", 1_200, 1_800);
    assert!(set.is_revoked(&issued("alice", "web", 1_200), 1_999));
    assert!(!set.is_revoked(&issued("alice", "web", 1_201), 1_999));
    assert_eq!(set.remove_expired(1_999), 0);
    assert_eq!(set.len(), 1);
}

#[test]
fn a_cutoff_event_without_its_cutoff_fails_closed() {
    // Reads as a cut-off at `until`, as RevocationEvent::value does.
    let set = RevocationSet::new();
    set.apply(&RevocationEvent::v2(EventKind::Cid, "web", 2_000));
    assert!(set.is_revoked(&issued("bob", "web", 1_999), 1_000));
}
