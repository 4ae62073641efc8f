//! UserInfo on fakes: claims by scope, and every token that names no live user refused.

use super::{UserClaims, UserInfoError};
use crate::accounts::model::Profile;
use crate::client::{Client, GrantType};
use crate::clients::NewClient;
use crate::issuance::GrantRequest;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::testing::Harness;

fn client(h: &Harness) -> Client {
    h.services
        .clients
        .create_client(NewClient {
            name: "app".into(),
            grant_types: vec![GrantType::Password, GrantType::ClientCredentials],
            scope: Scope::parse("openid profile email read").expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client")
        .0
}

fn token(h: &Harness, client: &Client, scope: &str) -> String {
    h.services
        .tokens
        .issue(
            client,
            GrantRequest::Password {
                username: "alice".into(),
                password: Secret::new("correct horse"),
                scope: Some(Scope::parse(scope).expect("scope")),
                client_address: None,
            },
        )
        .expect("tokens")
        .access_token
}

fn harness_with_alice() -> (Harness, Client, String) {
    let h = Harness::new(|_| {});
    let user = h
        .services
        .accounts
        .create_user_with_profile(
            "alice",
            &Secret::new("correct horse"),
            Profile {
                name: Some("Alice Doe".into()),
                email: Some("alice@example.com".into()),
                email_verified: false,
            },
            &crate::audit::Initiator::cli(),
        )
        .expect("user");
    let client = client(&h);
    (h, client, user.id.to_string())
}

#[test]
fn claims_are_released_by_scope() {
    let (h, client, sub) = harness_with_alice();
    let claims = |scope: &str| h.services.userinfo.claims(&token(&h, &client, scope));
    assert_eq!(
        claims("openid"),
        Ok(UserClaims {
            sub: sub.clone(),
            ..UserClaims::default()
        })
    );
    assert_eq!(
        claims("openid profile email"),
        Ok(UserClaims {
            sub,
            name: Some("Alice Doe".into()),
            preferred_username: Some("alice".into()),
            email: Some("alice@example.com".into()),
            email_verified: Some(false),
        })
    );
    assert_eq!(claims("read"), Err(UserInfoError::InsufficientScope));
}

#[test]
fn revoked_expired_foreign_and_client_tokens_are_invalid() {
    let (h, client, _) = harness_with_alice();
    let live = token(&h, &client, "openid");
    let revoked = token(&h, &client, "openid");
    h.services
        .revocation
        .revoke(&client, &revoked, None, None)
        .expect("revoked");
    assert_eq!(
        h.services.userinfo.claims(&revoked),
        Err(UserInfoError::InvalidToken)
    );
    let machine = h
        .services
        .tokens
        .issue(
            &client,
            GrantRequest::ClientCredentials {
                scope: Some(Scope::parse("openid").expect("scope")),
            },
        )
        .expect("token")
        .access_token;
    assert_eq!(
        h.services.userinfo.claims(&machine),
        Err(UserInfoError::InvalidToken),
        "a client's token names no user"
    );
    for garbage in ["", "a.b.c", &live.replace('.', "")] {
        assert_eq!(
            h.services.userinfo.claims(garbage),
            Err(UserInfoError::InvalidToken)
        );
    }
    assert!(h.services.userinfo.claims(&live).is_ok());
    h.advance(h.services.config().access_token_ttl);
    assert_eq!(
        h.services.userinfo.claims(&live),
        Err(UserInfoError::InvalidToken),
        "expired"
    );
}
