//! The revocation rules, one test each, on fakes (no I/O). Rule numbers follow
//! docs/architecture.md.

use crate::introspection::IntrospectError;
use crate::issuance::TokenError;
use crate::ports::Denylist;
use crate::revocation::{RevokeError, TokenTypeHint};
use crate::testing::scenario::*;
use std::sync::atomic::Ordering;

// Rule 3: unknown, malformed, expired, foreign-signed, already revoked: Ok.

#[test]
fn unknown_and_malformed_tokens_revoke_nothing_and_succeed() {
    let h = harness();
    let client = confidential(&h);
    for token in ["", "garbage", "a.b.c", "x.y", &"a".repeat(10_000)] {
        assert_eq!(
            h.services.revocation.revoke(&client, token, None, None),
            Ok(()),
            "{token:.20}"
        );
    }
    assert_eq!(h.store.revoked_count(), 0);
    assert_eq!(h.denylist.len(), 0);
}

#[test]
fn expired_access_token_revocation_succeeds_without_writing() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.clock.advance(h.services.config().access_token_ttl);
    assert_eq!(
        h.services.revocation.revoke(&client, &token, None, None),
        Ok(())
    );
    assert_eq!(h.store.revoked_count(), 0);
}

#[test]
fn token_signed_by_a_key_we_do_not_hold_is_ignored() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    let forged = format!("otherkid{}", &token[token.find('.').unwrap_or(0)..]);
    assert_eq!(
        h.services.revocation.revoke(&client, &forged, None, None),
        Ok(())
    );
    assert_eq!(h.store.revoked_count(), 0);
}

#[test]
fn tampered_token_is_ignored() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(
        h.services.revocation.revoke(&client, &tampered, None, None),
        Ok(())
    );
    assert!(active(&h, &client, &token));
}

#[test]
fn revoking_twice_succeeds_twice() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    assert_eq!(
        h.services.revocation.revoke(&client, &token, None, None),
        Ok(())
    );
    assert_eq!(
        h.services.revocation.revoke(&client, &token, None, None),
        Ok(())
    );
    assert_eq!(h.store.revoked_count(), 1);
}

// Rule 4: another client's token is invalid_client, and nothing is revoked.

#[test]
fn another_clients_access_token_is_refused_and_stays_valid() {
    let h = harness();
    let owner = confidential(&h);
    let other = confidential(&h);
    let token = cc_token(&h, &owner);
    assert_eq!(
        h.services.revocation.revoke(&other, &token, None, None),
        Err(RevokeError::ForeignToken)
    );
    assert!(active(&h, &owner, &token));
}

#[test]
fn another_clients_refresh_token_is_refused_and_stays_valid() {
    let h = harness();
    let owner = confidential(&h);
    let other = confidential(&h);
    let tokens = user_tokens(&h, &owner);
    let refresh_token = tokens.refresh_token.expect("refresh token");
    assert_eq!(
        h.services.revocation.revoke(
            &other,
            refresh_token.expose(),
            Some(TokenTypeHint::RefreshToken),
            None
        ),
        Err(RevokeError::ForeignToken)
    );
    assert!(refresh(&h, &owner, &refresh_token).is_ok());
}

#[test]
fn another_clients_dead_refresh_token_is_answered_like_garbage() {
    let h = harness();
    let owner = confidential(&h);
    let other = confidential(&h);
    let rotated = user_tokens(&h, &owner).refresh_token.expect("rt");
    let successor = refresh(&h, &owner, &rotated)
        .expect("rotated")
        .refresh_token
        .expect("rt");
    assert_eq!(
        h.services
            .revocation
            .revoke(&other, rotated.expose(), None, None),
        Ok(()),
        "nothing left to revoke: 200, as for a token that never existed"
    );
    assert!(
        refresh(&h, &owner, &successor).is_ok(),
        "and nothing of the owner's was revoked"
    );

    let expired = user_tokens(&h, &owner).refresh_token.expect("rt");
    h.clock.advance(h.services.config().refresh_token_ttl);
    assert_eq!(
        h.services
            .revocation
            .revoke(&other, expired.expose(), None, None),
        Ok(())
    );
    assert_eq!(
        h.services.revocation.revoke(&other, "garbage", None, None),
        Ok(())
    );
}

