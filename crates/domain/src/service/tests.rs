//! The rules, one test each, on fakes (no I/O). Rule numbers follow docs/architecture.md.

use std::sync::atomic::Ordering;

use crate::client::{Client, GrantType};
use crate::error::OAuthError;
use crate::ports::Denylist;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::service::{
    ClientCredentials, GrantRequest, Introspection, IssuedTokens, NewClient, TokenTypeHint,
};
use crate::testing::Harness;

fn harness() -> Harness {
    Harness::new(|_| {})
}

fn client(h: &Harness, grants: &[GrantType], public: bool) -> (Client, Option<Secret>) {
    h.service
        .create_client(NewClient {
            name: "app".into(),
            grant_types: grants.to_vec(),
            scope: Scope::parse("read write").expect("valid"),
            public,
        })
        .expect("created")
}

fn confidential(h: &Harness) -> Client {
    client(
        h,
        &[
            GrantType::ClientCredentials,
            GrantType::Password,
            GrantType::RefreshToken,
        ],
        false,
    )
    .0
}

fn user_tokens(h: &Harness, client: &Client) -> IssuedTokens {
    let _ = h
        .service
        .create_user("alice", &Secret::new("correct horse"));
    h.service
        .issue(
            client,
            GrantRequest::Password {
                username: "alice".into(),
                password: Secret::new("correct horse"),
                scope: None,
                client_address: None,
            },
        )
        .expect("password grant")
}

fn refresh(h: &Harness, client: &Client, token: &Secret) -> Result<IssuedTokens, OAuthError> {
    h.service.issue(
        client,
        GrantRequest::RefreshToken {
            refresh_token: token.clone(),
            scope: None,
        },
    )
}

fn cc_token(h: &Harness, client: &Client) -> String {
    h.service
        .issue(client, GrantRequest::ClientCredentials { scope: None })
        .expect("client credentials")
        .access_token
}

fn active(h: &Harness, caller: &Client, token: &str) -> bool {
    !matches!(
        h.service.introspect(caller, token, None),
        Ok(Introspection::Inactive)
    )
}

// Rule 1: authenticate the client first.

#[test]
fn authenticates_with_the_right_secret_only() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let creds = |secret: Option<Secret>| ClientCredentials {
        client_id: client.id.to_string(),
        secret,
    };
    assert_eq!(
        h.service.authenticate(&creds(secret.clone())).map(|c| c.id),
        Ok(client.id.clone())
    );
    assert_eq!(
        h.service.authenticate(&creds(Some(Secret::new("nope")))),
        Err(OAuthError::InvalidClient)
    );
    assert_eq!(
        h.service.authenticate(&creds(None)),
        Err(OAuthError::InvalidClient)
    );
    let unknown = ClientCredentials {
        client_id: "unknown".into(),
        secret,
    };
    assert_eq!(
        h.service.authenticate(&unknown),
        Err(OAuthError::InvalidClient)
    );
}

#[test]
fn public_clients_authenticate_by_id_and_may_not_present_a_secret() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::Password, GrantType::RefreshToken], true);
    assert!(secret.is_none());
    let by_id = ClientCredentials {
        client_id: client.id.to_string(),
        secret: None,
    };
    assert!(h.service.authenticate(&by_id).is_ok());
    let with_secret = ClientCredentials {
        client_id: client.id.to_string(),
        secret: Some(Secret::new("x")),
    };
    assert_eq!(
        h.service.authenticate(&with_secret),
        Err(OAuthError::InvalidClient)
    );
}

#[test]
fn store_outage_is_unavailable_not_invalid_client() {
    let h = harness();
    let client = confidential(&h);
    h.store.down.store(true, Ordering::SeqCst);
    let creds = ClientCredentials {
        client_id: client.id.to_string(),
        secret: None,
    };
    assert!(matches!(
        h.service.authenticate(&creds),
        Err(OAuthError::Unavailable(_))
    ));
}

// Rule 3: unknown, malformed, expired, foreign-signed, already revoked: Ok.

