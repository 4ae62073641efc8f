//! The admin API on fakes: who may call it, and what each operation does and refuses.

use std::sync::atomic::Ordering;

use super::{AdminAuthError, AdminCaller, AdminOpError, UserView, ADMIN_SCOPE};
use crate::accounts::model::Profile;
use crate::client::{Client, GrantType};
use crate::clients::NewClient;
use crate::issuance::{GrantRequest, IssuedTokens};
use crate::scope::Scope;
use crate::secret::Secret;
use crate::testing::scenario::*;
use crate::testing::Harness;

/// A client registered with `scope` and these grants.
fn client_with(h: &Harness, grants: &[GrantType], scope: &str) -> Client {
    h.services
        .clients
        .create_client(NewClient {
            name: "back office".into(),
            grant_types: grants.to_vec(),
            scope: Scope::parse(scope).expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client")
        .0
}

fn token_of(h: &Harness, client: &Client, request: GrantRequest) -> IssuedTokens {
    h.services.tokens.issue(client, request).expect("tokens")
}

fn cc(scope: &str) -> GrantRequest {
    GrantRequest::ClientCredentials {
        scope: Some(Scope::parse(scope).expect("scope")),
    }
}

fn password(username: &str) -> GrantRequest {
    GrantRequest::Password {
        username: username.into(),
        password: Secret::new("correct horse"),
        scope: None,
        client_address: None,
    }
}

/// An admin client and a caller authorized by one of its tokens.
fn admin(h: &Harness) -> (Client, AdminCaller) {
    let client = client_with(h, &[GrantType::ClientCredentials], ADMIN_SCOPE);
    let token = token_of(h, &client, cc(ADMIN_SCOPE)).access_token;
    let caller = h.services.admin.authorize(&token, None).expect("an admin");
    (client, caller)
}

#[test]
fn the_admin_scope_is_a_valid_scope_token() {
    let scope = Scope::parse("read ciam:admin").expect("RFC 6749 §3.3 allows ':'");
    assert!(scope.contains(ADMIN_SCOPE));
}

#[test]
fn a_client_credentials_token_with_the_admin_scope_authorizes_its_client() {
    let h = harness();
    let (client, caller) = admin(&h);
    assert_eq!(caller.client_id(), &client.id);
}

#[test]
fn tokens_that_are_not_live_client_tokens_of_ours_are_invalid() {
    let h = harness();
    let both = client_with(
        &h,
        &[GrantType::ClientCredentials, GrantType::Password],
        "ciam:admin read",
    );
    h.user("alice");
    let authorize = |token: &str| h.services.admin.authorize(token, None);
    // A person's token acts for that person, even with the admin scope.
    let users = token_of(&h, &both, password("alice")).access_token;
    assert_eq!(authorize(&users), Err(AdminAuthError::InvalidToken));
    let live = token_of(&h, &both, cc(ADMIN_SCOPE)).access_token;
    for garbage in ["", "a.b.c", &live.replace('.', ""), &"a".repeat(5000)] {
        assert_eq!(authorize(garbage), Err(AdminAuthError::InvalidToken));
    }
    let revoked = token_of(&h, &both, cc(ADMIN_SCOPE)).access_token;
    h.services
        .revocation
        .revoke(&both, &revoked, None, None)
        .expect("revoked");
    assert_eq!(authorize(&revoked), Err(AdminAuthError::InvalidToken));
    assert!(authorize(&live).is_ok());
    h.advance(h.services.config().access_token_ttl);
    assert_eq!(
        authorize(&live),
        Err(AdminAuthError::InvalidToken),
        "expired"
    );
}

#[test]
fn a_client_token_without_the_admin_scope_is_insufficient() {
    let h = harness();
    let both = client_with(&h, &[GrantType::ClientCredentials], "ciam:admin read");
    let read = token_of(&h, &both, cc("read")).access_token;
    assert_eq!(
        h.services.admin.authorize(&read, None),
        Err(AdminAuthError::InsufficientScope)
    );
    let plain = confidential(&h);
    assert_eq!(
        h.services.admin.authorize(&cc_token(&h, &plain), None),
        Err(AdminAuthError::InsufficientScope)
    );
}

#[test]
fn an_outage_is_unavailable_never_invalid() {
    let h = harness();
    let client = client_with(&h, &[GrantType::ClientCredentials], ADMIN_SCOPE);
    let token = token_of(&h, &client, cc(ADMIN_SCOPE)).access_token;
    h.denylist.down.store(true, Ordering::SeqCst);
    assert!(
        h.services.admin.authorize(&token, None).is_ok(),
        "the store answers"
    );
    h.store.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.services.admin.authorize(&token, None),
        Err(AdminAuthError::Unavailable(_))
    ));
}

