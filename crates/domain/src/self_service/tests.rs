//! Self-service, on fakes: every rule of the password change, the reset and the profile
//! update.

use crate::accounts::model::Profile;
use crate::client::{Client, GrantType};
use crate::clients::NewClient;
use crate::issuance::GrantRequest;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::self_service::{
    ChangePasswordError, FieldChange, PasswordChange, ProfileChange, ProfileError,
    ResetPasswordError, ResetRequestError, SelfServiceAuthError, UserCaller,
};
use crate::testing::scenario::*;
use crate::testing::Harness;
use crate::PasswordRejected;

const NEW: &str = "a brand new passphrase";

fn change(current: &str, new: &str) -> PasswordChange {
    PasswordChange {
        current_password: Secret::new(current),
        new_password: Secret::new(new),
        keep_current_session: false,
        client_address: None,
    }
}

fn caller(h: &Harness, token: &str) -> UserCaller {
    h.services
        .self_service
        .caller(token, None, None)
        .expect("a user's live token")
}

fn sign_in(h: &Harness, client: &Client, password: &str) -> bool {
    tokens_for(h, client, password).is_some()
}

/// Alice's access token, signing in with `password`.
fn tokens_for(h: &Harness, client: &Client, password: &str) -> Option<String> {
    h.services
        .tokens
        .issue(
            client,
            GrantRequest::Password {
                username: "alice".into(),
                password: Secret::new(password),
                scope: None,
                client_address: None,
            },
        )
        .ok()
        .map(|tokens| tokens.access_token)
}

#[test]
fn a_change_needs_the_current_password_then_signs_out_everywhere() {
    let h = harness();
    let client = confidential(&h);
    let first = user_tokens(&h, &client);
    let second = user_tokens(&h, &client);
    let me = caller(&h, &first.access_token);
    assert_eq!(
        h.services
            .self_service
            .change_password(&me, change("wrong horse", NEW))
            .err(),
        Some(ChangePasswordError::WrongPassword)
    );
    assert!(active(&h, &client, &first.access_token), "nothing happened");

    h.advance(1);
    let issued = h
        .services
        .self_service
        .change_password(&me, change("correct horse", NEW))
        .expect("changed");
    assert!(issued.is_none(), "no keep_current_session: nothing issued");
    for token in [&first.access_token, &second.access_token] {
        assert!(
            !active(&h, &client, token),
            "every token of the user is dead"
        );
    }
    let refresh_token = second.refresh_token.expect("refresh token");
    assert!(refresh(&h, &client, &refresh_token).is_err());
    assert!(
        !sign_in(&h, &client, "correct horse"),
        "the old password fails"
    );
    assert!(sign_in(&h, &client, NEW), "the new one works");
}

#[test]
fn keep_current_session_gives_the_caller_a_new_grant_with_the_same_scope() {
    let h = harness();
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    let me = caller(&h, &tokens.access_token);
    let issued = h
        .services
        .self_service
        .change_password(
            &me,
            PasswordChange {
                keep_current_session: true,
                ..change("correct horse", NEW)
            },
        )
        .expect("changed")
        .expect("tokens: the caller's token had a grant");
    assert!(
        !active(&h, &client, &tokens.access_token),
        "the old token is dead"
    );
    assert!(
        active(&h, &client, &issued.access_token),
        "the new one lives"
    );
    assert_eq!(issued.scope, tokens.scope);
    let old_refresh = tokens.refresh_token.expect("refresh token");
    assert!(
        refresh(&h, &client, &old_refresh).is_err(),
        "the old grant is dead"
    );
    let new_refresh = issued.refresh_token.expect("a new refresh token");
    assert!(
        refresh(&h, &client, &new_refresh).is_ok(),
        "the new grant lives"
    );
}

#[test]
fn keep_current_session_without_a_grant_issues_nothing() {
    let h = harness();
    let (client, _) = client(&h, &[GrantType::Password], false);
    let tokens = user_tokens(&h, &client);
    assert!(tokens.refresh_token.is_none());
    let me = caller(&h, &tokens.access_token);
    let issued = h
        .services
        .self_service
        .change_password(
            &me,
            PasswordChange {
                keep_current_session: true,
                ..change("correct horse", NEW)
            },
        )
        .expect("changed");
    assert!(issued.is_none());
    assert!(!active(&h, &client, &tokens.access_token));
}

