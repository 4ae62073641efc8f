//! User management through the admin API (`/admin/v1/users…`, docs/admin-api.md) on both
//! backends: create, list (keyset paging, prefix search), update, disable, enable, delete,
//! and what each does to the user's tokens and sign-ins through the real app.

use actix_web::http::header;
use actix_web::test::TestRequest;
use ciam_domain::{GrantType, NewClient, Profile, Scope, UnixTime, User, UserId};
use serde_json::{json, Value};

use crate::http_sign_in::{authorize_path, sign_in as login_page_sign_in, spa};
use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient};
use crate::support::browser_session::Jar;
use crate::support::http::{Auth, Response};

const PASSWORD: &str = "correct horse battery";

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
    send_json(app, token, TestRequest::post().uri("/admin/v1/users"), body).await
}

async fn user_action(app: &TestApp, token: &str, id: &str, action: &str) -> Response {
    let request = TestRequest::post().uri(&format!("/admin/v1/users/{id}/{action}"));
    call(app, token, request).await
}

async fn get_user(app: &TestApp, token: &str, id: &str) -> Response {
    call(
        app,
        token,
        TestRequest::get().uri(&format!("/admin/v1/users/{id}")),
    )
    .await
}

async fn list(app: &TestApp, token: &str, query: &str) -> Response {
    call(
        app,
        token,
        TestRequest::get().uri(&format!("/admin/v1/users?{query}")),
    )
    .await
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

async fn password_grant(app: &TestApp, client: &TestClient, username: &str) -> Response {
    app.post(
        "/oauth2/token",
        Auth::Post(client),
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", PASSWORD),
        ],
    )
    .await
}

/// Whether the hosted login page signs `username` in (303 back to the app).
async fn login_page_accepts(app: &TestApp, spa: &TestClient, username: &str) -> bool {
    let mut jar = Jar::default();
    let page = jar.get_page(app, &authorize_path(spa, &[])).await;
    let answer = login_page_sign_in(app, &mut jar, &page, username, PASSWORD).await;
    match answer.status {
        303 => true,
        401 => false,
        other => panic!("login page answered {other}"),
    }
}