#[test]
fn revoking_a_user_ends_every_token_of_theirs_and_no_one_elses() {
    let h = harness();
    let (_, caller) = admin(&h);
    let app = confidential(&h);
    let with_refresh = user_tokens(&h, &app);
    let password_only = client_with(&h, &[GrantType::Password], "read");
    h.user("bob");
    let without_refresh = token_of(&h, &password_only, password("alice"));
    assert!(without_refresh.refresh_token.is_none());
    let bobs = token_of(&h, &app, password("bob"));
    let alice = h.services.accounts.find_user_by_username("alice");
    let alice = alice.expect("read").expect("alice").id;

    let revoked = h
        .services
        .admin
        .revoke_user(&caller, alice.as_str())
        .expect("revoked");
    assert_eq!(
        revoked.grant_count, 1,
        "the password-only token has no grant"
    );

    assert!(!active(&h, &app, &with_refresh.access_token));
    assert!(!active(&h, &app, &without_refresh.access_token));
    let refresh_token = with_refresh.refresh_token.expect("refresh token");
    assert!(refresh(&h, &app, &refresh_token).is_err(), "grant revoked");
    assert!(active(&h, &app, &bobs.access_token), "another user's lives");
    // In the cut-off's own second, a new sign-in still works.
    let after = token_of(&h, &app, password("alice"));
    assert!(active(&h, &app, &after.access_token));
}

#[test]
fn revoking_a_client_ends_its_client_credentials_tokens() {
    let h = harness();
    let (_, caller) = admin(&h);
    let target = confidential(&h);
    let other = confidential(&h);
    let targets = cc_token(&h, &target);
    let others = cc_token(&h, &other);
    let revoked = h
        .services
        .admin
        .revoke_client(&caller, target.id.as_str())
        .expect("revoked");
    assert_eq!(revoked.grant_count, 0);
    assert!(!active(&h, &other, &targets));
    assert!(active(&h, &other, &others));
    assert!(active(&h, &other, &cc_token(&h, &target)), "issued after");
}

#[test]
fn an_admin_client_revoking_itself_loses_its_own_token() {
    let h = harness();
    let client = client_with(&h, &[GrantType::ClientCredentials], ADMIN_SCOPE);
    let token = token_of(&h, &client, cc(ADMIN_SCOPE)).access_token;
    let caller = h.services.admin.authorize(&token, None).expect("admin");
    h.services
        .admin
        .revoke_client(&caller, client.id.as_str())
        .expect("revoked");
    assert_eq!(
        h.services.admin.authorize(&token, None),
        Err(AdminAuthError::InvalidToken)
    );
}

#[test]
fn a_user_is_shown_without_their_password_hash() {
    let h = harness();
    let (_, caller) = admin(&h);
    let user = h
        .services
        .accounts
        .create_user_with_profile(
            "carol",
            &Secret::new("correct horse"),
            Profile {
                name: Some("Carol Doe".into()),
                email: Some("carol@example.com".into()),
                email_verified: false,
            },
            &crate::audit::Initiator::cli(),
        )
        .expect("user");
    let view = h
        .services
        .admin
        .get_user(&caller, user.id.as_str())
        .expect("found");
    assert_eq!(
        view,
        UserView {
            id: user.id.clone(),
            username: "carol".into(),
            name: Some("Carol Doe".into()),
            email: Some("carol@example.com".into()),
            email_verified: false,
            created_at: user.created_at,
            disabled_at: None,
        }
    );
    assert!(!format!("{view:?}").contains(&user.password_hash));
}

#[test]
fn unknown_and_impossible_ids_are_not_found() {
    let h = harness();
    let (_, caller) = admin(&h);
    let admin = &h.services.admin;
    let long = "a".repeat(300);
    for id in ["", "nobody", "a\0b", "é", long.as_str()] {
        assert_eq!(admin.get_user(&caller, id), Err(AdminOpError::NotFound));
        assert_eq!(admin.revoke_user(&caller, id), Err(AdminOpError::NotFound));
        assert_eq!(
            admin.revoke_client(&caller, id),
            Err(AdminOpError::NotFound)
        );
    }
}

#[test]
fn an_outage_during_an_operation_is_unavailable() {
    let h = harness();
    let (_, caller) = admin(&h);
    let user = h.user("dave");
    h.store.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.services.admin.revoke_user(&caller, user.id.as_str()),
        Err(AdminOpError::Unavailable(_))
    ));
    assert!(matches!(
        h.services.admin.get_user(&caller, user.id.as_str()),
        Err(AdminOpError::Unavailable(_))
    ));
}