#[test]
fn unknown_and_malformed_tokens_revoke_nothing_and_succeed() {
    let h = harness();
    let client = confidential(&h);
    for token in ["", "garbage", "a.b.c", "x.y", &"a".repeat(10_000)] {
        assert_eq!(
            h.service.revoke(&client, token, None),
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
    h.clock.advance(h.service.config().access_token_ttl);
    assert_eq!(h.service.revoke(&client, &token, None), Ok(()));
    assert_eq!(h.store.revoked_count(), 0);
}

#[test]
fn token_signed_by_a_key_we_do_not_hold_is_ignored() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    let forged = format!("otherkid{}", &token[token.find('.').unwrap_or(0)..]);
    assert_eq!(h.service.revoke(&client, &forged, None), Ok(()));
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
    assert_eq!(h.service.revoke(&client, &tampered, None), Ok(()));
    assert!(active(&h, &client, &token));
}

#[test]
fn revoking_twice_succeeds_twice() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    assert_eq!(h.service.revoke(&client, &token, None), Ok(()));
    assert_eq!(h.service.revoke(&client, &token, None), Ok(()));
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
        h.service.revoke(&other, &token, None),
        Err(OAuthError::InvalidClient)
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
        h.service.revoke(
            &other,
            refresh_token.expose(),
            Some(TokenTypeHint::RefreshToken)
        ),
        Err(OAuthError::InvalidClient)
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
        h.service.revoke(&other, rotated.expose(), None),
        Ok(()),
        "nothing left to revoke: 200, as for a token that never existed"
    );
    assert!(
        refresh(&h, &owner, &successor).is_ok(),
        "and nothing of the owner's was revoked"
    );

    let expired = user_tokens(&h, &owner).refresh_token.expect("rt");
    h.clock.advance(h.service.config().refresh_token_ttl);
    assert_eq!(h.service.revoke(&other, expired.expose(), None), Ok(()));
    assert_eq!(h.service.revoke(&other, "garbage", None), Ok(()));
}

// Rule 5: an access token revokes only itself.

#[test]
fn access_token_revocation_revokes_only_that_token() {
    let h = harness();
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    let sibling = cc_token(&h, &client);
    assert_eq!(
        h.service.revoke(&client, &tokens.access_token, None),
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
    h.service.revoke(&client, &token, None).expect("revoked");
    let live = h.store.live_revocations_for_test(h.clock_now());
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0].until().0,
        h.clock_now().0 + h.service.config().access_token_ttl
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
        h.service.revoke(&client, second_refresh.expose(), None),
        Ok(())
    );
    assert!(
        !active(&h, &client, &first.access_token),
        "earlier rotation's access token"
    );
    assert!(!active(&h, &client, &second.access_token));
    assert_eq!(
        refresh(&h, &client, &second_refresh).err(),
        Some(OAuthError::InvalidGrant)
    );
}

#[test]
fn grant_denial_lasts_as_long_as_its_latest_access_token() {
    let h = harness();
    let client = confidential(&h);
    let first = user_tokens(&h, &client);
    h.clock.advance(100);
    let second = refresh(&h, &client, first.refresh_token.as_ref().expect("rt")).expect("rotated");
    h.service
        .revoke(
            &client,
            second.refresh_token.as_ref().expect("rt").expose(),
            None,
        )
        .expect("revoked");
    let live = h.store.live_revocations_for_test(h.clock_now());
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0].until().0,
        h.clock_now().0 + h.service.config().access_token_ttl
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
        assert_eq!(h.service.revoke(&client, &access, hint), Ok(()));
        assert!(!active(&h, &client, &access), "{hint:?}");
        assert_eq!(
            h.service.revoke(&client, refresh_token.expose(), hint),
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
        h.service.revoke(&client, &token, None),
        Err(OAuthError::Unavailable(_))
    ));
    assert_eq!(h.store.revoked_count(), 1);
    // Introspection falls back to the store: never active once revoked.
    assert!(!active(&h, &client, &token));
    h.denylist.down.store(false, Ordering::SeqCst);
    assert_eq!(h.service.reconcile_denylist(), Ok(1));
    assert!(!active(&h, &client, &token));
}

#[test]
fn store_outage_is_unavailable_and_nothing_reaches_the_denylist() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.store.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.service.revoke(&client, &token, None),
        Err(OAuthError::Unavailable(_))
    ));
    assert_eq!(h.denylist.len(), 0);
}

#[test]
fn both_down_introspection_is_unavailable_not_active() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.service.key_ring().expect("cached");
    h.denylist.down.store(true, Ordering::SeqCst);
    h.store.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.service.introspect(&client, &token, None),
        Err(OAuthError::Unavailable(_))
    ));
}

// Grants and rotation.

