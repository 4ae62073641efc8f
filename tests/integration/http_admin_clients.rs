//! Client management and key rotation through the admin API (`/admin/v1/clients…`,
//! `/admin/v1/keys/rotate`, docs/admin-api.md) on both backends: what each does to the
//! client's authentication and tokens through the real app, and the problems it answers.

use actix_web::http::header;
use actix_web::test::TestRequest;
use ciam_domain::{GrantType, NewClient, Scope};
use jsonwebtoken::decode_header;
use serde_json::{json, Value};

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient};
use crate::support::http::{Auth, Response};

async fn admin_token(app: &TestApp) -> String {
    let (client, secret) = app
        .services
        .clients
        .create_client(NewClient {
            name: "back office".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scope: Scope::parse("ciam:admin").expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client");
    let admin = TestClient {
        id: client.id.to_string(),
        secret: secret.map(|s| s.expose().to_owned()),
    };
    app.cc_token(&admin).await
}

async fn call(app: &TestApp, token: &str, request: TestRequest) -> Response {
    app.request(request.insert_header((header::AUTHORIZATION, format!("Bearer {token}"))))
        .await
}

async fn send_json(app: &TestApp, token: &str, request: TestRequest, body: Value) -> Response {
    let request = request
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(body.to_string());
    call(app, token, request).await
}

async fn create(app: &TestApp, token: &str, body: Value) -> Response {
    send_json(
        app,
        token,
        TestRequest::post().uri("/admin/v1/clients"),
        body,
    )
    .await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Response {
    call(app, token, TestRequest::get().uri(path)).await
}

async fn post(app: &TestApp, token: &str, path: &str) -> Response {
    call(app, token, TestRequest::post().uri(path)).await
}

/// RFC 9457 problem details with this status.
fn assert_problem(response: &Response, status: u16) {
    assert_eq!(
        response.status,
        status,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let body = response.json();
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

async fn token_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    let client = TestClient {
        id: id.to_owned(),
        secret: Some(secret.to_owned()),
    };
    app.post(
        "/oauth2/token",
        Auth::Post(&client),
        &[("grant_type", "client_credentials")],
    )
    .await
    .status
}

async fn a_client_lives_through_create_read_update_rotate_and_delete(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;

    // Create: the secret once, in the 201 only.
    let created = create(
        &app,
        &admin,
        json!({"name": "billing", "grant_types": ["client_credentials", "authorization_code"],
               "scope": "read write", "redirect_uris": ["https://billing.example/cb"]}),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let body = created.json();
    let id = body["client_id"].as_str().expect("client_id").to_owned();
    let path = format!("/admin/v1/clients/{id}");
    assert_eq!(created.header("location"), Some(path.as_str()));
    let secret = body["client_secret"].as_str().expect("secret").to_owned();
    assert!(secret.len() >= 43);
    assert_eq!(
        (body["public"].clone(), body["scope"].clone()),
        (json!(false), json!("read write"))
    );
    assert_eq!(token_status(&app, &id, &secret).await, 200);

    // Read: never the secret nor a hash.
    let read = get(&app, &admin, &path).await;
    assert_eq!(read.status, 200);
    let mut expected = body.clone();
    expected
        .as_object_mut()
        .expect("object")
        .remove("client_secret");
    assert_eq!(read.json(), expected);
    let text = String::from_utf8_lossy(&read.body).into_owned();
    assert!(!text.contains(&secret) && !text.contains("hash"), "{text}");
    let head = call(
        &app,
        &admin,
        TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri(&path),
    )
    .await;
    assert_eq!(head.status, 200);

    // Update the redirect URIs: replaced whole, checked.
    let patch = |body: Value| send_json(&app, &admin, TestRequest::patch().uri(&path), body);
    let changed =
        patch(json!({"redirect_uris": ["https://billing.example/new", "http://127.0.0.1/cb"]}))
            .await;
    assert_eq!(changed.status, 200, "{:?}", changed.json());
    assert_eq!(
        changed.json()["redirect_uris"],
        json!(["https://billing.example/new", "http://127.0.0.1/cb"])
    );
    assert_eq!(get(&app, &admin, &path).await.json(), changed.json());
    for (bad, status) in [
        (json!({"redirect_uris": ["http://billing.example/cb"]}), 422),
        (
            json!({"redirect_uris": ["https://billing.example/cb#x"]}),
            422,
        ),
        (json!({"redirect_uris": []}), 422),
        (json!({"redirect_uris": "https://billing.example/cb"}), 400),
        (json!({"redirect_uris": [], "name": "x"}), 400),
        (json!({}), 400),
    ] {
        assert_problem(&patch(bad.clone()).await, status);
    }
    assert_eq!(
        get(&app, &admin, &path).await.json()["redirect_uris"],
        json!(["https://billing.example/new", "http://127.0.0.1/cb"]),
        "nothing refused was written"
    );

    // Rotate the secret: the new one works, the old one no longer.
    let live = {
        let client = TestClient {
            id: id.clone(),
            secret: Some(secret.clone()),
        };
        app.cc_token(&client).await
    };
    let rotated = post(&app, &admin, &format!("{path}/secret")).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json());
    let new_secret = rotated.json()["client_secret"]
        .as_str()
        .expect("new secret")
        .to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(rotated.json()["client_id"], json!(id));
    assert_eq!(token_status(&app, &id, &secret).await, 401, "old secret");
    assert_eq!(token_status(&app, &id, &new_secret).await, 200);
    let text = String::from_utf8_lossy(&get(&app, &admin, &path).await.body).into_owned();
    assert!(!text.contains(&new_secret), "shown once");
    let observer = app.confidential();
    assert!(
        app.is_active(&observer, &live).await,
        "tokens issued before the rotation stay valid"
    );

    // Delete: its tokens end, then it.
    let deleted = call(&app, &admin, TestRequest::delete().uri(&path)).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert!(!app.is_active(&observer, &live).await);
    assert_eq!(token_status(&app, &id, &new_secret).await, 401);
    assert_problem(&get(&app, &admin, &path).await, 404);
    assert_problem(
        &call(&app, &admin, TestRequest::delete().uri(&path)).await,
        404,
    );
    assert_problem(&post(&app, &admin, &format!("{path}/secret")).await, 404);
    assert_problem(&patch(json!({"redirect_uris": []})).await, 404);
}

async fn public_clients_and_bad_registrations_get_problems(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let spa = create(
        &app,
        &admin,
        json!({"name": "spa", "grant_types": ["authorization_code"], "public": true,
               "redirect_uris": ["https://spa.example/cb"]}),
    )
    .await;
    assert_eq!(spa.status, 201, "{:?}", spa.json());
    assert!(
        spa.json().get("client_secret").is_none(),
        "public: no secret"
    );
    let spa_id = spa.json()["client_id"].as_str().expect("id").to_owned();
    assert_problem(
        &post(&app, &admin, &format!("/admin/v1/clients/{spa_id}/secret")).await,
        409,
    );
    for (body, status) in [
        (json!({"name": "x", "grant_types": ["implicit"]}), 422),
        (json!({"name": "x", "grant_types": []}), 422),
        (
            json!({"name": "x", "grant_types": ["password"], "scope": "bad\"scope"}),
            422,
        ),
        (json!({"name": "", "grant_types": ["password"]}), 422),
        (
            json!({"name": "x", "grant_types": ["client_credentials"], "public": true}),
            422,
        ),
        (
            json!({"name": "x", "grant_types": ["authorization_code"]}),
            422,
        ),
        (
            json!({"name": "x", "grant_types": ["authorization_code"], "redirect_uris": ["http://x.example/cb"]}),
            422,
        ),
        (
            json!({"name": "x", "grant_types": ["password"], "backchannel_logout_uri": "com.example.app:/l"}),
            422,
        ),
        (json!({"grant_types": ["password"]}), 400),
        (json!({"name": "x", "grant_types": "password"}), 400),
        (
            json!({"name": "x", "grant_types": ["password"], "client_secret": "mine"}),
            400,
        ),
        (json!(["x", ["password"]]), 400),
    ] {
        let response = create(&app, &admin, body.clone()).await;
        assert_eq!(response.status, status, "{body}");
        assert_problem(&response, status);
    }
    let not_json = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/admin/v1/clients")
            .insert_header((header::CONTENT_TYPE, "text/plain"))
            .set_payload("name=x"),
    )
    .await;
    assert_problem(&not_json, 415);
    let huge = json!({"name": "x", "grant_types": ["password"], "scope": "a ".repeat(10_000)});
    assert_problem(&create(&app, &admin, huge).await, 413);
    assert_problem(
        &call(&app, &admin, TestRequest::put().uri("/admin/v1/clients")).await,
        405,
    );
    // Nothing refused was created: the admin client and the SPA only.
    let page = get(&app, &admin, "/admin/v1/clients").await.json();
    assert_eq!(page["clients"].as_array().map(Vec::len), Some(2));
    // Without a token, the path is not even looked at.
    let anonymous = app
        .request(TestRequest::get().uri(&format!("/admin/v1/clients/{spa_id}")))
        .await;
    assert_problem(&anonymous, 401);
}

async fn clients_are_listed_a_page_at_a_time_by_id(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    for _ in 0..6 {
        app.confidential();
    }
    let mut seen = vec![];
    let mut sizes = vec![];
    let mut query = "limit=3".to_owned();
    loop {
        let page = get(&app, &admin, &format!("/admin/v1/clients?{query}")).await;
        assert_eq!(page.status, 200, "{:?}", page.json());
        let text = String::from_utf8_lossy(&page.body).into_owned();
        assert!(!text.contains("secret"), "{text}");
        let page = page.json();
        let clients = page["clients"].as_array().expect("clients").clone();
        sizes.push(clients.len());
        seen.extend(
            clients
                .iter()
                .map(|c| c["client_id"].as_str().expect("id").to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), seen.last().map(String::as_str));
                query = format!("limit=3&after={next}");
            }
            None => break,
        }
    }
    // 7 clients: the admin client and six.
    assert_eq!(sizes, [3, 3, 1]);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in id order, no duplicates");
    let all = get(&app, &admin, "/admin/v1/clients").await.json();
    assert_eq!(all["clients"].as_array().map(Vec::len), Some(7));
    assert_eq!(all["next"], Value::Null);
    for bad in [
        "limit=0",
        "limit=201",
        "limit=x",
        "after=a%00b",
        "limit=2&limit=3",
    ] {
        assert_problem(
            &get(&app, &admin, &format!("/admin/v1/clients?{bad}")).await,
            400,
        );
    }
}

async fn rotating_the_signing_key_names_the_new_key_only(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let client = app.confidential();
    let before = app.cc_token(&client).await;
    let rotated = post(&app, &admin, "/admin/v1/keys/rotate").await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json());
    let key = rotated.json();
    let mut members: Vec<&String> = key.as_object().expect("object").keys().collect();
    members.sort();
    assert_eq!(members, ["alg", "created_at", "kid"], "no key material");
    assert_eq!(key["alg"], "EdDSA");
    let kid = key["kid"].as_str().expect("kid").to_owned();
    let jwks = app.get("/oauth2/jwks").await.json();
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == kid.as_str()),
        "published"
    );
    let after = app.cc_token(&client).await;
    assert_eq!(
        decode_header(&after).expect("header").kid.as_deref(),
        Some(kid.as_str()),
        "new tokens are signed with it"
    );
    assert!(
        app.is_active(&client, &before).await,
        "old tokens stay valid"
    );
    assert_eq!(
        get(&app, &admin, "/admin/v1/users").await.status,
        200,
        "the admin token signed by the retired key still works"
    );

    let rs = send_json(
        &app,
        &admin,
        TestRequest::post().uri("/admin/v1/keys/rotate"),
        json!({"alg": "RS256"}),
    )
    .await;
    assert_eq!(rs.status, 200, "{:?}", rs.json());
    assert_eq!(rs.json()["alg"], "RS256");
    for (body, status) in [
        (json!({"alg": "none"}), 422),
        (json!({"alg": "HS256"}), 422),
        (json!({"alg": 5}), 400),
        (json!({"kid": "mine"}), 400),
    ] {
        let response = send_json(
            &app,
            &admin,
            TestRequest::post().uri("/admin/v1/keys/rotate"),
            body.clone(),
        )
        .await;
        assert_problem(&response, status);
    }
    assert_problem(&get(&app, &admin, "/admin/v1/keys/rotate").await, 405);
    let anonymous = app
        .request(TestRequest::post().uri("/admin/v1/keys/rotate"))
        .await;
    assert_problem(&anonymous, 401);
}

on_every_backend!(
    a_client_lives_through_create_read_update_rotate_and_delete,
    public_clients_and_bad_registrations_get_problems,
    clients_are_listed_a_page_at_a_time_by_id,
    rotating_the_signing_key_names_the_new_key_only,
);