fn new_user(username: &str, password: &str) -> super::NewUser {
    super::NewUser {
        username: username.into(),
        password: Secret::new(password),
        name: None,
        email: None,
    }
}

#[test]
fn creating_a_user_checks_each_field_and_refuses_a_taken_username() {
    use crate::accounts::validation::InvalidUser;
    let h = harness();
    let (_, caller) = admin(&h);
    let admin = &h.services.admin;
    let created = admin
        .create_user(
            &caller,
            super::NewUser {
                email: Some("erin@example.com".into()),
                name: Some("Erin".into()),
                ..new_user("erin", "correct horse")
            },
        )
        .expect("created");
    assert_eq!(
        (
            created.username.as_str(),
            created.email_verified,
            created.disabled_at
        ),
        ("erin", false, None)
    );
    assert_eq!(
        admin.create_user(&caller, new_user("erin", "another password")),
        Err(AdminOpError::UsernameTaken)
    );
    assert_eq!(
        admin.create_user(&caller, new_user("", "correct horse")),
        Err(AdminOpError::InvalidUser(InvalidUser::Username))
    );
    assert_eq!(
        admin.create_user(&caller, new_user("frank", "short")),
        Err(AdminOpError::InvalidUser(InvalidUser::Password))
    );
    let bad_email = super::NewUser {
        email: Some("not an address".into()),
        ..new_user("frank", "correct horse")
    };
    assert_eq!(
        admin.create_user(&caller, bad_email),
        Err(AdminOpError::InvalidUser(InvalidUser::Email))
    );
}

#[test]
fn a_profile_patch_changes_only_what_it_names_and_a_new_email_is_unverified() {
    let h = harness();
    let (_, caller) = admin(&h);
    let admin = &h.services.admin;
    let user = admin
        .create_user(
            &caller,
            super::NewUser {
                email: Some("gail@example.com".into()),
                name: Some("Gail".into()),
                ..new_user("gail", "correct horse")
            },
        )
        .expect("created");
    let id = user.id.as_str();
    let verified = admin
        .update_user(
            &caller,
            id,
            super::ProfilePatch {
                email_verified: Some(true),
                ..Default::default()
            },
        )
        .expect("updated");
    assert_eq!(
        (verified.name.as_deref(), verified.email_verified),
        (Some("Gail"), true)
    );
    let moved = admin
        .update_user(
            &caller,
            id,
            super::ProfilePatch {
                email: Some(Some("gail@elsewhere.example".into())),
                name: Some(None),
                ..Default::default()
            },
        )
        .expect("updated");
    assert_eq!(moved.email.as_deref(), Some("gail@elsewhere.example"));
    assert!(!moved.email_verified, "a new address is not verified");
    assert_eq!(moved.name, None, "cleared");
    assert!(matches!(
        admin.update_user(
            &caller,
            id,
            super::ProfilePatch {
                name: Some(Some("a\nb".into())),
                ..Default::default()
            }
        ),
        Err(AdminOpError::InvalidUser(_))
    ));
    assert_eq!(
        admin.update_user(&caller, "nobody", super::ProfilePatch::default()),
        Err(AdminOpError::NotFound)
    );
}

#[test]
fn disable_enable_and_delete_through_the_admin_api() {
    let h = harness();
    let (_, caller) = admin(&h);
    let app = confidential(&h);
    let tokens = user_tokens(&h, &app);
    let admin = &h.services.admin;
    let alice = h.services.accounts.find_user_by_username("alice");
    let id = alice.expect("read").expect("alice").id;
    let (view, revoked) = admin.disable_user(&caller, id.as_str()).expect("disabled");
    assert_eq!(view.disabled_at, Some(h.clock_now()));
    assert_eq!(revoked.grant_count, 1);
    assert!(!active(&h, &app, &tokens.access_token));
    let view = admin.enable_user(&caller, id.as_str()).expect("enabled");
    assert_eq!(view.disabled_at, None);
    admin.delete_user(&caller, id.as_str()).expect("deleted");
    assert_eq!(
        admin.get_user(&caller, id.as_str()),
        Err(AdminOpError::NotFound)
    );
    for id in [id.as_str(), "nobody", "a\0b"] {
        assert_eq!(admin.delete_user(&caller, id), Err(AdminOpError::NotFound));
        assert!(matches!(
            admin.disable_user(&caller, id),
            Err(AdminOpError::NotFound)
        ));
        assert_eq!(admin.enable_user(&caller, id), Err(AdminOpError::NotFound));
    }
}
