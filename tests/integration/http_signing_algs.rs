//! Both signing algorithms through the real app: the JWKS publishes an EdDSA and an RS256
//! key, and a server configured for RS256 access tokens (`CIAM_ACCESS_TOKEN_ALG=RS256`)
//! issues tokens that verify with the published RSA key, introspect and revoke like any.

use ciam_domain::SigningAlg;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::support::app::ISSUER;
use crate::support::{Kind, TestApp};

/// The published key of `alg`: there is exactly one while nothing was rotated.
fn published(jwks: &Value, alg: &str) -> Value {
    let keys: Vec<&Value> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|k| k["alg"] == alg)
        .collect();
    assert_eq!(keys.len(), 1, "one {alg} key: {jwks}");
    keys[0].clone()
}

async fn the_jwks_publishes_an_eddsa_and_an_rs256_key(kind: Kind) {
    let app = TestApp::new(kind);
    let jwks = app.get("/oauth2/jwks").await.json();
    let ed = published(&jwks, "EdDSA");
    assert_eq!((&ed["kty"], &ed["crv"]), (&"OKP".into(), &"Ed25519".into()));
    let rsa = published(&jwks, "RS256");
    assert_eq!(
        (&rsa["kty"], &rsa["e"], &rsa["use"]),
        (&"RSA".into(), &"AQAB".into(), &"sig".into())
    );
    let n = rsa["n"].as_str().expect("n");
    assert_eq!(
        n.len(),
        342,
        "2048 bits, base64url without padding (RFC 7518 §3.3, §6.3.1)"
    );
    assert!(
        rsa.get("d").is_none() && rsa.get("p").is_none(),
        "public parts only"
    );
    assert!(
        serde_json::from_value::<JwkSet>(jwks.clone()).is_ok(),
        "a JWK set others read"
    );
    // Discovery names the ID tokens' algorithm (OpenID Connect Discovery 1.0 §3).
    let metadata = app.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
}

async fn rs256_access_tokens_verify_introspect_and_revoke(kind: Kind) {
    let app = TestApp::with_config(kind, |c| c.access_token_alg = SigningAlg::RS256);
    let client = app.confidential();
    let (token, _refresh) = app.user_tokens(&client).await;
    let header = decode_header(&token).expect("header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068 §2.1");

    let set: JwkSet = serde_json::from_slice(&app.get("/oauth2/jwks").await.body).expect("JWKS");
    let jwk = set
        .find(header.kid.as_deref().expect("kid"))
        .expect("published");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[ISSUER]);
    let claims = decode::<Value>(
        &token,
        &DecodingKey::from_jwk(jwk).expect("key"),
        &validation,
    )
    .expect("verifies with the published RSA key")
    .claims;
    assert_eq!(claims["client_id"], client.id.as_str());

    assert!(app.is_active(&client, &token).await);
    let revoked = app.revoke(&client, &token).await;
    assert_eq!(revoked.status, 200);
    assert!(!app.is_active(&client, &token).await, "revoked");

    // Client credentials too, and a restart keeps signing with the same RSA key.
    let cc = app.cc_token(&client).await;
    let restarted = app.restarted();
    assert!(restarted.is_active(&client, &cc).await);
    assert_eq!(
        decode_header(&restarted.cc_token(&client).await)
            .expect("header")
            .kid,
        decode_header(&cc).expect("header").kid
    );
}

crate::on_every_backend!(
    the_jwks_publishes_an_eddsa_and_an_rs256_key,
    rs256_access_tokens_verify_introspect_and_revoke,
);