#[test]
fn only_a_users_live_token_is_a_caller() {
    let h = harness();
    let client = confidential(&h);
    let service = &h.services.self_service;
    let cc = cc_token(&h, &client);
    assert_eq!(
        service.caller(&cc, None, None).err(),
        Some(SelfServiceAuthError::InvalidToken),
        "a client_credentials token acts for no user"
    );
    assert_eq!(
        service.caller("not a token", None, None).err(),
        Some(SelfServiceAuthError::InvalidToken)
    );
    let tokens = user_tokens(&h, &client);
    h.services
        .revocation
        .revoke(&client, &tokens.access_token, None, None)
        .expect("revoked");
    assert_eq!(
        service.caller(&tokens.access_token, None, None).err(),
        Some(SelfServiceAuthError::InvalidToken)
    );
}

#[test]
fn wrong_current_passwords_are_throttled_before_any_check() {
    let h = harness();
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    let me = caller(&h, &tokens.access_token);
    let service = &h.services.self_service;
    for _ in 0..5 {
        assert_eq!(
            service.change_password(&me, change("wrong", NEW)).err(),
            Some(ChangePasswordError::WrongPassword)
        );
    }
    assert_eq!(
        service.change_password(&me, change("wrong", NEW)).err(),
        Some(ChangePasswordError::WrongPassword),
        "the sixth failure is counted; the block starts after it"
    );
    assert!(matches!(
        service.change_password(&me, change("correct horse", NEW)),
        Err(ChangePasswordError::TooManyAttempts { retry_after }) if retry_after >= 1
    ));
    assert!(
        !sign_in(&h, &client, "correct horse"),
        "the same throttle as sign-in"
    );
}

#[test]
fn the_new_password_must_pass_the_policy_and_the_history() {
    let h = Harness::new(|config| config.password_policy.history = 3);
    let client = confidential(&h);
    let service = &h.services.self_service;
    h.user("alice");
    let rejected = |current: &str, new: &str| {
        let token = tokens_for(&h, &client, current).expect("signed in");
        match service.change_password(&caller(&h, &token), change(current, new)) {
            Err(ChangePasswordError::Rejected(why)) => Some(why),
            Ok(_) => None,
            Err(other) => panic!("{other:?}"),
        }
    };
    assert_eq!(
        rejected("correct horse", "short"),
        Some(PasswordRejected::TooShort { min: 8 })
    );
    assert_eq!(
        rejected("correct horse", "password1"),
        Some(PasswordRejected::Common)
    );
    assert_eq!(
        rejected("correct horse", "ALICE"),
        Some(PasswordRejected::TooShort { min: 8 })
    );
    assert_eq!(
        rejected("correct horse", "correct horse"),
        Some(PasswordRejected::Reused { last: 3 }),
        "the current password"
    );
    h.advance(1);
    assert_eq!(rejected("correct horse", "second passphrase"), None);
    h.advance(1);
    assert_eq!(rejected("second passphrase", "third passphrase"), None);
    assert_eq!(
        rejected("third passphrase", "correct horse"),
        Some(PasswordRejected::Reused { last: 3 }),
        "two changes ago: within the last 3"
    );
    h.advance(1);
    assert_eq!(rejected("third passphrase", "fourth passphrase"), None);
    assert_eq!(
        rejected("fourth passphrase", "correct horse"),
        None,
        "three changes ago: forgotten"
    );
}

#[test]
fn the_history_keeps_the_policys_length_less_the_current_password() {
    let h = Harness::new(|config| config.password_policy.history = 2);
    let client = confidential(&h);
    let user = h.user("alice");
    for (current, new) in [
        ("correct horse", "second passphrase"),
        ("second passphrase", "third passphrase"),
    ] {
        h.advance(1);
        let token = tokens_for(&h, &client, current).expect("signed in");
        h.services
            .self_service
            .change_password(&caller(&h, &token), change(current, new))
            .expect("changed");
    }
    let history =
        crate::ports::PasswordStore::password_history(&*h.store, &user.id, 10).expect("store up");
    assert_eq!(
        history,
        ["fake$second passphrase"],
        "one row: history 2 less the current"
    );
}

