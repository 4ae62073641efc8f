//! A ciam that signs access tokens with RS256 (`CIAM_ACCESS_TOKEN_ALG=RS256`, for gateways
//! that verify nothing else): the SDK verifies them from the JWKS alone, and refuses a
//! header that names another algorithm than the key's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_domain::SigningAlg;
use ciam_resource::Rejection;
use serde_json::{json, Value};

use crate::support::ciam::{agent, Ciam, Options};
use crate::support::{verifier, Mode};

fn header(token: &str) -> Value {
    let segment = token.split('.').next().unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

/// `token` with its protected header replaced, payload and signature kept.
fn with_header(token: &str, header: &Value) -> String {
    let rest: Vec<&str> = token.split('.').skip(1).collect();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        rest.join(".")
    )
}

#[test]
fn rs256_access_tokens_verify_and_an_alg_other_than_the_keys_is_refused() {
    let ciam = Ciam::start(Options {
        access_token_alg: SigningAlg::RS256,
        ..Options::embedded()
    });
    let client = ciam.client();
    let token = ciam.client_token(&client);
    let kid = header(&token)["kid"].as_str().expect("kid").to_owned();
    assert_eq!(
        header(&token),
        json!({"alg": "RS256", "typ": "at+jwt", "kid": kid})
    );
    let jwks: Value = serde_json::from_reader(
        agent()
            .get(&ciam.url("/oauth2/jwks"))
            .call()
            .expect("JWKS")
            .into_reader(),
    )
    .expect("JSON");
    let keys = jwks["keys"].as_array().expect("keys");
    let signing = keys
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("published");
    assert_eq!(
        (&signing["kty"], &signing["alg"]),
        (&json!("RSA"), &json!("RS256"))
    );
    // Access and ID tokens are both RS256 here: no EdDSA key is made.
    assert_eq!(keys.len(), 1, "{jwks}");

    let verifier = verifier(&ciam, Mode::Introspection, &client);
    let claims = verifier.verify(&token).expect("an RS256 token verifies");
    assert_eq!(claims.client_id, client.id);

    // The RSA key's signature under a header that says EdDSA: the key decides.
    let says_eddsa = with_header(
        &token,
        &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid}),
    );
    assert_eq!(
        verifier.verify(&says_eddsa).map(|_| ()),
        Err(Rejection::UnsupportedAlgorithm)
    );
    for unsigned in [
        with_header(&token, &json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string()),
            token.split('.').nth(1).unwrap_or_default()
        ),
    ] {
        assert_eq!(
            verifier.verify(&unsigned).map(|_| ()),
            Err(Rejection::UnsupportedAlgorithm)
        );
    }

    // Revocation reaches RS256 tokens like any other.
    ciam.revoke(&client, &token);
    crate::support::assert_eventually(
        &verifier,
        &token,
        Err(Rejection::Revoked),
        std::time::Duration::from_secs(5),
        "a revoked RS256 token",
    );
}