async fn a_user_lives_through_create_disable_enable_and_delete(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let web = app.confidential();
    let browser_app = spa(&app);

    // Create.
    let created = create(
        &app,
        &admin,
        json!({"username": "alice", "password": PASSWORD, "email": "alice@example.com", "name": "Alice"}),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let body = created.json();
    let id = body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/admin/v1/users/{id}").as_str())
    );
    assert_eq!(body["username"], "alice");
    assert_eq!(body["email_verified"], false);
    assert_eq!(
        (body["disabled"].clone(), body["disabled_at"].clone()),
        (json!(false), Value::Null)
    );
    let text = String::from_utf8_lossy(&created.body);
    assert!(
        !text.contains("argon2") && !text.contains(PASSWORD),
        "{text}"
    );
    assert_eq!(get_user(&app, &admin, &id).await.json(), body);

    // Sign in.
    let tokens = password_grant(&app, &web, "alice").await;
    assert_eq!(tokens.status, 200);
    let tokens = tokens.json();
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert!(app.is_active(&web, &access).await);
    assert!(login_page_accepts(&app, &browser_app, "alice").await);

    // Disable: every token and sign-in refused, with the answers of a wrong password.
    let disabled = user_action(&app, &admin, &id, "disable").await;
    assert_eq!(disabled.status, 200, "{:?}", disabled.json());
    let body = disabled.json();
    assert_eq!(body["disabled"], true);
    assert!(body["disabled_at"].as_i64().is_some());
    assert_eq!(body["grants_revoked"], 1);
    assert!(
        !app.is_active(&web, &access).await,
        "introspection: inactive"
    );
    let refreshed = app.refresh(&web, &refresh).await;
    assert_eq!(
        (refreshed.status, refreshed.error().as_str()),
        (400, "invalid_grant")
    );
    let refused = password_grant(&app, &web, "alice").await;
    assert_eq!(
        (refused.status, refused.error().as_str()),
        (400, "invalid_grant")
    );
    assert!(!login_page_accepts(&app, &browser_app, "alice").await);
    assert_eq!(get_user(&app, &admin, &id).await.json()["disabled"], true);

    // Enable: sign-in works again; what was revoked stays revoked.
    let enabled = user_action(&app, &admin, &id, "enable").await;
    assert_eq!(enabled.status, 200);
    assert_eq!(enabled.json()["disabled_at"], Value::Null);
    let again = password_grant(&app, &web, "alice").await;
    assert_eq!(again.status, 200, "{:?}", again.json());
    let again_access = again.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    assert!(app.is_active(&web, &again_access).await);
    assert!(
        !app.is_active(&web, &access).await,
        "old token stays revoked"
    );
    assert!(login_page_accepts(&app, &browser_app, "alice").await);

    // Delete: gone, tokens dead, username free.
    let deleted = call(
        &app,
        &admin,
        TestRequest::delete().uri(&format!("/admin/v1/users/{id}")),
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert_problem(&get_user(&app, &admin, &id).await, 404);
    assert!(!app.is_active(&web, &again_access).await);
    let gone = password_grant(&app, &web, "alice").await;
    assert_eq!((gone.status, gone.error().as_str()), (400, "invalid_grant"));
    for action in ["disable", "enable"] {
        assert_problem(&user_action(&app, &admin, &id, action).await, 404);
    }
    let again_deleted = call(
        &app,
        &admin,
        TestRequest::delete().uri(&format!("/admin/v1/users/{id}")),
    )
    .await;
    assert_problem(&again_deleted, 404);
    let reborn = create(
        &app,
        &admin,
        json!({"username": "alice", "password": PASSWORD}),
    )
    .await;
    assert_eq!(reborn.status, 201, "the username is free again");
    assert_ne!(reborn.json()["id"], json!(id));
    assert_eq!(password_grant(&app, &web, "alice").await.status, 200);
}

async fn creating_refuses_duplicates_and_bad_input_with_problems(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let ok = json!({"username": "bob", "password": PASSWORD});
    assert_eq!(create(&app, &admin, ok.clone()).await.status, 201);
    assert_problem(&create(&app, &admin, ok).await, 409);
    for (body, status) in [
        (json!({"username": "", "password": PASSWORD}), 422),
        (json!({"username": "carol", "password": "short"}), 422),
        (
            json!({"username": "carol", "password": PASSWORD, "email": "nope"}),
            422,
        ),
        (
            json!({"username": "carol", "password": PASSWORD, "name": "a\nb"}),
            422,
        ),
        (json!({"username": "carol"}), 400),
        (
            json!({"username": "carol", "password": PASSWORD, "admin": true}),
            400,
        ),
        (json!({"username": 7, "password": PASSWORD}), 400),
        (json!(["carol", PASSWORD]), 400),
    ] {
        let response = create(&app, &admin, body.clone()).await;
        assert_eq!(response.status, status, "{body}");
        assert_problem(&response, status);
    }
    let not_json = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/admin/v1/users")
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload("username=carol"),
    )
    .await;
    assert_problem(&not_json, 415);
    let huge = json!({"username": "carol", "password": PASSWORD, "name": "x".repeat(20_000)});
    assert_problem(&create(&app, &admin, huge).await, 413);
    let broken = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/admin/v1/users")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload("{\"username\": "),
    )
    .await;
    assert_problem(&broken, 400);
    // Nothing of those was created.
    let page = list(&app, &admin, "").await.json();
    assert_eq!(page["users"].as_array().map(Vec::len), Some(1));
}