fn user_with_email(h: &Harness, email: Option<&str>) {
    h.services
        .accounts
        .create_user_with_profile(
            "alice",
            &Secret::new("correct horse"),
            Profile {
                email: email.map(str::to_owned),
                ..Profile::default()
            },
            &crate::audit::Initiator::cli(),
        )
        .expect("user");
}

/// The code in the last mail sent: the line that is 43 base64url characters.
fn mailed_code(h: &Harness) -> Secret {
    let sent = h.mailer.sent.lock().expect("lock");
    let message = sent.last().expect("a mail");
    let code = message
        .text_body()
        .lines()
        .find(|line| line.len() == 43)
        .expect("a code in the mail");
    Secret::new(code)
}

#[test]
fn a_reset_code_is_mailed_only_to_an_existing_user_with_an_address() {
    let h = harness();
    let service = &h.services.self_service;
    service.send_reset_code("nobody", None).expect("no error");
    service.send_reset_code("a\0b", None).expect("no error");
    assert!(h.mailer.sent.lock().expect("lock").is_empty());

    user_with_email(&h, Some("alice@example.com"));
    service.send_reset_code("alice", None).expect("sent");
    let sent = h.mailer.sent.lock().expect("lock").clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to(), "alice@example.com");

    let h = harness();
    user_with_email(&h, None);
    h.services
        .self_service
        .send_reset_code("alice", None)
        .expect("no error");
    assert!(h.mailer.sent.lock().expect("lock").is_empty(), "no address");
}

#[test]
fn a_reset_code_works_once_and_signs_the_user_out_everywhere() {
    let h = harness();
    user_with_email(&h, Some("alice@example.com"));
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    let service = &h.services.self_service;
    service.send_reset_code("alice", None).expect("sent");
    let code = mailed_code(&h);
    assert_eq!(
        service.reset_password(&code, &Secret::new("password1"), None),
        Err(ResetPasswordError::Rejected(PasswordRejected::Common)),
    );
    h.advance(1);
    service
        .reset_password(&code, &Secret::new(NEW), None)
        .expect("a refused password left the code usable");
    assert!(!active(&h, &client, &tokens.access_token));
    assert!(sign_in(&h, &client, NEW));
    assert!(!sign_in(&h, &client, "correct horse"));
    assert_eq!(
        service.reset_password(&code, &Secret::new("yet another passphrase"), None),
        Err(ResetPasswordError::InvalidCode),
        "used"
    );
    for bad in ["", "unknown", &"x".repeat(300), "é"] {
        assert_eq!(
            service.reset_password(&Secret::new(bad), &Secret::new(NEW), None),
            Err(ResetPasswordError::InvalidCode),
            "{bad:?}"
        );
    }
}

#[test]
fn a_reset_code_expires_and_is_pruned() {
    let h = Harness::new(|config| config.password_reset_ttl = 60);
    user_with_email(&h, Some("alice@example.com"));
    h.services
        .self_service
        .send_reset_code("alice", None)
        .expect("sent");
    let code = mailed_code(&h);
    h.advance(60);
    assert_eq!(
        h.services
            .self_service
            .reset_password(&code, &Secret::new(NEW), None),
        Err(ResetPasswordError::InvalidCode)
    );
    let pruned = crate::ports::RevocationStore::prune_expired(&*h.store, h.clock_now(), 100)
        .expect("store up");
    assert!(pruned >= 1);
    assert_eq!(
        crate::ports::PasswordStore::find_password_reset(&*h.store, &code.hash())
            .expect("store up"),
        None
    );
}

