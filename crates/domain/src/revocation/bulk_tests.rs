//! Revoking everything of a user or a client: the not-before cut-off and what it ends.

use crate::client::GrantType;
use crate::clients::NewClient;
use crate::ids::UserId;
use crate::ports::{Denylist, UserStore};
use crate::revocation::CutoffKind;
use crate::scope::Scope;
use crate::testing::scenario::*;
use crate::testing::Harness;
use std::sync::atomic::Ordering;

fn alice(h: &Harness) -> UserId {
    h.store
        .find_user_by_username("alice")
        .expect("read")
        .expect("alice exists")
        .id
}

#[test]
fn a_user_cutoff_refuses_every_token_of_theirs_with_or_without_a_grant() {
    let h = harness();
    let client = confidential(&h);
    let with_grant = user_tokens(&h, &client);
    let user = alice(&h);
    h.advance(1);
    let revoked = h
        .services
        .revocation
        .revoke_everything_of(
            CutoffKind::Subject,
            user.as_str(),
            &crate::audit::Initiator::cli(),
        )
        .expect("revoked");
    assert_eq!(revoked.grant_count, 1);
    assert_eq!(revoked.clients, vec![client.id.clone()]);
    assert!(!active(&h, &client, &with_grant.access_token));
    let refresh_token = with_grant.refresh_token.expect("refresh token");
    assert!(
        refresh(&h, &client, &refresh_token).is_err(),
        "grant revoked"
    );
    // The client's own tokens are not the user's.
    let cc = cc_token(&h, &client);
    assert!(active(&h, &client, &cc));
}

#[test]
fn a_client_cutoff_refuses_its_client_credentials_and_user_tokens() {
    let h = harness();
    let client = confidential(&h);
    let other = confidential(&h);
    let cc = cc_token(&h, &client);
    let users = user_tokens(&h, &client);
    let others = cc_token(&h, &other);
    h.services
        .revocation
        .revoke_everything_of(
            CutoffKind::Client,
            client.id.as_str(),
            &crate::audit::Initiator::cli(),
        )
        .expect("revoked");
    assert!(!active(&h, &client, &cc), "grantless token refused");
    assert!(!active(&h, &client, &users.access_token));
    assert!(active(&h, &other, &others), "another client's token lives");
}

#[test]
fn tokens_issued_a_second_before_are_refused_and_after_accepted() {
    let h = harness();
    let client = confidential(&h);
    let before = cc_token(&h, &client);
    h.advance(1);
    h.services
        .revocation
        .revoke_everything_of(
            CutoffKind::Client,
            client.id.as_str(),
            &crate::audit::Initiator::cli(),
        )
        .expect("revoked");
    assert!(!active(&h, &client, &before));
    // In the cut-off's own second: given the next second, so accepted.
    let same_second = cc_token(&h, &client);
    assert!(active(&h, &client, &same_second));
    h.advance(1);
    let after = cc_token(&h, &client);
    assert!(active(&h, &client, &after));
    assert!(!active(&h, &client, &before));
}

#[test]
fn a_token_issued_before_the_cutoff_in_its_second_is_refused() {
    let h = harness();
    let client = confidential(&h);
    let same_second_before = cc_token(&h, &client);
    h.services
        .revocation
        .revoke_everything_of(
            CutoffKind::Client,
            client.id.as_str(),
            &crate::audit::Initiator::cli(),
        )
        .expect("revoked");
    assert!(!active(&h, &client, &same_second_before));
}

#[test]
fn the_store_answers_for_cutoffs_when_the_denylist_is_down() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.services
        .revocation
        .revoke_everything_of(
            CutoffKind::Client,
            client.id.as_str(),
            &crate::audit::Initiator::cli(),
        )
        .expect("revoked");
    h.denylist.down.store(true, Ordering::SeqCst);
    assert!(!active(&h, &client, &token));
}

