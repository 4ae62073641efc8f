//! Signing keys: rotation and keys rotated on another node, on fakes.

use crate::access_token::alg::SigningAlg;
use crate::claims::IdTokenClaims;
use crate::error::Fault;
use crate::keys::KeyRing;
use crate::ports::KeyStore;
use crate::testing::scenario::*;
use crate::testing::{fake_token_parts, Harness};

// Keys.

#[test]
fn rotated_keys_keep_verifying_until_their_tokens_expire() {
    let h = harness();
    let client = confidential(&h);
    let old_token = cc_token(&h, &client);
    h.services
        .access_tokens
        .rotate_signing_key(SigningAlg::EdDSA, &crate::audit::Initiator::cli())
        .expect("rotated");
    let new_token = cc_token(&h, &client);
    assert_ne!(
        old_token.split('.').next(),
        new_token.split('.').next(),
        "new key signs"
    );
    assert!(active(&h, &client, &old_token));
    let published = |h: &Harness| h.services.access_tokens.published_keys().expect("keys");
    assert_eq!(published(&h).len(), 3, "two EdDSA keys and the RS256 one");
    h.clock.advance(h.services.config().access_token_ttl);
    assert_eq!(published(&h).len(), 2, "the active key of each algorithm");
}

#[test]
fn a_key_rotated_elsewhere_is_found_on_first_unknown_kid() {
    let h = harness();
    let client = confidential(&h);
    cc_token(&h, &client); // caches the ring
    let token = token_of_a_key_rotated_elsewhere(&h, &client);
    h.clock.advance(1);
    assert!(active(&h, &client, &token));
}

#[test]
fn a_key_rotated_elsewhere_in_the_second_the_ring_was_read_is_found_at_once() {
    let h = harness();
    let client = confidential(&h);
    // The ring is read (for age, or at first use) in this second, before the rotation:
    // that read must not count as the unknown kid's re-read.
    cc_token(&h, &client);
    let token = token_of_a_key_rotated_elsewhere(&h, &client);
    assert!(active(&h, &client, &token));
}

#[test]
fn unknown_kids_cause_one_reread_a_second() {
    let h = harness();
    let client = confidential(&h);
    cc_token(&h, &client);
    // A forged kid first: it spends this second's re-read...
    let forged = sign_with_unstored_key(&h, &client, "forged");
    assert!(!active(&h, &client, &forged));
    // ...so a key rotated elsewhere after it is found from the next second on.
    let token = token_of_a_key_rotated_elsewhere(&h, &client);
    assert!(!active(&h, &client, &token));
    h.clock.advance(1);
    assert!(active(&h, &client, &token));
}

/// Another node rotates: this service's cache does not know the new key yet. A token
/// signed with the new key.
fn token_of_a_key_rotated_elsewhere(h: &Harness, client: &crate::client::Client) -> String {
    let (key, token) = signed_with_new_key(h, client, "elsewhere");
    crate::ports::KeyStore::add_key_retiring_others(
        h.store.as_ref(),
        &key,
        h.clock_now(),
        &crate::testing::test_audit(),
    )
    .expect("stored");
    token
}

/// A token signed with a key no store holds.
fn sign_with_unstored_key(h: &Harness, client: &crate::client::Client, kid: &str) -> String {
    signed_with_new_key(h, client, kid).1
}

fn signed_with_new_key(
    h: &Harness,
    client: &crate::client::Client,
    kid: &str,
) -> (crate::keys::SigningKey, String) {
    let key = crate::ports::AccessTokenCodec::generate_key(
        &crate::testing::FakeCodec,
        crate::ids::Kid::new(kid),
        SigningAlg::EdDSA,
        h.clock_now(),
    )
    .expect("key");
    let token = crate::ports::AccessTokenCodec::sign(
        &crate::testing::FakeCodec,
        &key,
        &crate::claims::AccessClaims {
            iss: "https://issuer.test".into(),
            sub: "s".into(),
            aud: "https://issuer.test".into(),
            exp: h.clock_now().plus_seconds(60),
            iat: h.clock_now(),
            jti: crate::ids::Jti::new(format!("j-{kid}")),
            client_id: client.id.clone(),
            scope: String::new(),
            gid: None,
        },
    )
    .expect("signed");
    (key, token)
}

fn ring(h: &Harness) -> KeyRing {
    KeyRing::new(h.store.list_keys().expect("keys"))
}

fn active_kid(h: &Harness, alg: SigningAlg) -> Option<String> {
    ring(h).active(alg).map(|k| k.kid.as_str().to_owned())
}

/// The kid in the header of a token the fake codec signed.
fn signed_by(token: &str) -> String {
    fake_token_parts(token)
        .map(|(kid, _)| kid)
        .unwrap_or_default()
}

