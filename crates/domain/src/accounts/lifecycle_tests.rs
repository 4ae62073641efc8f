//! Disabling, enabling and deleting users, on fakes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::CodecError;
use crate::issuance::{GrantRequest, TokenError};
use crate::kernel::{Ports, ServiceConfig};
use crate::ports::PasswordHasher;
use crate::secret::Secret;
use crate::services::Services;
use crate::testing::scenario::*;
use crate::testing::{FakeHasher, Harness};

use super::SignInError;

const PASSWORD: &str = "correct horse";

fn sign_in(services: &Services, username: &str, password: &str) -> Result<(), SignInError> {
    services
        .accounts
        .sign_in(username, &Secret::new(password), None)
        .map(drop)
}

fn password_grant(h: &Harness, client: &crate::client::Client) -> Result<(), TokenError> {
    h.services
        .tokens
        .issue(
            client,
            GrantRequest::Password {
                username: "alice".into(),
                password: Secret::new(PASSWORD),
                scope: None,
                client_address: None,
            },
        )
        .map(drop)
}

#[test]
fn a_disabled_user_cannot_sign_in_and_gets_the_wrong_password_answer() {
    let h = harness();
    let alice = h.user("alice");
    h.services
        .lifecycle
        .disable_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("disabled")
        .expect("alice exists");
    let disabled = sign_in(&h.services, "alice", PASSWORD);
    let wrong = sign_in(&h.services, "alice", "not her password");
    let unknown = sign_in(&h.services, "nobody", PASSWORD);
    assert_eq!(disabled, Err(SignInError::WrongCredentials));
    assert_eq!(disabled, wrong);
    assert_eq!(disabled, unknown);
    let client = confidential(&h);
    assert_eq!(password_grant(&h, &client), Err(TokenError::InvalidGrant));
}

/// Counts argon2 work: every hash and every verify.
#[derive(Default)]
struct CountingHasher(AtomicUsize);

impl PasswordHasher for CountingHasher {
    fn hash(&self, password: &str) -> Result<String, CodecError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        FakeHasher.hash(password)
    }
    fn verify(&self, password: &str, hash: &str) -> Result<bool, CodecError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        FakeHasher.verify(password, hash)
    }
}

#[test]
fn a_disabled_users_sign_in_costs_one_password_check_like_any_other() {
    let h = harness();
    let hasher = Arc::new(CountingHasher::default());
    let services = Services::new(
        Ports {
            passwords: hasher.clone(),
            ..h.ports.clone()
        },
        ServiceConfig::new("https://issuer.test"),
    );
    let alice = services
        .accounts
        .create_user("alice", &Secret::new(PASSWORD))
        .expect("alice");
    services
        .lifecycle
        .disable_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("disabled");
    for (username, password) in [
        ("alice", PASSWORD),
        ("alice", "not her password"),
        ("nobody", PASSWORD),
    ] {
        let before = hasher.0.load(Ordering::SeqCst);
        assert!(sign_in(&services, username, password).is_err());
        assert_eq!(
            hasher.0.load(Ordering::SeqCst) - before,
            1,
            "{username}/{password}: one argon2 call, so timing tells nothing"
        );
    }
}

#[test]
fn disabling_cuts_off_every_token_of_theirs_and_no_one_elses() {
    let h = harness();
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    h.user("bob");
    let bobs = h
        .services
        .tokens
        .issue(
            &client,
            GrantRequest::Password {
                username: "bob".into(),
                password: Secret::new(PASSWORD),
                scope: None,
                client_address: None,
            },
        )
        .expect("bob signs in");
    let alice = h.services.accounts.find_user_by_username("alice");
    let alice = alice.expect("read").expect("alice");
    let (user, revoked) = h
        .services
        .lifecycle
        .disable_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("disabled")
        .expect("alice exists");
    assert_eq!(user.disabled_at, Some(h.clock_now()));
    assert_eq!(revoked.grant_count, 1);
    assert!(!active(&h, &client, &tokens.access_token));
    let refresh_token = tokens.refresh_token.expect("refresh token");
    assert!(
        refresh(&h, &client, &refresh_token).is_err(),
        "grant revoked"
    );
    assert!(active(&h, &client, &bobs.access_token), "bob's token lives");
}

