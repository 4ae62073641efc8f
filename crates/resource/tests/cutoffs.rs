//! Bulk revocation (a not-before cut-off of a user or a client, contract v2) reaches the
//! verifier in every mode, against a real ciam on Postgres and a real Redis: tokens issued
//! up to the cut-off are refused, grantless ones included, tokens issued after it are not.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ciam_resource::{Rejection, Verifier};

use crate::support::ciam::{Ciam, Options, USERNAME};
use crate::support::{assert_eventually, verifier, Mode, EVERY_MODE};

const PROPAGATION: Duration = Duration::from_secs(3);

/// Sleeps into the next whole second, so that tokens issued before are a second older than
/// what follows.
fn next_second() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    std::thread::sleep(Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()),
    ));
}

fn verifiers(ciam: &Ciam, client: &crate::support::ciam::Client) -> Vec<(Mode, Verifier)> {
    EVERY_MODE
        .iter()
        .map(|mode| (*mode, verifier(ciam, *mode, client)))
        .collect()
}

#[test]
fn a_users_cutoff_refuses_their_tokens_in_every_mode_and_accepts_later_ones() {
    // Its own ciam: signing the shared user out everywhere would disturb other tests.
    let ciam = Ciam::start(Options::full_stack());
    let client = ciam.client();
    let verifiers = verifiers(&ciam, &client);
    let older = ciam.password_tokens(&client, "read");
    next_second();
    let just_before = ciam.password_tokens(&client, "read");
    let client_token = ciam.client_token(&client);
    let user = ciam
        .services
        .accounts
        .find_user_by_username(USERNAME)
        .expect("read")
        .expect("the user");
    let revoked = ciam
        .services
        .sessions
        .sign_out_everywhere(&user.id, &ciam_domain::Initiator::cli())
        .expect("signed out everywhere");
    assert_eq!(revoked.grant_count, 2);
    // In the cut-off's own second, and after it.
    let same_second = ciam.password_tokens(&client, "read");
    next_second();
    let after = ciam.password_tokens(&client, "read");
    for (mode, verifier) in &verifiers {
        for token in [&older.access, &just_before.access] {
            assert_eventually(
                verifier,
                token,
                Err(Rejection::Revoked),
                PROPAGATION,
                &format!("{mode:?}: a token of the user issued before the cut-off"),
            );
        }
        for token in [&same_second.access, &after.access, &client_token] {
            assert!(
                verifier.verify(token).is_ok(),
                "{mode:?}: issued after the cut-off, or not the user's"
            );
        }
    }
}

#[test]
fn a_clients_cutoff_refuses_its_grantless_tokens_in_every_mode() {
    let ciam = Ciam::shared_full_stack();
    let client = ciam.client();
    let bystander = ciam.client();
    let verifiers = verifiers(ciam, &client);
    let grantless = ciam.client_token(&client);
    let with_grant = ciam.password_tokens(&client, "read");
    let others = ciam.client_token(&bystander);
    next_second();
    let just_before = ciam.client_token(&client);
    ciam.services
        .clients
        .revoke_everything(&client.id, &ciam_domain::Initiator::cli())
        .expect("revoked")
        .expect("the client exists");
    let after = ciam.client_token(&client);
    for (mode, verifier) in &verifiers {
        for token in [&grantless, &with_grant.access, &just_before] {
            assert_eventually(
                verifier,
                token,
                Err(Rejection::Revoked),
                PROPAGATION,
                &format!("{mode:?}: a token of the client issued before the cut-off"),
            );
        }
        for token in [&after, &others] {
            assert!(
                verifier.verify(token).is_ok(),
                "{mode:?}: issued after the cut-off, or another client's"
            );
        }
    }
}
