//! Key rotation at a real ciam is followed, and unknown `kid`s cannot make the verifier
//! hammer the issuer's JWKS.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_domain::SigningAlg;
use ciam_resource::{Rejection, Verifier};

use crate::support::ciam::{Ciam, Options};
use crate::support::{config, Mode};

const FLOOR: Duration = Duration::from_millis(1500);

/// `token` with its header's `kid` replaced (the signature no longer matters: the key
/// lookup comes first).
fn with_kid(token: &str, kid: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let header = URL_SAFE_NO_PAD.decode(&parts[0]).expect("header");
    let mut header: serde_json::Value = serde_json::from_slice(&header).expect("JSON");
    header["kid"] = serde_json::json!(kid);
    parts[0] = URL_SAFE_NO_PAD.encode(header.to_string());
    parts.join(".")
}

#[test]
fn key_rotation_is_followed_and_refetches_are_floored() {
    let ciam = Ciam::start(Options::embedded());
    let client = ciam.client();
    let mut config = config(&ciam, Mode::Introspection, &client);
    config.jwks_refetch_floor = FLOOR;
    let verifier = Verifier::new(config).expect("verifier");
    verifier
        .wait_ready(Duration::from_secs(5))
        .expect("keys fetched");
    let fetched_at_start = Instant::now();
    assert_eq!(ciam.jwks_requests(), 1, "one fetch at construction");

    let old = ciam.client_token(&client);
    assert!(verifier.verify(&old).is_ok());
    assert_eq!(ciam.jwks_requests(), 1, "known keys are not fetched again");

    // Forged kids, many of them, at once: one fetch at most per floor.
    std::thread::sleep(FLOOR.saturating_sub(fetched_at_start.elapsed()));
    for n in 0..50 {
        assert_eq!(
            verifier
                .verify(&with_kid(&old, &format!("forged-{n}")))
                .map(|_| ()),
            Err(Rejection::UnknownKey)
        );
    }
    assert_eq!(ciam.jwks_requests(), 2, "50 unknown kids, one refetch");
    let last_refetch = Instant::now();

    // Rotate: the next token has a kid the verifier has not seen, and the floor has not
    // passed since the forged ones: refused without a fetch...
    ciam.services
        .access_tokens
        .rotate_signing_key(SigningAlg::EdDSA, &ciam_domain::Initiator::cli())
        .expect("rotated");
    let new = ciam.client_token(&client);
    assert_ne!(kid(&new), kid(&old));
    assert_eq!(
        verifier.verify(&new).map(|_| ()),
        Err(Rejection::UnknownKey)
    );
    assert_eq!(ciam.jwks_requests(), 2);
    assert!(
        verifier.verify_nonblocking(&new).is_some(),
        "within the floor no I/O is even attempted"
    );

    // ...and once the floor has passed, fetched and accepted.
    std::thread::sleep(FLOOR.saturating_sub(last_refetch.elapsed()));
    assert!(
        verifier.verify_nonblocking(&new).is_none(),
        "past the floor an unknown kid needs a fetch"
    );
    let claims = verifier
        .verify(&new)
        .expect("a token of the new key verifies");
    assert_eq!(claims.client_id, client.id);
    assert_eq!(ciam.jwks_requests(), 3);
    // The retired key stays published until its tokens expire.
    assert!(verifier.verify(&old).is_ok());
    assert!(verifier.verify(&new).is_ok());
    assert_eq!(ciam.jwks_requests(), 3);
}

fn kid(token: &str) -> String {
    let header = token.split('.').next().expect("header");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64")).expect("JSON");
    header["kid"].as_str().expect("kid").to_owned()
}
