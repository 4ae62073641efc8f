//! Sessions: lifetime, idle timeout, and cookie values that cannot be ours.

use crate::secret::Secret;
use crate::testing::Harness;

fn harness() -> Harness {
    Harness::new(|config| {
        config.session_lifetime = 3600;
        config.session_idle_timeout = 600;
    })
}

fn signed_in(h: &Harness) -> Secret {
    let user = h
        .services
        .accounts
        .create_user("alice", &Secret::new("correct horse"))
        .expect("user");
    h.services.sessions.start(&user, None).expect("session").0
}

#[test]
fn a_session_signs_in_until_idle_too_long() {
    let h = harness();
    let cookie = signed_in(&h);
    let current = |h: &Harness| {
        h.services
            .sessions
            .current(cookie.expose())
            .expect("store up")
    };
    assert!(current(&h).is_some());
    h.advance(599);
    assert!(
        current(&h).is_some(),
        "activity at 599 s resets the idle clock"
    );
    h.advance(599);
    assert!(current(&h).is_some());
    h.advance(600);
    assert!(current(&h).is_none(), "idle for the whole timeout");
}

#[test]
fn a_session_ends_at_its_lifetime_however_active() {
    let h = harness();
    let cookie = signed_in(&h);
    for _ in 0..6 {
        h.advance(500);
        assert!(h
            .services
            .sessions
            .current(cookie.expose())
            .expect("up")
            .is_some());
    }
    h.advance(600);
    assert!(h
        .services
        .sessions
        .current(cookie.expose())
        .expect("up")
        .is_none());
}

#[test]
fn only_the_cookie_secret_finds_a_session() {
    let h = harness();
    let cookie = signed_in(&h);
    let (_, session) = h
        .services
        .sessions
        .start(&h.user("bob"), None)
        .expect("session");
    for wrong in [
        "",
        "x",
        session.id.as_str(),
        session.token_hash.as_str(),
        &"a".repeat(300),
    ] {
        assert!(
            h.services.sessions.current(wrong).expect("up").is_none(),
            "{wrong}"
        );
    }
    assert_ne!(cookie.expose(), session.id.as_str());
}

#[test]
fn ending_a_session_revokes_what_was_born_in_it_and_burns_its_codes() {
    use crate::authorization::model::AuthorizationParams;
    use crate::client::{GrantType, Redirects};
    use crate::clients::NewClient;
    use crate::issuance::{GrantRequest, TokenError};
    use crate::scope::Scope;

    let h = harness();
    let user = h
        .services
        .accounts
        .create_user("alice", &Secret::new("correct horse"))
        .expect("user");
    let (cookie, session) = h.services.sessions.start(&user, None).expect("session");
    let client = h
        .services
        .clients
        .create_client(NewClient {
            name: "web".into(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scope: Scope::parse("openid").expect("scope"),
            public: false,
            redirects: Redirects {
                redirect_uris: vec!["https://app.example/cb".into()],
                ..Redirects::default()
            },
        })
        .expect("client")
        .0;
    let request = h
        .services
        .authorization
        .check(&AuthorizationParams {
            response_type: Some("code".into()),
            client_id: Some(client.id.to_string()),
            redirect_uri: Some("https://app.example/cb".into()),
            ..AuthorizationParams::default()
        })
        .expect("trusted");
    let exchange = |code: &Secret| {
        h.services.tokens.issue(
            &client,
            GrantRequest::AuthorizationCode {
                code: code.clone(),
                redirect_uri: Some("https://app.example/cb".into()),
                code_verifier: None,
            },
        )
    };
    let used = h
        .services
        .authorization
        .issue_code(&request, &session)
        .expect("code");
    let tokens = exchange(&used).expect("tokens");
    let unused = h
        .services
        .authorization
        .issue_code(&request, &session)
        .expect("code");

    h.services
        .sessions
        .end(&session, &crate::audit::Initiator::system())
        .expect("ended");

    assert!(h
        .services
        .sessions
        .current(cookie.expose())
        .expect("up")
        .is_none());
    assert_eq!(
        h.services
            .introspection
            .introspect(&client, &tokens.access_token, None),
        Ok(crate::Introspection::Inactive)
    );
    let refreshed = h.services.tokens.issue(
        &client,
        GrantRequest::RefreshToken {
            refresh_token: tokens.refresh_token.expect("refresh token"),
            scope: None,
        },
    );
    assert_eq!(refreshed.err(), Some(TokenError::InvalidGrant));
    assert_eq!(
        exchange(&unused).err(),
        Some(TokenError::InvalidGrant),
        "codes burnt"
    );
    h.services
        .sessions
        .end(&session, &crate::audit::Initiator::system())
        .expect("idempotent");
}