#[test]
fn client_credentials_needs_a_confidential_client_with_the_grant() {
    let h = harness();
    let (password_only, _) = client(&h, &[GrantType::Password], false);
    let result = h.service.issue(
        &password_only,
        GrantRequest::ClientCredentials { scope: None },
    );
    assert_eq!(result.err(), Some(OAuthError::UnauthorizedClient));
    let client = confidential(&h);
    let issued = h
        .service
        .issue(&client, GrantRequest::ClientCredentials { scope: None })
        .expect("ok");
    assert!(issued.refresh_token.is_none(), "RFC 6749 §4.4.3");
}

#[test]
fn scope_beyond_the_clients_is_invalid_scope() {
    let h = harness();
    let client = confidential(&h);
    let scope = Some(Scope::parse("admin").expect("valid"));
    let result = h
        .service
        .issue(&client, GrantRequest::ClientCredentials { scope });
    assert_eq!(result.err(), Some(OAuthError::InvalidScope));
}

#[test]
fn wrong_password_and_unknown_user_are_the_same_invalid_grant() {
    let h = harness();
    let client = confidential(&h);
    h.service
        .create_user("alice", &Secret::new("correct horse"))
        .expect("created");
    for (username, password) in [("alice", "wrong password"), ("bob", "correct horse")] {
        let request = GrantRequest::Password {
            username: username.into(),
            password: Secret::new(password),
            scope: None,
            client_address: None,
        };
        assert_eq!(
            h.service.issue(&client, request).err(),
            Some(OAuthError::InvalidGrant)
        );
    }
}

fn sign_in(
    h: &Harness,
    client: &Client,
    username: &str,
    password: &str,
    address: &str,
) -> Result<IssuedTokens, OAuthError> {
    let request = GrantRequest::Password {
        username: username.into(),
        password: Secret::new(password),
        scope: None,
        client_address: Some(address.parse().expect("ip")),
    };
    h.service.issue(client, request)
}

#[test]
fn repeated_failures_for_a_username_back_off_before_any_password_check() {
    let h = harness();
    let client = confidential(&h);
    h.service
        .create_user("alice", &Secret::new("correct horse"))
        .expect("created");
    let free = h.service.config().sign_in.per_username.free_failures;
    for i in 0..=free {
        assert_eq!(
            sign_in(&h, &client, "alice", "guess", &format!("192.0.2.{i}")).err(),
            Some(OAuthError::InvalidGrant),
            "attempt {i}"
        );
    }
    assert_eq!(
        sign_in(&h, &client, "alice", "correct horse", "198.51.100.1").err(),
        Some(OAuthError::TooManyAttempts { retry_after: 1 }),
        "blocked even with the right password, from anywhere"
    );
    h.clock.advance(1);
    assert!(sign_in(&h, &client, "alice", "correct horse", "198.51.100.1").is_ok());
    assert_eq!(
        sign_in(&h, &client, "alice", "guess", "198.51.100.1").err(),
        Some(OAuthError::InvalidGrant),
        "a success starts the username afresh"
    );
}

#[test]
fn repeated_failures_from_an_address_back_off_across_usernames() {
    let h = harness();
    let client = confidential(&h);
    let free = h.service.config().sign_in.per_address.free_failures;
    for i in 0..=free {
        assert_eq!(
            sign_in(&h, &client, &format!("user{i}"), "guess", "203.0.113.9").err(),
            Some(OAuthError::InvalidGrant)
        );
    }
    assert!(matches!(
        sign_in(&h, &client, "someone-else", "guess", "203.0.113.9"),
        Err(OAuthError::TooManyAttempts { .. })
    ));
    assert_eq!(
        sign_in(&h, &client, "someone-else", "guess", "203.0.113.10").err(),
        Some(OAuthError::InvalidGrant),
        "other addresses are not held back"
    );
}

#[test]
fn refresh_rotates_and_the_old_token_stops_working() {
    let h = harness();
    let client = confidential(&h);
    let first = user_tokens(&h, &client).refresh_token.expect("rt");
    let second = refresh(&h, &client, &first)
        .expect("rotated")
        .refresh_token
        .expect("rt");
    assert_ne!(first, second);
    assert!(refresh(&h, &client, &second).is_ok());
}

