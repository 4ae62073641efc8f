//! The grants and refresh-token rotation, on fakes.

use crate::client::{Client, GrantType};
use crate::issuance::{GrantRequest, IssuedTokens, TokenError};
use crate::scope::Scope;
use crate::secret::Secret;
use crate::testing::scenario::*;
use crate::testing::Harness;

// Grants and rotation.

#[test]
fn client_credentials_needs_a_confidential_client_with_the_grant() {
    let h = harness();
    let (password_only, _) = client(&h, &[GrantType::Password], false);
    let result = h.services.tokens.issue(
        &password_only,
        GrantRequest::ClientCredentials { scope: None },
    );
    assert_eq!(result.err(), Some(TokenError::UnauthorizedClient));
    let client = confidential(&h);
    let issued = h
        .services
        .tokens
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
        .services
        .tokens
        .issue(&client, GrantRequest::ClientCredentials { scope });
    assert_eq!(result.err(), Some(TokenError::InvalidScope));
}

#[test]
fn wrong_password_and_unknown_user_are_the_same_invalid_grant() {
    let h = harness();
    let client = confidential(&h);
    h.services
        .accounts
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
            h.services.tokens.issue(&client, request).err(),
            Some(TokenError::InvalidGrant)
        );
    }
}

fn sign_in(
    h: &Harness,
    client: &Client,
    username: &str,
    password: &str,
    address: &str,
) -> Result<IssuedTokens, TokenError> {
    let request = GrantRequest::Password {
        username: username.into(),
        password: Secret::new(password),
        scope: None,
        client_address: Some(address.parse().expect("ip")),
    };
    h.services.tokens.issue(client, request)
}

#[test]
fn repeated_failures_for_a_username_back_off_before_any_password_check() {
    let h = harness();
    let client = confidential(&h);
    h.services
        .accounts
        .create_user("alice", &Secret::new("correct horse"))
        .expect("created");
    let free = h.services.config().sign_in.per_username.free_failures;
    for i in 0..=free {
        assert_eq!(
            sign_in(&h, &client, "alice", "guess", &format!("192.0.2.{i}")).err(),
            Some(TokenError::InvalidGrant),
            "attempt {i}"
        );
    }
    assert_eq!(
        sign_in(&h, &client, "alice", "correct horse", "198.51.100.1").err(),
        Some(TokenError::TooManyAttempts { retry_after: 2 }),
        "blocked even with the right password, from anywhere: the 1 s block plus the rest of \
         the second the failure fell in"
    );
    h.clock.advance(1);
    assert!(
        sign_in(&h, &client, "alice", "correct horse", "198.51.100.1").is_err(),
        "a second on, the failure may have been less than a second ago"
    );
    h.clock.advance(1);
    assert!(sign_in(&h, &client, "alice", "correct horse", "198.51.100.1").is_ok());
    assert_eq!(
        sign_in(&h, &client, "alice", "guess", "198.51.100.1").err(),
        Some(TokenError::InvalidGrant),
        "a success starts the username afresh"
    );
}

#[test]
fn repeated_failures_from_an_address_back_off_across_usernames() {
    let h = harness();
    let client = confidential(&h);
    let free = h.services.config().sign_in.per_address.free_failures;
    for i in 0..=free {
        assert_eq!(
            sign_in(&h, &client, &format!("user{i}"), "guess", "203.0.113.9").err(),
            Some(TokenError::InvalidGrant)
        );
    }
    assert!(matches!(
        sign_in(&h, &client, "someone-else", "guess", "203.0.113.9"),
        Err(TokenError::TooManyAttempts { .. })
    ));
    assert_eq!(
        sign_in(&h, &client, "someone-else", "guess", "203.0.113.10").err(),
        Some(TokenError::InvalidGrant),
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
    h.clock.advance(h.services.config().refresh_race_window);
    assert_eq!(
        refresh(&h, &client, &first).err(),
        Some(TokenError::InvalidGrant)
    );
    assert!(!active(&h, &client, &second.access_token));
    let second_refresh = second.refresh_token.expect("rt");
    assert_eq!(
        refresh(&h, &client, &second_refresh).err(),
        Some(TokenError::InvalidGrant)
    );
}

#[test]
fn losing_a_refresh_race_is_refused_without_revoking_the_winner() {
    let h = harness();
    let client = confidential(&h);
    let first = user_tokens(&h, &client).refresh_token.expect("rt");
    let winner = refresh(&h, &client, &first).expect("rotated");
    h.clock.advance(h.services.config().refresh_race_window - 1);
    for _ in 0..3 {
        assert_eq!(
            refresh(&h, &client, &first).err(),
            Some(TokenError::InvalidGrant),
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
        Some(TokenError::InvalidGrant)
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
        Some(TokenError::InvalidGrant)
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
    h.clock.advance(h.services.config().refresh_token_ttl);
    assert_eq!(
        refresh(&h, &client, &token).err(),
        Some(TokenError::InvalidGrant)
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
        h.services.tokens.issue(&client, wider).err(),
        Some(TokenError::InvalidScope)
    );
    let narrower = GrantRequest::RefreshToken {
        refresh_token: token,
        scope: Some(Scope::parse("read").expect("valid")),
    };
    assert_eq!(
        h.services
            .tokens
            .issue(&client, narrower)
            .expect("ok")
            .scope
            .to_string(),
        "read"
    );
}
