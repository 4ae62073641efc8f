//! JWKS (RFC 7517), metadata (RFC 8414), health, and unknown paths.

use ciam_domain::SigningAlg;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};

use crate::support::app::ISSUER;
use crate::support::{Kind, TestApp};

async fn access_tokens_verify_with_the_published_jwks(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let token = app.cc_token(&client).await;
    let jwks = app.get("/oauth2/jwks").await;
    assert_eq!(jwks.status, 200);
    let set: JwkSet = serde_json::from_slice(&jwks.body).expect("a JWK set");
    let header = decode_header(&token).expect("header");
    assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068 §2.1");
    let kid = header.kid.expect("kid");
    let jwk = set.find(&kid).expect("the signing key is published");
    let raw: serde_json::Value = jwks.json();
    let published = raw["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("key");
    assert_eq!(published["use"], "sig");
    assert_eq!(published["alg"], "EdDSA");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub", "jti", "client_id"]);
    let claims = decode::<serde_json::Value>(
        &token,
        &DecodingKey::from_jwk(jwk).expect("key"),
        &validation,
    )
    .expect("verifies")
    .claims;
    assert_eq!(claims["client_id"], client.id.as_str());
}

async fn rotated_keys_stay_published_and_new_tokens_use_the_new_key(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let before = app.cc_token(&client).await;
    let rotated = app
        .services
        .access_tokens
        .rotate_signing_key(SigningAlg::EdDSA, &ciam_domain::Initiator::cli())
        .expect("rotated");
    let after = app.cc_token(&client).await;
    assert_eq!(
        decode_header(&after).expect("header").kid.as_deref(),
        Some(rotated.kid.as_str())
    );
    let jwks = app.get("/oauth2/jwks").await.json();
    assert_eq!(
        jwks["keys"].as_array().map(Vec::len),
        Some(3),
        "both EdDSA keys and the RS256 (ID-token) key: {jwks}"
    );
    assert!(
        app.is_active(&client, &before).await,
        "old key still verifies"
    );
}

async fn both_metadata_documents_describe_the_server(kind: Kind) {
    let app = TestApp::new(kind);
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status, 200, "{path}");
        let json = response.json();
        assert_eq!(json["issuer"], ISSUER, "RFC 8414 §3.3: exact match");
        assert_eq!(json["token_endpoint"], format!("{ISSUER}/oauth2/token"));
        assert_eq!(
            json["revocation_endpoint"],
            format!("{ISSUER}/oauth2/revoke")
        );
        assert_eq!(
            json["introspection_endpoint"],
            format!("{ISSUER}/oauth2/introspect")
        );
        assert_eq!(json["jwks_uri"], format!("{ISSUER}/oauth2/jwks"));
        for method in ["client_secret_basic", "client_secret_post"] {
            assert!(json["token_endpoint_auth_methods_supported"]
                .as_array()
                .expect("list")
                .contains(&method.into()));
            assert!(json["revocation_endpoint_auth_methods_supported"]
                .as_array()
                .expect("list")
                .contains(&method.into()));
        }
        let grants = json["grant_types_supported"].as_array().expect("list");
        for grant in ["client_credentials", "password", "refresh_token"] {
            assert!(grants.contains(&grant.into()), "{grant}");
        }
    }
}

async fn health_readiness_and_unknown_paths(kind: Kind) {
    let app = TestApp::new(kind);
    assert_eq!(app.get("/healthz").await.status, 200);
    let ready = app.get("/readyz").await;
    assert_eq!(
        (
            ready.status,
            ready.json()["store"].clone(),
            ready.json()["denylist"].clone()
        ),
        (200, "ok".into(), "ok".into())
    );
    let missing = app.get("/nope").await;
    assert_eq!((missing.status, missing.error()), (404, "not_found".into()));
    let missing_oauth = app.get("/oauth2/nope").await;
    assert_eq!(missing_oauth.status, 404);
    let post_to_jwks = app
        .raw_post("/oauth2/jwks", "application/x-www-form-urlencoded", "")
        .await;
    assert_eq!(post_to_jwks.status, 405);
}

crate::on_every_backend!(
    access_tokens_verify_with_the_published_jwks,
    rotated_keys_stay_published_and_new_tokens_use_the_new_key,
    both_metadata_documents_describe_the_server,
    health_readiness_and_unknown_paths,
);