#[test]
fn reuse_of_a_rotated_token_revokes_the_whole_family() {
    let h = harness();
    let client = confidential(&h);
    let first = user_tokens(&h, &client).refresh_token.expect("rt");
    let second = refresh(&h, &client, &first).expect("rotated");
    // Past the race window: not a request that lost a race, but a leaked token.
    h.clock.advance(h.service.config().refresh_race_window);
    assert_eq!(
        refresh(&h, &client, &first).err(),
        Some(OAuthError::InvalidGrant)
    );
    assert!(!active(&h, &client, &second.access_token));
    let second_refresh = second.refresh_token.expect("rt");
    assert_eq!(
        refresh(&h, &client, &second_refresh).err(),
        Some(OAuthError::InvalidGrant)
    );
}

#[test]
fn losing_a_refresh_race_is_refused_without_revoking_the_winner() {
    let h = harness();
    let client = confidential(&h);
    let first = user_tokens(&h, &client).refresh_token.expect("rt");
    let winner = refresh(&h, &client, &first).expect("rotated");
    h.clock.advance(h.service.config().refresh_race_window - 1);
    for _ in 0..3 {
        assert_eq!(
            refresh(&h, &client, &first).err(),
            Some(OAuthError::InvalidGrant),
            "the losers of the race get nothing"
        );
    }
    assert!(active(&h, &client, &winner.access_token));
    let next = refresh(&h, &client, winner.refresh_token.as_ref().expect("rt"));
    assert!(next.is_ok(), "the winner stays signed in");
}

#[test]
fn grace_period_lets_a_retry_through_without_revoking() {
    let h = Harness::new(|config| config.refresh_reuse_grace = 10);
    let client = confidential(&h);
    let first = user_tokens(&h, &client).refresh_token.expect("rt");
    let second = refresh(&h, &client, &first).expect("rotated");
    h.clock.advance(5);
    let retry = refresh(&h, &client, &first).expect("within grace");
    assert!(active(&h, &client, &second.access_token));
    assert!(refresh(&h, &client, retry.refresh_token.as_ref().expect("rt")).is_ok());
    h.clock.advance(10);
    assert_eq!(
        refresh(&h, &client, &first).err(),
        Some(OAuthError::InvalidGrant)
    );
}

#[test]
fn refresh_token_is_bound_to_its_client() {
    let h = harness();
    let owner = confidential(&h);
    let other = confidential(&h);
    let token = user_tokens(&h, &owner).refresh_token.expect("rt");
    assert_eq!(
        refresh(&h, &other, &token).err(),
        Some(OAuthError::InvalidGrant)
    );
    assert!(
        refresh(&h, &owner, &token).is_ok(),
        "a foreign attempt is not reuse"
    );
}

#[test]
fn expired_refresh_token_is_invalid_grant() {
    let h = harness();
    let client = confidential(&h);
    let token = user_tokens(&h, &client).refresh_token.expect("rt");
    h.clock.advance(h.service.config().refresh_token_ttl);
    assert_eq!(
        refresh(&h, &client, &token).err(),
        Some(OAuthError::InvalidGrant)
    );
}

#[test]
fn refresh_may_narrow_but_not_widen_scope() {
    let h = harness();
    let client = confidential(&h);
    let token = user_tokens(&h, &client).refresh_token.expect("rt");
    let wider = GrantRequest::RefreshToken {
        refresh_token: token.clone(),
        scope: Some(Scope::parse("read admin").expect("valid")),
    };
    assert_eq!(
        h.service.issue(&client, wider).err(),
        Some(OAuthError::InvalidScope)
    );
    let narrower = GrantRequest::RefreshToken {
        refresh_token: token,
        scope: Some(Scope::parse("read").expect("valid")),
    };
    assert_eq!(
        h.service
            .issue(&client, narrower)
            .expect("ok")
            .scope
            .to_string(),
        "read"
    );
}

// Introspection.

#[test]
fn introspection_reports_live_tokens_and_hides_other_clients_refresh_tokens() {
    let h = harness();
    let owner = confidential(&h);
    let other = confidential(&h);
    let tokens = user_tokens(&h, &owner);
    let refresh_token = tokens.refresh_token.expect("rt");
    assert!(matches!(
        h.service.introspect(&other, &tokens.access_token, None),
        Ok(Introspection::Access(_))
    ));
    assert!(matches!(
        h.service.introspect(&owner, refresh_token.expose(), None),
        Ok(Introspection::Refresh { .. })
    ));
    assert_eq!(
        h.service.introspect(&other, refresh_token.expose(), None),
        Ok(Introspection::Inactive)
    );
}

