//! The admin API's view of a user's sessions and grants, on fakes: what is listed, what
//! ending one does, and that another user's ids are answered as unknown ones.

use std::sync::atomic::Ordering;

use super::{AdminCaller, AdminOpError, ADMIN_SCOPE};
use crate::authorization::model::AuthorizationParams;
use crate::client::{Client, GrantType, Redirects};
use crate::clients::NewClient;
use crate::issuance::{GrantRequest, IssuedTokens, TokenError};
use crate::paging::Page;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::sessions::model::Session;
use crate::testing::scenario::*;
use crate::testing::Harness;
use crate::user::User;

fn admin(h: &Harness) -> AdminCaller {
    let client = h
        .services
        .clients
        .create_client(NewClient {
            name: "back office".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scope: Scope::parse(ADMIN_SCOPE).expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client")
        .0;
    let token = h
        .services
        .tokens
        .issue(
            &client,
            GrantRequest::ClientCredentials {
                scope: Some(Scope::parse(ADMIN_SCOPE).expect("scope")),
            },
        )
        .expect("token")
        .access_token;
    h.services.admin.authorize(&token, None).expect("an admin")
}

/// A client of the hosted login page, told of logouts on its back channel.
fn web_client(h: &Harness) -> Client {
    h.services
        .clients
        .create_client(NewClient {
            name: "web".into(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scope: Scope::parse("openid").expect("scope"),
            public: false,
            redirects: Redirects {
                redirect_uris: vec!["https://app.example/cb".into()],
                backchannel_logout_uri: Some("https://app.example/logout".into()),
                ..Redirects::default()
            },
        })
        .expect("client")
        .0
}

/// `user` signs in on the login page (a new session) and `client` gets tokens through it.
fn signed_in_through(h: &Harness, user: &User, client: &Client) -> (Session, IssuedTokens) {
    let (_, session) = h.services.sessions.start(user, None).expect("session");
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
    let code = h
        .services
        .authorization
        .issue_code(&request, &session)
        .expect("code");
    let tokens = h
        .services
        .tokens
        .issue(
            client,
            GrantRequest::AuthorizationCode {
                code,
                redirect_uri: Some("https://app.example/cb".into()),
                code_verifier: None,
            },
        )
        .expect("tokens");
    (session, tokens)
}

fn password_tokens(h: &Harness, client: &Client, username: &str) -> IssuedTokens {
    h.services
        .tokens
        .issue(
            client,
            GrantRequest::Password {
                username: username.into(),
                password: Secret::new("correct horse"),
                scope: None,
                client_address: None,
            },
        )
        .expect("password grant")
}

fn refreshes(h: &Harness, client: &Client, tokens: &IssuedTokens) -> bool {
    let token = tokens.refresh_token.as_ref().expect("a refresh token");
    match refresh(h, client, token) {
        Ok(_) => true,
        Err(TokenError::InvalidGrant) => false,
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_users_live_sessions_are_listed_with_their_clients_and_no_one_elses() {
    let h = harness();
    let caller = admin(&h);
    let web = web_client(&h);
    let alice = h.user("alice");
    let bob = h.user("bob");
    let (with_client, _) = signed_in_through(&h, &alice, &web);
    let (_, plain) = h.services.sessions.start(&alice, None).expect("session");
    let (ended, _) = signed_in_through(&h, &alice, &web);
    h.services
        .sessions
        .end(&ended, &crate::audit::Initiator::system())
        .expect("logout");
    h.services.sessions.start(&bob, None).expect("bob's");

    let Page { items, next } = h
        .services
        .admin
        .list_user_sessions(&caller, alice.id.as_str(), None, None)
        .expect("listed");
    assert_eq!(next, None);
    let mut expected = vec![with_client.id.clone(), plain.id.clone()];
    expected.sort();
    assert_eq!(
        items.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        expected
    );
    let shown = items
        .iter()
        .find(|s| s.id == with_client.id)
        .expect("listed");
    assert_eq!(shown.clients, vec![web.id.clone()]);
    assert_eq!(shown.created_at, with_client.auth_time);
    assert_eq!(shown.expires_at, with_client.expires_at);
    // Nothing of the cookie: its hash is in no field.
    assert!(!format!("{items:?}").contains(with_client.token_hash.as_str()));

    // Pages of one.
    let first = h
        .services
        .admin
        .list_user_sessions(&caller, alice.id.as_str(), Some(1), None)
        .expect("page");
    assert_eq!(first.items.len(), 1);
    let after = first.next.expect("a next page");
    let second = h
        .services
        .admin
        .list_user_sessions(&caller, alice.id.as_str(), Some(1), Some(&after))
        .expect("page");
    assert_eq!(second.items.len(), 1);
    assert_ne!(second.items[0].id, first.items[0].id);
    assert_eq!(second.next, None);

    // Idle for the timeout: no longer live, no longer listed.
    h.advance(h.services.config().session_idle_timeout);
    let idle = h
        .services
        .admin
        .list_user_sessions(&caller, alice.id.as_str(), None, None)
        .expect("listed");
    assert!(idle.items.is_empty());
}

#[test]
fn list_parameters_and_unknown_users_are_refused() {
    let h = harness();
    let caller = admin(&h);
    let alice = h.user("alice");
    let admin = &h.services.admin;
    for limit in [0, 1001] {
        assert_eq!(
            admin.list_user_sessions(&caller, alice.id.as_str(), Some(limit), None),
            Err(AdminOpError::InvalidQuery("limit must be 1 to 1000"))
        );
        assert_eq!(
            admin.list_user_grants(&caller, alice.id.as_str(), Some(limit), None),
            Err(AdminOpError::InvalidQuery("limit must be 1 to 1000"))
        );
    }
    assert_eq!(
        admin.list_user_grants(&caller, alice.id.as_str(), None, Some("a\0b")),
        Err(AdminOpError::InvalidQuery(
            "after must be the next of a previous page"
        ))
    );
    assert!(admin
        .list_user_sessions(&caller, alice.id.as_str(), Some(1000), None)
        .is_ok());
    for unknown in ["nobody", "", "a\0b", &"x".repeat(300)] {
        assert_eq!(
            admin.list_user_sessions(&caller, unknown, None, None),
            Err(AdminOpError::NotFound)
        );
        assert_eq!(
            admin.list_user_grants(&caller, unknown, None, None),
            Err(AdminOpError::NotFound)
        );
        assert_eq!(
            admin.end_user_session(&caller, unknown, "s"),
            Err(AdminOpError::NotFound)
        );
        assert_eq!(
            admin.revoke_user_grant(&caller, unknown, "g"),
            Err(AdminOpError::NotFound)
        );
    }
}

#[test]
fn ending_a_session_is_logout_and_another_users_session_is_unknown() {
    let h = harness();
    let caller = admin(&h);
    let web = web_client(&h);
    let alice = h.user("alice");
    let bob = h.user("bob");
    let (session, tokens) = signed_in_through(&h, &alice, &web);
    let (bobs, bobs_tokens) = signed_in_through(&h, &bob, &web);
    let admin = &h.services.admin;

    // Bob's session through Alice's path, and ids that are none: the same answer, and
    // nothing ends.
    for wrong in [bobs.id.as_str(), "unknown", "", "a\0b", &"x".repeat(300)] {
        assert_eq!(
            admin.end_user_session(&caller, alice.id.as_str(), wrong),
            Err(AdminOpError::NoSuchSession),
            "{wrong:?}"
        );
    }
    assert!(active(&h, &web, &bobs_tokens.access_token));
    assert!(active(&h, &web, &tokens.access_token));
    assert!(h.notifier.delivered.lock().expect("lock").is_empty());

    admin
        .end_user_session(&caller, alice.id.as_str(), session.id.as_str())
        .expect("ended");
    assert!(!active(&h, &web, &tokens.access_token), "denied at once");
    assert!(!refreshes(&h, &web, &tokens));
    let delivered = h.notifier.delivered.lock().expect("lock").clone();
    assert_eq!(delivered.len(), 1, "a logout token to the web client");
    assert_eq!(delivered[0].uri, "https://app.example/logout");
    let (_, lines) = crate::testing::fake_token_parts(&delivered[0].logout_token).expect("ours");
    assert_eq!(lines[3], alice.id.as_str(), "sub");
    assert_eq!(lines[4], session.id.as_str(), "the session's sid");
    let listed = admin
        .list_user_sessions(&caller, alice.id.as_str(), None, None)
        .expect("listed");
    assert!(listed.items.is_empty());
    // Ending it again is harmless; Bob's is untouched.
    admin
        .end_user_session(&caller, alice.id.as_str(), session.id.as_str())
        .expect("again");
    assert!(active(&h, &web, &bobs_tokens.access_token));
    assert!(refreshes(&h, &web, &bobs_tokens));
    let bobs_listed = admin
        .list_user_sessions(&caller, bob.id.as_str(), None, None)
        .expect("listed");
    assert_eq!(bobs_listed.items.len(), 1);
    assert_eq!(bobs_listed.items[0].id, bobs.id);
}

#[test]
fn a_users_live_grants_are_listed_and_one_is_revoked_as_rfc_7009_does() {
    let h = harness();
    let caller = admin(&h);
    let app = confidential(&h);
    let web = web_client(&h);
    let alice = h.user("alice");
    h.user("bob");
    let now = h.clock_now();
    let first = password_tokens(&h, &app, "alice");
    let second = password_tokens(&h, &app, "alice");
    let (session, born_in_session) = signed_in_through(&h, &alice, &web);
    let bobs = password_tokens(&h, &app, "bob");
    let admin = &h.services.admin;

    let page = admin
        .list_user_grants(&caller, alice.id.as_str(), None, None)
        .expect("listed");
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.next, None);
    let ttl = h.services.config().refresh_token_ttl;
    for grant in &page.items {
        assert_eq!(grant.created_at, now);
        assert_eq!(grant.expires_at, now.plus_seconds(ttl));
    }
    let in_session = page
        .items
        .iter()
        .find(|g| g.client_id == web.id)
        .expect("the web client's");
    assert_eq!(in_session.session_id.as_ref(), Some(&session.id));
    assert_eq!(in_session.scope, Scope::parse("openid").expect("scope"));
    let shown = format!("{:?}", page.items);
    for token in [&first, &second, &born_in_session] {
        let refresh = token.refresh_token.as_ref().expect("refresh");
        assert!(!shown.contains(refresh.expose()));
        assert!(!shown.contains(refresh.hash().as_str()));
    }

    // Which grant each token belongs to: its `gid`.
    let claims = |tokens: &IssuedTokens| {
        h.services
            .introspection
            .introspect(&app, &tokens.access_token, None)
            .expect("introspected")
    };
    let gid_of = |tokens: &IssuedTokens| match claims(tokens) {
        crate::Introspection::Access(claims) => claims.gid.expect("a grant"),
        other => panic!("not a live access token: {other:?}"),
    };
    let first_grant = gid_of(&first);
    let bobs_grant = gid_of(&bobs);

    // Bob's grant through Alice's path, and ids that are none: the same answer.
    for wrong in [bobs_grant.as_str(), "unknown", "", "a\0b"] {
        assert_eq!(
            admin.revoke_user_grant(&caller, alice.id.as_str(), wrong),
            Err(AdminOpError::NoSuchGrant),
            "{wrong:?}"
        );
    }
    assert!(active(&h, &app, &bobs.access_token));

    admin
        .revoke_user_grant(&caller, alice.id.as_str(), first_grant.as_str())
        .expect("revoked");
    assert!(!active(&h, &app, &first.access_token), "denied at once");
    assert!(!refreshes(&h, &app, &first));
    // Only that one.
    assert!(active(&h, &app, &second.access_token));
    assert!(refreshes(&h, &app, &second));
    assert!(active(&h, &app, &bobs.access_token));
    let left = admin
        .list_user_grants(&caller, alice.id.as_str(), None, None)
        .expect("listed");
    assert_eq!(left.items.len(), 2);
    assert!(left.items.iter().all(|g| g.id != first_grant));
    // Again: harmless.
    admin
        .revoke_user_grant(&caller, alice.id.as_str(), first_grant.as_str())
        .expect("again");
}

#[test]
fn an_outage_is_unavailable_never_not_found() {
    let h = harness();
    let caller = admin(&h);
    let alice = h.user("alice");
    h.store.down.store(true, Ordering::SeqCst);
    let admin = &h.services.admin;
    assert!(matches!(
        admin.list_user_sessions(&caller, alice.id.as_str(), None, None),
        Err(AdminOpError::Unavailable(_))
    ));
    assert!(matches!(
        admin.list_user_grants(&caller, alice.id.as_str(), None, None),
        Err(AdminOpError::Unavailable(_))
    ));
    assert!(matches!(
        admin.end_user_session(&caller, alice.id.as_str(), "s"),
        Err(AdminOpError::Unavailable(_))
    ));
    assert!(matches!(
        admin.revoke_user_grant(&caller, alice.id.as_str(), "g"),
        Err(AdminOpError::Unavailable(_))
    ));
}