#[test]
fn enabling_lets_them_sign_in_again_and_what_was_revoked_stays_revoked() {
    let h = harness();
    let client = confidential(&h);
    let old = user_tokens(&h, &client);
    let alice = h.services.accounts.find_user_by_username("alice");
    let alice = alice.expect("read").expect("alice");
    let lifecycle = &h.services.lifecycle;
    lifecycle
        .disable_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("disabled");
    h.advance(1);
    let enabled = lifecycle
        .enable_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("enabled")
        .expect("alice exists");
    assert_eq!(enabled.disabled_at, None);
    assert_eq!(sign_in(&h.services, "alice", PASSWORD), Ok(()));
    assert_eq!(password_grant(&h, &client), Ok(()));
    assert!(
        !active(&h, &client, &old.access_token),
        "old tokens stay revoked"
    );
    let old_refresh = old.refresh_token.expect("refresh token");
    assert!(refresh(&h, &client, &old_refresh).is_err());
}

#[test]
fn deleting_cuts_off_everything_and_frees_the_username() {
    let h = harness();
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    let alice = h.services.accounts.find_user_by_username("alice");
    let alice = alice.expect("read").expect("alice");
    let (_, revoked) = h
        .services
        .lifecycle
        .delete_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("deleted")
        .expect("alice existed");
    assert_eq!(revoked.grant_count, 1);
    assert!(!active(&h, &client, &tokens.access_token));
    assert_eq!(h.services.accounts.find_user(alice.id.as_str()), Ok(None));
    assert_eq!(password_grant(&h, &client), Err(TokenError::InvalidGrant));
    let again = h.user("alice");
    assert_ne!(again.id, alice.id, "a new user under the old username");
    assert_eq!(password_grant(&h, &client), Ok(()));
    // The old id names nobody: a second delete, a disable or an enable finds no one.
    let lifecycle = &h.services.lifecycle;
    assert!(lifecycle
        .delete_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("ok")
        .is_none());
    assert!(lifecycle
        .disable_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("ok")
        .is_none());
    assert!(lifecycle
        .enable_user(alice.id.as_str(), &crate::audit::Initiator::cli())
        .expect("ok")
        .is_none());
}

#[test]
fn ids_that_cannot_be_ids_name_nobody_and_never_reach_the_store() {
    let h = harness();
    h.store.down.store(true, Ordering::SeqCst);
    let lifecycle = &h.services.lifecycle;
    for id in ["", "a\0b", &"a".repeat(300)] {
        assert_eq!(
            lifecycle.enable_user(id, &crate::audit::Initiator::cli()),
            Ok(None)
        );
        assert!(lifecycle
            .disable_user(id, &crate::audit::Initiator::cli())
            .expect("no store call")
            .is_none());
        assert!(lifecycle
            .delete_user(id, &crate::audit::Initiator::cli())
            .expect("no store call")
            .is_none());
    }
}