#[test]
fn reset_requests_are_throttled_per_username_and_per_address() {
    let h = harness();
    let service = &h.services.self_service;
    let here = Some("192.0.2.1".parse().expect("ip"));
    for _ in 0..3 {
        service.admit_reset_request("alice", None).expect("free");
    }
    assert!(matches!(
        service.admit_reset_request("alice", None),
        Err(ResetRequestError::TooManyRequests { retry_after }) if retry_after >= 60
    ));
    for n in 0..10 {
        service
            .admit_reset_request(&format!("user{n}"), here)
            .expect("free");
    }
    assert!(
        service.admit_reset_request("someone else", here).is_err(),
        "the address is throttled across usernames"
    );
}

fn profile_client(h: &Harness) -> Client {
    h.services
        .clients
        .create_client(NewClient {
            name: "profile app".into(),
            grant_types: vec![GrantType::Password],
            scope: Scope::parse("openid profile:write").expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client")
        .0
}

fn token_with(h: &Harness, client: &Client, scope: &str) -> String {
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
        .expect("token")
        .access_token
}

#[test]
fn a_profile_update_needs_profile_write_and_unverifies_a_new_email() {
    let h = harness();
    h.services
        .accounts
        .create_user_with_profile(
            "alice",
            &Secret::new("correct horse"),
            Profile {
                name: Some("Alice".into()),
                email: Some("alice@example.com".into()),
                email_verified: true,
            },
            &crate::audit::Initiator::cli(),
        )
        .expect("user");
    let client = profile_client(&h);
    let service = &h.services.self_service;
    let read_only = token_with(&h, &client, "openid");
    assert_eq!(
        service
            .caller(&read_only, Some("profile:write"), None)
            .err(),
        Some(SelfServiceAuthError::InsufficientScope)
    );
    let token = token_with(&h, &client, "profile:write");
    let me = service
        .caller(&token, Some("profile:write"), None)
        .expect("caller");
    let same_email = service
        .update_profile(
            &me,
            ProfileChange {
                name: FieldChange::Set("Alice Doe".into()),
                email: FieldChange::Set("alice@example.com".into()),
            },
        )
        .expect("updated");
    assert_eq!(same_email.name.as_deref(), Some("Alice Doe"));
    assert_eq!(
        same_email.email_verified,
        Some(true),
        "unchanged email stays verified"
    );
    let me = service
        .caller(&token, Some("profile:write"), None)
        .expect("caller");
    let new_email = service
        .update_profile(
            &me,
            ProfileChange {
                name: FieldChange::Remove,
                email: FieldChange::Set("alice@example.org".into()),
            },
        )
        .expect("updated");
    assert_eq!(new_email.name, None);
    assert_eq!(new_email.email.as_deref(), Some("alice@example.org"));
    assert_eq!(new_email.email_verified, Some(false));
    let stored = h
        .services
        .accounts
        .find_user_by_username("alice")
        .expect("store up")
        .expect("alice");
    assert_eq!(stored.profile.email.as_deref(), Some("alice@example.org"));
    assert!(!stored.profile.email_verified);
}

#[test]
fn implausible_profile_values_are_refused() {
    let h = harness();
    h.user("alice");
    let client = profile_client(&h);
    let token = token_with(&h, &client, "profile:write");
    let service = &h.services.self_service;
    let me = service
        .caller(&token, Some("profile:write"), None)
        .expect("caller");
    for change in [
        ProfileChange {
            name: FieldChange::Set("Alice\r\nBcc: x".into()),
            ..ProfileChange::default()
        },
        ProfileChange {
            name: FieldChange::Set("n".repeat(201)),
            ..ProfileChange::default()
        },
        ProfileChange {
            name: FieldChange::Set(String::new()),
            ..ProfileChange::default()
        },
        ProfileChange {
            email: FieldChange::Set("not an address".into()),
            ..ProfileChange::default()
        },
        ProfileChange {
            email: FieldChange::Set("alice@localhost".into()),
            ..ProfileChange::default()
        },
        ProfileChange {
            email: FieldChange::Set(format!("{}@example.com", "a".repeat(250))),
            ..ProfileChange::default()
        },
    ] {
        assert!(
            matches!(
                service.update_profile(&me, change.clone()),
                Err(ProfileError::Invalid(_))
            ),
            "{change:?}"
        );
    }
}