#[test]
fn the_first_start_creates_a_key_for_access_tokens_and_one_for_id_tokens() {
    let h = harness();
    let keys = h.store.list_keys().expect("keys");
    let mut algs: Vec<SigningAlg> = keys.iter().map(|k| k.algorithm).collect();
    algs.sort();
    assert_eq!(algs, vec![SigningAlg::EdDSA, SigningAlg::RS256]);
    // A second start finds both and adds nothing.
    h.services
        .access_tokens
        .ensure_signing_key()
        .expect("ensure");
    assert_eq!(h.store.list_keys().expect("keys").len(), 2);
}

#[test]
fn one_algorithm_for_both_gets_one_key() {
    let h = Harness::new(|c| c.id_token_alg = SigningAlg::EdDSA);
    let keys = h.store.list_keys().expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].algorithm, SigningAlg::EdDSA);
}

#[test]
fn a_newly_configured_algorithm_gets_its_key_at_the_next_start() {
    let h = Harness::new(|c| c.id_token_alg = SigningAlg::EdDSA);
    let ed = active_kid(&h, SigningAlg::EdDSA);
    // Restarted with RS256 ID tokens, on the same store: only the RS256 key is new.
    let mut config = h.services.config().clone();
    config.id_token_alg = SigningAlg::RS256;
    let restarted = crate::services::Services::new(h.ports.clone(), config);
    restarted
        .access_tokens
        .ensure_signing_key()
        .expect("ensure");
    assert_eq!(active_kid(&h, SigningAlg::EdDSA), ed);
    assert!(active_kid(&h, SigningAlg::RS256).is_some());
    assert_eq!(h.store.list_keys().expect("keys").len(), 2);
}

#[test]
fn rotating_one_algorithm_leaves_the_other_signing() {
    let h = harness();
    let ed = active_kid(&h, SigningAlg::EdDSA);
    let rsa = active_kid(&h, SigningAlg::RS256);
    let rotated = h
        .services
        .access_tokens
        .rotate_signing_key(SigningAlg::RS256, &crate::audit::Initiator::cli())
        .expect("rotated");
    assert_eq!(rotated.algorithm, SigningAlg::RS256);
    assert_eq!(active_kid(&h, SigningAlg::EdDSA), ed, "EdDSA key untouched");
    assert_eq!(
        active_kid(&h, SigningAlg::RS256).as_deref(),
        Some(rotated.kid.as_str())
    );
    assert_ne!(active_kid(&h, SigningAlg::RS256), rsa);
    let client = confidential(&h);
    assert_eq!(Some(signed_by(&cc_token(&h, &client))), ed);
}

#[test]
fn access_tokens_are_signed_with_the_configured_algorithm() {
    for alg in SigningAlg::ALL {
        let h = Harness::new(|c| c.access_token_alg = alg);
        let client = confidential(&h);
        let token = cc_token(&h, &client);
        assert_eq!(Some(signed_by(&token)), active_kid(&h, alg), "{alg}");
        assert!(active(&h, &client, &token), "{alg}: introspects active");
    }
}

fn id_claims(h: &Harness) -> IdTokenClaims {
    IdTokenClaims {
        iss: "https://issuer.test".into(),
        sub: "user-1".into(),
        aud: "client-1".into(),
        exp: h.clock_now().plus_seconds(1800),
        iat: h.clock_now(),
        auth_time: Some(h.clock_now()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        at_hash: None,
        sid: None,
    }
}

#[test]
fn id_tokens_are_signed_by_the_active_key_of_the_id_token_algorithm() {
    let h = harness();
    let token = h
        .services
        .access_tokens
        .sign_id_token(&id_claims(&h))
        .expect("signed");
    let (kid, lines) = fake_token_parts(&token).expect("fake token");
    assert_eq!(Some(kid), active_kid(&h, SigningAlg::RS256));
    assert!(lines.contains(&"n-0S6_WzA2Mj".to_owned()), "{lines:?}");
    // An ID token is not an access token.
    let client = confidential(&h);
    assert!(!active(&h, &client, &token));

    let eddsa = Harness::new(|c| c.id_token_alg = SigningAlg::EdDSA);
    let token = eddsa
        .services
        .access_tokens
        .sign_id_token(&id_claims(&eddsa))
        .expect("signed");
    assert_eq!(
        Some(signed_by(&token)),
        active_kid(&eddsa, SigningAlg::EdDSA)
    );
}

#[test]
fn no_active_key_of_the_algorithm_is_a_fault() {
    let h = Harness::new(|c| c.id_token_alg = SigningAlg::EdDSA);
    let mut config = h.services.config().clone();
    config.id_token_alg = SigningAlg::RS256;
    // Not prepared: nothing created the RS256 key.
    let unprepared = crate::services::Services::new(h.ports.clone(), config);
    assert_eq!(
        unprepared.access_tokens.sign_id_token(&id_claims(&h)),
        Err(Fault::NoActiveKey(SigningAlg::RS256))
    );
}
