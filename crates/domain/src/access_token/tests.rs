//! Signing keys: rotation and keys rotated on another node, on fakes.

use crate::testing::scenario::*;
use crate::testing::Harness;

// Keys.

#[test]
fn rotated_keys_keep_verifying_until_their_tokens_expire() {
    let h = harness();
    let client = confidential(&h);
    let old_token = cc_token(&h, &client);
    h.services
        .access_tokens
        .rotate_signing_key()
        .expect("rotated");
    let new_token = cc_token(&h, &client);
    assert_ne!(
        old_token.split('.').next(),
        new_token.split('.').next(),
        "new key signs"
    );
    assert!(active(&h, &client, &old_token));
    assert_eq!(
        h.services
            .access_tokens
            .published_keys()
            .expect("keys")
            .len(),
        2
    );
    h.clock.advance(h.services.config().access_token_ttl);
    assert_eq!(
        h.services
            .access_tokens
            .published_keys()
            .expect("keys")
            .len(),
        1
    );
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