#[test]
fn public_clients_may_not_introspect() {
    let h = harness();
    let (public, _) = client(&h, &[GrantType::Password], true);
    assert_eq!(
        h.service.introspect(&public, "anything", None),
        Err(OAuthError::InvalidClient)
    );
}

#[test]
fn deleting_a_client_revokes_its_grants() {
    let h = harness();
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    assert_eq!(h.service.delete_client(client.id.as_str()).ok(), Some(true));
    assert!(!active(&h, &confidential(&h), &tokens.access_token));
}

// Keys.

#[test]
fn rotated_keys_keep_verifying_until_their_tokens_expire() {
    let h = harness();
    let client = confidential(&h);
    let old_token = cc_token(&h, &client);
    h.service.rotate_signing_key().expect("rotated");
    let new_token = cc_token(&h, &client);
    assert_ne!(
        old_token.split('.').next(),
        new_token.split('.').next(),
        "new key signs"
    );
    assert!(active(&h, &client, &old_token));
    assert_eq!(h.service.published_keys().expect("keys").len(), 2);
    h.clock.advance(h.service.config().access_token_ttl);
    assert_eq!(h.service.published_keys().expect("keys").len(), 1);
}

#[test]
fn a_key_rotated_elsewhere_is_found_on_first_unknown_kid() {
    let h = harness();
    let client = confidential(&h);
    cc_token(&h, &client); // caches the ring
                           // Another node rotates: this service's cache does not know the new key yet.
    let other = Harness::new(|_| {});
    let _ = other;
    let key = crate::ports::AccessTokenCodec::generate_key(
        &crate::testing::FakeCodec,
        crate::ids::Kid::new("elsewhere"),
        h.clock_now(),
    )
    .expect("key");
    crate::ports::KeyStore::add_key_retiring_others(h.store.as_ref(), &key, h.clock_now())
        .expect("stored");
    let token = crate::ports::AccessTokenCodec::sign(
        &crate::testing::FakeCodec,
        &key,
        &crate::claims::AccessClaims {
            iss: "https://issuer.test".into(),
            sub: "s".into(),
            aud: "https://issuer.test".into(),
            exp: h.clock_now().plus_seconds(60),
            iat: h.clock_now(),
            jti: crate::ids::Jti::new("j"),
            client_id: client.id.clone(),
            scope: String::new(),
            gid: None,
        },
    )
    .expect("signed");
    h.clock.advance(1);
    assert!(active(&h, &client, &token));
}

// Admin rules.

#[test]
fn public_client_cannot_have_client_credentials() {
    let h = harness();
    let result = h.service.create_client(NewClient {
        name: "spa".into(),
        grant_types: vec![GrantType::ClientCredentials],
        scope: Scope::default(),
        public: true,
    });
    assert!(result.is_err());
}

#[test]
fn client_secret_is_256_bits_and_only_its_hash_is_kept() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let secret = secret.expect("confidential");
    assert!(secret.expose().len() >= 43, "32 bytes, base64url");
    assert_eq!(client.secret_hash, Some(secret.hash()));
}

#[test]
fn duplicate_username_is_refused() {
    let h = harness();
    h.service
        .create_user("alice", &Secret::new("correct horse"))
        .expect("created");
    assert!(matches!(
        h.service.create_user("alice", &Secret::new("another one")),
        Err(crate::service::AdminError::Conflict(_))
    ));
    assert!(
        h.service.create_user("bob", &Secret::new("short")).is_err(),
        "password too short"
    );
}

#[test]
fn a_denylist_that_lost_its_entries_is_rebuilt_from_the_store() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.service.revoke(&client, &token, None).expect("revoked");
    assert_eq!(
        h.service.reconcile_denylist_if_incomplete(),
        Ok(None),
        "nothing lost yet"
    );
    h.denylist.lose_everything();
    assert_eq!(h.denylist.len(), 0);
    assert_eq!(h.service.reconcile_denylist_if_incomplete(), Ok(Some(1)));
    assert_eq!(h.denylist.len(), 1);
    assert!(!active(&h, &client, &token));
}

#[test]
fn a_failed_denylist_write_is_caught_up_by_the_next_check() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.denylist.down.store(true, Ordering::SeqCst);
    assert!(h.service.revoke(&client, &token, None).is_err());
    h.denylist.down.store(false, Ordering::SeqCst);
    // The denylist itself lost nothing, yet it is behind the store.
    assert_eq!(h.service.reconcile_denylist_if_incomplete(), Ok(Some(1)));
    assert_eq!(h.denylist.len(), 1);
    assert_eq!(h.service.reconcile_denylist_if_incomplete(), Ok(None));
}

