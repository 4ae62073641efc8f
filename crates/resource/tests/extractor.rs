//! The actix extractor's HTTP answers (RFC 6750 §3).

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{get, test, web, App, HttpResponse};
use ciam_resource::actix::{Authenticated, BearerError, Realm};
use ciam_resource::{
    Algorithm, DenylistConfig, EventKind, RedisConfig, RevocationSet, Verifier, VerifierConfig,
};
use serde_json::{json, Value};

use crate::support::ciam::Ciam;
use crate::support::keys::{self, claims, mint, AUDIENCE, ISSUER};
use crate::support::{verifier, Mode};

#[get("/hello")]
async fn hello(token: Authenticated) -> Result<HttpResponse, BearerError> {
    token.require_scope("read")?;
    Ok(HttpResponse::Ok().body(format!("hello {}", token.sub)))
}

#[get("/admin")]
async fn admin(token: Authenticated) -> Result<HttpResponse, BearerError> {
    token.require_scope("admin")?;
    Ok(HttpResponse::Ok().finish())
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    retry_after: Option<String>,
    body: String,
}

async fn call(
    verifier: Verifier,
    realm: Option<&str>,
    headers: &[(&str, &str)],
    path: &str,
) -> Answer {
    let mut app = App::new()
        .app_data(web::Data::new(verifier))
        .service(hello)
        .service(admin);
    if let Some(realm) = realm {
        app = app.app_data(web::Data::new(Realm(realm.into())));
    }
    let app = test::init_service(app).await;
    let mut request = test::TestRequest::get().uri(path);
    for (name, value) in headers {
        request = request.append_header((*name, *value));
    }
    let response = test::call_service(&app, request.to_request()).await;
    let header_value = |name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ASCII").to_owned())
    };
    let status = response.status();
    let challenge = header_value(header::WWW_AUTHENTICATE);
    let retry_after = header_value(header::RETRY_AFTER);
    let body = String::from_utf8(test::read_body(response).await.to_vec()).expect("UTF-8");
    Answer {
        status,
        challenge,
        retry_after,
        body,
    }
}

fn local(set: Arc<RevocationSet>) -> Verifier {
    Verifier::with_jwks(
        VerifierConfig::new(ISSUER, AUDIENCE, DenylistConfig::Memory(set)),
        &keys::jwks(),
    )
    .expect("verifier")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[actix_web::test]
async fn a_valid_token_with_the_scope_gets_through() {
    let token = mint(Algorithm::EdDSA, &claims(None));
    let answer = call(
        local(Arc::default()),
        None,
        &[("Authorization", &bearer(&token))],
        "/hello",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "hello alice");
}

#[actix_web::test]
async fn no_credentials_is_a_plain_challenge() {
    for headers in [vec![], vec![("Authorization", "Basic YWxpY2U6cHc=")]] {
        let answer = call(local(Arc::default()), Some("api"), &headers, "/hello").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer realm="api""#));
        assert_eq!(answer.body, "");
    }
    // Without a Realm, the audience.
    let answer = call(local(Arc::default()), None, &[], "/hello").await;
    assert_eq!(
        answer.challenge,
        Some(format!(r#"Bearer realm="{AUDIENCE}""#))
    );
}

#[actix_web::test]
async fn a_malformed_authorization_header_is_an_invalid_request() {
    let token = mint(Algorithm::EdDSA, &claims(None));
    let two = bearer(&token);
    for headers in [
        vec![("Authorization", "Bearer")],
        vec![("Authorization", "Bearer    ")],
        vec![("Authorization", "Bearer a b")],
        vec![("Authorization", "Bearer a\"b")],
        vec![
            ("Authorization", two.as_str()),
            ("Authorization", two.as_str()),
        ],
    ] {
        let answer = call(local(Arc::default()), Some("api"), &headers, "/hello").await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{headers:?}");
        let challenge = answer.challenge.expect("challenge");
        assert!(
            challenge.starts_with(r#"Bearer realm="api", error="invalid_request""#),
            "{challenge}"
        );
        let body: Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(body["error"], "invalid_request");
    }
}

#[actix_web::test]
async fn a_rejected_token_is_invalid_token_with_a_plain_description() {
    let set = Arc::new(RevocationSet::new());
    let revoked = claims(None);
    set.insert(
        EventKind::Jti,
        revoked["jti"].as_str().expect("jti"),
        keys::now() + 300,
    );
    let mut expired = claims(None);
    expired["exp"] = json!(keys::now() - 60);
    let mut foreign = claims(None);
    foreign["aud"] = json!("https://elsewhere.test");
    for (token, description) in [
        (
            mint(Algorithm::EdDSA, &revoked),
            "The access token was revoked",
        ),
        (mint(Algorithm::EdDSA, &expired), "The access token expired"),
        (
            mint(Algorithm::ES256, &foreign),
            "The access token is not for this resource",
        ),
        ("not.a.jwt".to_owned(), "The access token is malformed"),
        (
            keys::raw(&json!({"alg": "none", "typ": "at+jwt"}), &claims(None), ""),
            "The access token is not valid",
        ),
    ] {
        let answer = call(
            local(Arc::clone(&set)),
            Some("api"),
            &[("Authorization", &bearer(&token))],
            "/hello",
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{description}");
        assert_eq!(
            answer.challenge,
            Some(format!(
                r#"Bearer realm="api", error="invalid_token", error_description="{description}""#
            ))
        );
        let body: Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(body["error"], "invalid_token");
        assert_eq!(body["error_description"], description);
    }
}

#[actix_web::test]
async fn a_missing_scope_is_insufficient_scope() {
    let token = mint(Algorithm::EdDSA, &claims(None));
    let answer = call(
        local(Arc::default()),
        Some("api"),
        &[("Authorization", &bearer(&token))],
        "/admin",
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer realm="api", error="insufficient_scope", scope="admin""#)
    );
}

#[actix_web::test]
async fn an_unavailable_denylist_is_503_with_retry_after() {
    let dead = Verifier::with_jwks(
        VerifierConfig::new(
            ISSUER,
            AUDIENCE,
            DenylistConfig::Redis(RedisConfig {
                timeout: Duration::from_millis(200),
                ..RedisConfig::new(format!("redis://127.0.0.1:{}", ciam_testkit::free_port()))
            }),
        ),
        &keys::jwks(),
    )
    .expect("verifier");
    let token = mint(Algorithm::EdDSA, &claims(None));
    let answer = call(dead, None, &[("Authorization", &bearer(&token))], "/hello").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.retry_after.as_deref(), Some("5"));
    assert_eq!(answer.challenge, None);
    let body: Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(!answer.body.contains("127.0.0.1"), "{}", answer.body);
}

#[actix_web::test]
async fn a_real_ciams_tokens_through_the_blocking_path() {
    let ciam = Ciam::shared_embedded();
    let client = ciam.client();
    let verifier = web::block(move || {
        let verifier = verifier(ciam, Mode::Introspection, &client);
        let token = ciam.client_token(&client);
        (verifier, token, client)
    })
    .await
    .expect("set up");
    let (verifier, token, client) = verifier;
    let answer = call(
        verifier.clone(),
        None,
        &[("Authorization", &bearer(&token))],
        "/hello",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let revoked = token.clone();
    web::block(move || ciam.revoke(&client, &revoked))
        .await
        .expect("revoked");
    // Past the introspection cache (300 ms in these tests).
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    let answer = call(
        verifier,
        None,
        &[("Authorization", &bearer(&token))],
        "/hello",
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer
        .challenge
        .is_some_and(|c| c.contains("The access token was revoked")));
}