// Rule 5: an access token revokes only itself.

#[test]
fn access_token_revocation_revokes_only_that_token() {
    let h = harness();
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    let sibling = cc_token(&h, &client);
    assert_eq!(
        h.services
            .revocation
            .revoke(&client, &tokens.access_token, None, None),
        Ok(())
    );
    assert!(!active(&h, &client, &tokens.access_token));
    assert!(active(&h, &client, &sibling));
    let refresh_token = tokens.refresh_token.expect("refresh token");
    assert!(
        refresh(&h, &client, &refresh_token).is_ok(),
        "the grant lives on"
    );
}

#[test]
fn access_token_stays_denied_until_its_expiry() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.services
        .revocation
        .revoke(&client, &token, None, None)
        .expect("revoked");
    let live = h.store.live_revocations_for_test(h.clock_now());
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0].until().0,
        h.clock_now().0 + h.services.config().access_token_ttl
    );
}

// Rule 6: a refresh token revokes its grant.

#[test]
fn refresh_token_revocation_revokes_the_grant_and_all_its_access_tokens() {
    let h = harness();
    let client = confidential(&h);
    let first = user_tokens(&h, &client);
    let first_refresh = first.refresh_token.clone().expect("refresh token");
    let second = refresh(&h, &client, &first_refresh).expect("rotated");
    let second_refresh = second.refresh_token.clone().expect("refresh token");
    assert_eq!(
        h.services
            .revocation
            .revoke(&client, second_refresh.expose(), None, None),
        Ok(())
    );
    assert!(
        !active(&h, &client, &first.access_token),
        "earlier rotation's access token"
    );
    assert!(!active(&h, &client, &second.access_token));
    assert_eq!(
        refresh(&h, &client, &second_refresh).err(),
        Some(TokenError::InvalidGrant)
    );
}

#[test]
fn grant_denial_lasts_as_long_as_its_latest_access_token() {
    let h = harness();
    let client = confidential(&h);
    let first = user_tokens(&h, &client);
    h.clock.advance(100);
    let second = refresh(&h, &client, first.refresh_token.as_ref().expect("rt")).expect("rotated");
    h.services
        .revocation
        .revoke(
            &client,
            second.refresh_token.as_ref().expect("rt").expose(),
            None,
            None,
        )
        .expect("revoked");
    let live = h.store.live_revocations_for_test(h.clock_now());
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0].until().0,
        h.clock_now().0 + h.services.config().access_token_ttl
    );
}

// Rule 7: the hint only orders the lookup.

#[test]
fn a_wrong_hint_never_changes_the_outcome() {
    for hint in [
        None,
        Some(TokenTypeHint::AccessToken),
        Some(TokenTypeHint::RefreshToken),
    ] {
        let h = harness();
        let client = confidential(&h);
        let tokens = user_tokens(&h, &client);
        let refresh_token = tokens.refresh_token.clone().expect("rt");
        let access = cc_token(&h, &client);
        assert_eq!(
            h.services.revocation.revoke(&client, &access, hint, None),
            Ok(())
        );
        assert!(!active(&h, &client, &access), "{hint:?}");
        assert_eq!(
            h.services
                .revocation
                .revoke(&client, refresh_token.expose(), hint, None),
            Ok(())
        );
        assert!(!active(&h, &client, &tokens.access_token), "{hint:?}");
        assert!(refresh(&h, &client, &refresh_token).is_err(), "{hint:?}");
    }
}

// Rule 9: only durable and visible revocations succeed.