#[test]
fn a_failed_rebuild_keeps_the_catch_up_pending_whatever_the_marker_says() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.denylist.down.store(true, Ordering::SeqCst);
    assert!(h.service.revoke(&client, &token, None).is_err());
    assert!(
        h.service.reconcile_denylist_if_incomplete().is_err(),
        "the denylist is still down"
    );
    // Back from an old dump: its marker says complete, yet the revocation is missing.
    h.denylist.down.store(false, Ordering::SeqCst);
    assert_eq!(h.denylist.is_complete(), Ok(true));
    assert_eq!(h.service.reconcile_denylist_if_incomplete(), Ok(Some(1)));
    assert!(!active(&h, &client, &token));
    assert_eq!(h.service.reconcile_denylist_if_incomplete(), Ok(None));
}

#[test]
fn a_rebuild_that_lost_entries_half_way_does_not_claim_completeness() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.service.revoke(&client, &token, None).expect("revoked");
    h.denylist.lose_everything();
    h.denylist.begin_rebuild("elsewhere").expect("begin");
    h.denylist.lose_everything();
    assert_eq!(h.denylist.finish_rebuild("elsewhere"), Ok(false));
    assert_eq!(h.denylist.is_complete(), Ok(false));
    assert_eq!(h.service.reconcile_denylist_if_incomplete(), Ok(Some(1)));
    assert_eq!(h.denylist.is_complete(), Ok(true));
}

#[test]
fn a_deleted_client_stops_authenticating_at_once_on_this_node() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let creds = ClientCredentials {
        client_id: client.id.to_string(),
        secret,
    };
    assert!(h.service.authenticate(&creds).is_ok(), "now cached");
    assert_eq!(h.service.delete_client(client.id.as_str()).ok(), Some(true));
    assert_eq!(
        h.service.authenticate(&creds),
        Err(OAuthError::InvalidClient)
    );
}

#[test]
fn cached_clients_are_reread_after_the_ttl() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let creds = ClientCredentials {
        client_id: client.id.to_string(),
        secret,
    };
    assert!(h.service.authenticate(&creds).is_ok());
    // Deleted behind the service's back, as by another node.
    crate::ports::ClientStore::delete_client(h.store.as_ref(), &client.id, h.clock_now())
        .expect("deleted");
    assert!(
        h.service.authenticate(&creds).is_ok(),
        "served from the cache within the TTL"
    );
    h.clock.advance(h.service.config().client_cache_ttl);
    assert_eq!(
        h.service.authenticate(&creds),
        Err(OAuthError::InvalidClient)
    );
}

#[test]
fn unknown_client_ids_are_cached_like_known_ones() {
    let h = harness();
    let unknown = ClientCredentials {
        client_id: "made-up".into(),
        secret: Some(Secret::new("guess")),
    };
    assert_eq!(
        h.service.authenticate(&unknown),
        Err(OAuthError::InvalidClient)
    );
    // No store read within the TTL: the store being down does not show.
    h.store.down.store(true, Ordering::SeqCst);
    assert_eq!(
        h.service.authenticate(&unknown),
        Err(OAuthError::InvalidClient),
        "answered from the cache, as a known client would be"
    );
    h.clock.advance(h.service.config().client_cache_ttl);
    assert!(
        matches!(
            h.service.authenticate(&unknown),
            Err(OAuthError::Unavailable(_))
        ),
        "re-read after the TTL"
    );
}

#[test]
fn failed_denylist_writes_are_written_first_before_the_full_rebuild() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.denylist.down.store(true, Ordering::SeqCst);
    assert!(h.service.revoke(&client, &token, None).is_err());
    h.denylist.down.store(false, Ordering::SeqCst);
    // The store is down for the rebuild's read: the rebuild fails, yet what failed here
    // before is already written.
    h.store.down.store(true, Ordering::SeqCst);
    assert!(h.service.reconcile_denylist_if_incomplete().is_err());
    assert_eq!(h.denylist.len(), 1, "the failed write, caught up at once");
    h.store.down.store(false, Ordering::SeqCst);
    assert!(!active(&h, &client, &token));
    assert_eq!(h.service.reconcile_denylist_if_incomplete(), Ok(Some(1)));
    assert_eq!(h.service.reconcile_denylist_if_incomplete(), Ok(None));
}