#[test]
fn users_are_listed_a_page_at_a_time_with_a_cursor() {
    let h = harness();
    for i in 0..7 {
        h.user(&format!("user-{i}"));
    }
    h.user("other");
    let accounts = &h.services.accounts;
    let first = accounts.list_users(Some(3), None, None).expect("page");
    assert_eq!(first.users.len(), 3);
    let cursor = first.next.expect("more");
    let second = accounts
        .list_users(Some(3), Some(cursor.as_str()), None)
        .expect("page");
    let third = accounts
        .list_users(Some(3), second.next.as_ref().map(|id| id.as_str()), None)
        .expect("page");
    assert_eq!((second.users.len(), third.users.len()), (3, 2));
    assert_eq!(third.next, None, "the last page says so");
    let mut ids: Vec<_> = [first.users, second.users, third.users]
        .concat()
        .into_iter()
        .map(|u| u.id)
        .collect();
    let sorted = {
        let mut s = ids.clone();
        s.sort();
        s
    };
    assert_eq!(ids, sorted, "id order");
    ids.dedup();
    assert_eq!(ids.len(), 8, "no duplicates");
    let found = accounts
        .list_users(None, None, Some("user-"))
        .expect("search");
    assert_eq!(found.users.len(), 7);
    let exact = accounts
        .list_users(None, None, Some("other"))
        .expect("search");
    assert_eq!(exact.users.len(), 1);
    // A page of exactly what is left has no next.
    let all = accounts.list_users(Some(8), None, None).expect("page");
    assert_eq!((all.users.len(), all.next), (8, None));
}

#[test]
fn list_limits_and_cursors_are_checked() {
    let h = harness();
    let accounts = &h.services.accounts;
    use super::ListUsersError::*;
    assert_eq!(accounts.list_users(Some(0), None, None), Err(InvalidLimit));
    assert_eq!(
        accounts.list_users(Some(201), None, None),
        Err(InvalidLimit)
    );
    assert!(accounts.list_users(Some(200), None, None).is_ok());
    assert_eq!(
        accounts.list_users(None, Some("a\0b"), None),
        Err(InvalidCursor)
    );
    // A prefix no username can have matches nobody, without asking the store.
    h.store.down.store(true, Ordering::SeqCst);
    let none = accounts
        .list_users(None, None, Some("a\nb"))
        .expect("empty");
    assert!(none.users.is_empty() && none.next.is_none());
}

/// A token minted by the password grant is handed out only if its user may still sign in,
/// read after minting: with a grant, `create_grant` says it stored it revoked; without one,
/// the user is read again.
#[test]
fn a_user_disabled_after_the_password_check_gets_no_token() {
    let h = harness();
    let alice = h.user("alice");
    let disabled = || {
        crate::ports::UserStore::set_user_disabled(
            h.store.as_ref(),
            &alice.id,
            Some(h.clock_now()),
            &crate::testing::test_audit(),
        )
        .expect("disabled")
        .expect("alice");
    };
    disabled();
    let tokens = &h.services.tokens;
    assert_eq!(tokens.may_still_sign_in(&alice.id), Ok(false));
    assert_eq!(
        tokens.may_still_sign_in(&crate::ids::UserId::new("nobody")),
        Ok(false)
    );
    crate::ports::UserStore::set_user_disabled(
        h.store.as_ref(),
        &alice.id,
        None,
        &crate::testing::test_audit(),
    )
    .expect("enabled");
    assert_eq!(tokens.may_still_sign_in(&alice.id), Ok(true));
}

/// Another process (the CLI) disables and enables alice within one second: this node signs
/// her in again in that same second with tokens that work, dated past the cut-off it learns
/// from the store, where it would otherwise store her grant revoked and refuse her.
#[test]
fn a_user_enabled_elsewhere_in_the_second_of_the_cut_off_signs_in_at_once() {
    let h = harness();
    let client = confidential(&h);
    h.user("alice");
    let alice = h
        .services
        .accounts
        .find_user_by_username("alice")
        .expect("read")
        .expect("alice");
    let cli = Services::new(h.ports.clone(), ServiceConfig::new("https://issuer.test"));
    let by = crate::audit::Initiator::cli();
    cli.lifecycle
        .disable_user(alice.id.as_str(), &by)
        .expect("disabled");
    cli.lifecycle
        .enable_user(alice.id.as_str(), &by)
        .expect("enabled");
    let tokens = user_tokens(&h, &client);
    assert!(active(&h, &client, &tokens.access_token), "a live token");
    assert!(
        refresh(&h, &client, tokens.refresh_token.as_ref().expect("refresh")).is_ok(),
        "a live grant"
    );
}
