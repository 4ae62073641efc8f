//! `GET`/`POST /oauth2/userinfo` through the real app on both backends (OpenID Connect Core
//! §5.3, RFC 6750 §3).

use actix_web::http::header;
use actix_web::test::TestRequest;
use ciam_domain::{GrantType, NewClient, Profile, Scope, Secret};

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient};
use crate::support::http::{Auth, Response};

fn client(app: &TestApp) -> TestClient {
    let (client, secret) = app
        .services
        .clients
        .create_client(NewClient {
            name: "app".into(),
            grant_types: vec![GrantType::Password],
            scope: Scope::parse("openid profile email read").expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client");
    TestClient {
        id: client.id.to_string(),
        secret: secret.map(|s| s.expose().to_owned()),
    }
}

async fn token(app: &TestApp, client: &TestClient, scope: &str) -> String {
    let response = app
        .post(
            "/oauth2/token",
            Auth::Basic(client),
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "correct horse battery"),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(response.status, 200);
    response.json()["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn userinfo(app: &TestApp, method: TestRequest, authorization: Option<&str>) -> Response {
    let mut request = method.uri("/oauth2/userinfo");
    if let Some(value) = authorization {
        request = request.insert_header((header::AUTHORIZATION, value.to_owned()));
    }
    app.request(request).await
}

async fn the_bearer_gets_the_claims_its_scope_releases(kind: Kind) {
    let app = TestApp::new(kind);
    let user = app
        .services
        .accounts
        .create_user_with_profile(
            "alice",
            &Secret::new("correct horse battery"),
            Profile {
                name: Some("Alice Doe".into()),
                email: Some("alice@example.com".into()),
                email_verified: false,
            },
            &ciam_domain::Initiator::cli(),
        )
        .expect("user");
    let client = client(&app);
    let full = token(&app, &client, "openid profile email").await;
    for method in [TestRequest::get(), TestRequest::post()] {
        let answer = userinfo(&app, method, Some(&format!("Bearer {full}"))).await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.json(),
            serde_json::json!({
                "sub": user.id.as_str(),
                "name": "Alice Doe",
                "preferred_username": "alice",
                "email": "alice@example.com",
                "email_verified": false,
            })
        );
    }
    let minimal = token(&app, &client, "openid").await;
    let answer = userinfo(&app, TestRequest::get(), Some(&format!("Bearer {minimal}"))).await;
    assert_eq!(
        answer.json(),
        serde_json::json!({ "sub": user.id.as_str() })
    );
}

async fn tokens_that_name_no_live_user_get_the_bearer_challenge(kind: Kind) {
    let app = TestApp::new(kind);
    app.user("alice", "correct horse battery");
    let client = client(&app);

    let none = userinfo(&app, TestRequest::get(), None).await;
    assert_eq!(none.status, 401);
    assert_eq!(
        none.header("www-authenticate"),
        Some("Bearer realm=\"ciam\"")
    );

    let revoked = token(&app, &client, "openid").await;
    assert_eq!(app.revoke(&client, &revoked).await.status, 200);
    let answer = userinfo(&app, TestRequest::get(), Some(&format!("Bearer {revoked}"))).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("www-authenticate"),
        Some("Bearer realm=\"ciam\", error=\"invalid_token\"")
    );

    let no_openid = token(&app, &client, "read").await;
    let answer = userinfo(
        &app,
        TestRequest::get(),
        Some(&format!("Bearer {no_openid}")),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.header("www-authenticate"),
        Some("Bearer realm=\"ciam\", error=\"insufficient_scope\", scope=\"openid\"")
    );

    let malformed = userinfo(&app, TestRequest::get(), Some("Bearer a b")).await;
    assert_eq!(malformed.status, 400);

    for path in ["/oauth2/authorize", "/oauth2/logout"] {
        let put = app.request(TestRequest::put().uri(path)).await;
        assert_eq!(
            (put.status, put.header("allow")),
            (405, Some("GET, POST")),
            "{path}"
        );
    }
}

on_every_backend!(
    the_bearer_gets_the_claims_its_scope_releases,
    tokens_that_name_no_live_user_get_the_bearer_challenge,
);