async fn a_profile_patch_changes_what_it_names(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let created = create(
        &app,
        &admin,
        json!({"username": "dana", "password": PASSWORD, "email": "dana@example.com", "name": "Dana"}),
    )
    .await
    .json();
    let id = created["id"].as_str().expect("id");
    let path = format!("/admin/v1/users/{id}");
    let patch = |body: Value| send_json(&app, &admin, TestRequest::patch().uri(&path), body);
    let verified = patch(json!({"email_verified": true})).await;
    assert_eq!(verified.status, 200);
    assert_eq!(verified.json()["email_verified"], true);
    assert_eq!(verified.json()["name"], "Dana");
    let moved = patch(json!({"email": "dana@elsewhere.example", "name": null}))
        .await
        .json();
    assert_eq!(moved["email"], "dana@elsewhere.example");
    assert_eq!(
        moved["email_verified"], false,
        "a new address is unverified"
    );
    assert_eq!(moved["name"], Value::Null);
    assert_problem(&patch(json!({"email": "nope"})).await, 422);
    assert_problem(&patch(json!({"password": "new one please"})).await, 400);
    assert_problem(&patch(json!({"email_verified": "yes"})).await, 400);
    let unknown = send_json(
        &app,
        &admin,
        TestRequest::patch().uri("/admin/v1/users/nobody"),
        json!({"name": "X"}),
    )
    .await;
    assert_problem(&unknown, 404);
}

/// A user stored directly (no password hashing: many of them, fast).
fn stored_user(app: &TestApp, id: String, username: String) {
    app.ports
        .store
        .insert_user(
            &User {
                id: UserId::new(id),
                username,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
                created_at: UnixTime(1_700_000_000),
                profile: Profile::default(),
                disabled_at: None,
            },
            &ciam_domain::AuditEvent::new(
                UnixTime(1_700_000_000),
                ciam_domain::Actor::Cli,
                ciam_domain::AuditAction::UserCreated,
            ),
        )
        .expect("stored");
}

async fn listing_pages_by_id_and_searches_by_username_prefix(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    for i in 0..120 {
        stored_user(
            &app,
            format!("{:032x}", (i * 7919) % 1000),
            format!("user-{i:03}"),
        );
    }
    let mut seen = vec![];
    let mut sizes = vec![];
    let mut query = "limit=50".to_owned();
    loop {
        let page = list(&app, &admin, &query).await;
        assert_eq!(page.status, 200, "{:?}", page.json());
        let page = page.json();
        let users = page["users"].as_array().expect("users").clone();
        sizes.push(users.len());
        for user in &users {
            assert!(user.get("password_hash").is_none());
            seen.push(user["id"].as_str().expect("id").to_owned());
        }
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), seen.last().map(String::as_str));
                query = format!("limit=50&after={next}");
            }
            None => break,
        }
    }
    assert_eq!(sizes, [50, 50, 20]);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in id order, no duplicates");
    assert_eq!(seen.len(), 120);
    // The default page is 50; a limit of 200 is allowed, 201 is not.
    assert_eq!(
        list(&app, &admin, "").await.json()["users"]
            .as_array()
            .map(Vec::len),
        Some(50)
    );
    let all = list(&app, &admin, "limit=200").await.json();
    assert_eq!(
        (all["users"].as_array().map(Vec::len), all["next"].clone()),
        (Some(120), Value::Null)
    );
    for bad in [
        "limit=0",
        "limit=201",
        "limit=x",
        "after=a%00b",
        "limit=5&limit=6",
    ] {
        assert_problem(&list(&app, &admin, bad).await, 400);
    }
    // Search: user-100 … user-119 start with "user-1".
    let found = list(&app, &admin, "q=user-1&limit=200").await.json();
    let names: Vec<&str> = found["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names.len(), 20);
    assert!(names.iter().all(|n| n.starts_with("user-1")), "{names:?}");
    let paged = list(&app, &admin, "q=user-1&limit=15").await.json();
    let next = paged["next"].as_str().expect("a second page");
    let rest = list(&app, &admin, &format!("q=user-1&limit=15&after={next}"))
        .await
        .json();
    assert_eq!(rest["users"].as_array().map(Vec::len), Some(5));
    assert_eq!(rest["next"], Value::Null);
    assert_eq!(
        list(&app, &admin, "q=USER").await.json()["users"],
        json!([]),
        "case-sensitive"
    );
    assert_eq!(
        list(&app, &admin, "q=%25").await.json()["users"],
        json!([]),
        "% is literal"
    );
}

on_every_backend!(
    a_user_lives_through_create_disable_enable_and_delete,
    creating_refuses_duplicates_and_bad_input_with_problems,
    a_profile_patch_changes_what_it_names,
    listing_pages_by_id_and_searches_by_username_prefix,
);