#[test]
fn a_denylist_outage_fails_the_bulk_revocation_and_a_rebuild_restores_the_cutoff() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.denylist.down.store(true, Ordering::SeqCst);
    assert!(h
        .services
        .revocation
        .revoke_everything_of(
            CutoffKind::Client,
            client.id.as_str(),
            &crate::audit::Initiator::cli()
        )
        .is_err());
    h.denylist.down.store(false, Ordering::SeqCst);
    h.denylist.lose_everything();
    h.services.revocation.reconcile_denylist().expect("rebuilt");
    let claims = h
        .services
        .access_tokens
        .live_claims(&token, h.clock_now())
        .expect("read")
        .expect("ours");
    let token_ref = crate::revocation::TokenRef::of(&claims);
    assert_eq!(h.denylist.is_denied(&token_ref, h.clock_now()), Ok(true));
}

#[test]
fn a_store_outage_fails_the_bulk_revocation() {
    let h = harness();
    let client = confidential(&h);
    h.store.down.store(true, Ordering::SeqCst);
    assert!(h
        .services
        .revocation
        .revoke_everything_of(
            CutoffKind::Client,
            client.id.as_str(),
            &crate::audit::Initiator::cli()
        )
        .is_err());
}

#[test]
fn a_cutoff_expires_with_the_last_token_it_covers() {
    let h = harness();
    let client = confidential(&h);
    h.services
        .revocation
        .revoke_everything_of(
            CutoffKind::Client,
            client.id.as_str(),
            &crate::audit::Initiator::cli(),
        )
        .expect("revoked");
    let ttl = h.services.config().access_token_ttl;
    assert_eq!(h.store.live_revocations_for_test(h.clock_now()).len(), 1);
    h.advance(ttl);
    assert!(h.store.live_revocations_for_test(h.clock_now()).is_empty());
}

#[test]
fn signing_out_everywhere_ends_sessions_and_tells_clients_by_sub() {
    let h = harness();
    let (client, _) = h
        .services
        .clients
        .create_client(NewClient {
            name: "rp".into(),
            grant_types: vec![GrantType::Password, GrantType::RefreshToken],
            scope: Scope::parse("read").expect("valid"),
            public: false,
            redirects: crate::client::Redirects {
                backchannel_logout_uri: Some("https://rp.example/logout".into()),
                ..Default::default()
            },
        })
        .expect("created");
    let tokens = user_tokens(&h, &client);
    let user = h
        .store
        .find_user_by_username("alice")
        .expect("read")
        .expect("alice");
    let (cookie, _) = h.services.sessions.start(&user, None).expect("session");
    let revoked = h
        .services
        .sessions
        .sign_out_everywhere(&user.id, &crate::audit::Initiator::cli())
        .expect("signed out");
    assert_eq!(revoked.session_count, 1);
    assert!(h
        .services
        .sessions
        .current(cookie.expose())
        .expect("read")
        .is_none());
    assert!(!active(&h, &client, &tokens.access_token));
    let delivered = h.notifier.delivered.lock().expect("lock").clone();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].uri, "https://rp.example/logout");
    let (_, lines) = crate::testing::fake_token_parts(&delivered[0].logout_token).expect("ours");
    assert_eq!(lines[3], user.id.as_str(), "sub");
    assert_eq!(lines[4], "", "no sid: every session of the user");
}

#[test]
fn a_second_cutoff_in_the_same_second_refuses_tokens_issued_after_the_first() {
    let h = harness();
    let client = confidential(&h);
    user_tokens(&h, &client);
    let user = alice(&h);
    let revoke = || {
        h.services
            .revocation
            .revoke_everything_of(
                CutoffKind::Subject,
                user.as_str(),
                &crate::audit::Initiator::cli(),
            )
            .expect("revoked")
    };
    revoke();
    // Issued after the first cut-off, in its second: dated a second later, and live.
    let between = user_tokens(&h, &client);
    assert!(active(&h, &client, &between.access_token));
    revoke();
    assert!(
        !active(&h, &client, &between.access_token),
        "the second cut-off covers it"
    );
    let refresh_token = between.refresh_token.expect("refresh token");
    assert!(
        refresh(&h, &client, &refresh_token).is_err(),
        "grant revoked"
    );
}