#[test]
fn denylist_outage_is_unavailable_but_the_store_keeps_the_revocation() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.denylist.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.services.revocation.revoke(&client, &token, None, None),
        Err(RevokeError::Unavailable(_))
    ));
    assert_eq!(h.store.revoked_count(), 1);
    // Introspection falls back to the store: never active once revoked.
    assert!(!active(&h, &client, &token));
    h.denylist.down.store(false, Ordering::SeqCst);
    assert_eq!(h.services.revocation.reconcile_denylist(), Ok(1));
    assert!(!active(&h, &client, &token));
}

#[test]
fn store_outage_is_unavailable_and_nothing_reaches_the_denylist() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.store.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.services.revocation.revoke(&client, &token, None, None),
        Err(RevokeError::Unavailable(_))
    ));
    assert_eq!(h.denylist.len(), 0);
}

#[test]
fn both_down_introspection_is_unavailable_not_active() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.services.access_tokens.key_ring().expect("cached");
    h.denylist.down.store(true, Ordering::SeqCst);
    h.store.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.services.introspection.introspect(&client, &token, None),
        Err(IntrospectError::Unavailable(_))
    ));
}

#[test]
fn a_denylist_that_lost_its_entries_is_rebuilt_from_the_store() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.services
        .revocation
        .revoke(&client, &token, None, None)
        .expect("revoked");
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(None),
        "nothing lost yet"
    );
    h.denylist.lose_everything();
    assert_eq!(h.denylist.len(), 0);
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(Some(1))
    );
    assert_eq!(h.denylist.len(), 1);
    assert!(!active(&h, &client, &token));
}

#[test]
fn a_failed_denylist_write_is_caught_up_by_the_next_check() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    revoke_while_the_denylist_is_down(&h, &client, &token);
    // The denylist itself lost nothing, yet it is behind the store.
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(Some(1))
    );
    assert_eq!(h.denylist.len(), 1);
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(None)
    );
}

#[test]
fn a_failed_rebuild_keeps_the_catch_up_pending_whatever_the_marker_says() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.denylist.down.store(true, Ordering::SeqCst);
    assert!(h
        .services
        .revocation
        .revoke(&client, &token, None, None)
        .is_err());
    assert!(
        h.services
            .revocation
            .reconcile_denylist_if_incomplete()
            .is_err(),
        "the denylist is still down"
    );
    // Back from an old dump: its marker says complete, yet the revocation is missing.
    h.denylist.down.store(false, Ordering::SeqCst);
    assert_eq!(h.denylist.is_complete(), Ok(true));
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(Some(1))
    );
    assert!(!active(&h, &client, &token));
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(None)
    );
}

#[test]
fn a_rebuild_that_lost_entries_half_way_does_not_claim_completeness() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.services
        .revocation
        .revoke(&client, &token, None, None)
        .expect("revoked");
    h.denylist.lose_everything();
    h.denylist.begin_rebuild("elsewhere").expect("begin");
    h.denylist.lose_everything();
    assert_eq!(h.denylist.finish_rebuild("elsewhere"), Ok(false));
    assert_eq!(h.denylist.is_complete(), Ok(false));
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(Some(1))
    );
    assert_eq!(h.denylist.is_complete(), Ok(true));
}

#[test]
fn failed_denylist_writes_are_written_first_before_the_full_rebuild() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    revoke_while_the_denylist_is_down(&h, &client, &token);
    // The store is down for the rebuild's read: the rebuild fails, yet what failed here
    // before is already written.
    h.store.down.store(true, Ordering::SeqCst);
    assert!(h
        .services
        .revocation
        .reconcile_denylist_if_incomplete()
        .is_err());
    assert_eq!(h.denylist.len(), 1, "the failed write, caught up at once");
    h.store.down.store(false, Ordering::SeqCst);
    assert!(!active(&h, &client, &token));
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(Some(1))
    );
    assert_eq!(
        h.services.revocation.reconcile_denylist_if_incomplete(),
        Ok(None)
    );
}
