//! The admin API (`/admin/v1`, docs/admin-api.md) through the real app on both backends:
//! an admin client's `client_credentials` token with `ciam:admin` revokes users and
//! clients and reads users; everyone else gets RFC 9457 problem details with the Bearer
//! challenge of RFC 6750 §3.

use actix_web::http::header;
use actix_web::test::TestRequest;
use ciam_domain::{GrantType, Profile, Secret};

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient};
use crate::support::http::{Auth, Response};

const PASSWORD: &str = "correct horse battery";

/// An admin client's token: the client registered as docs/admin-api.md says.
async fn admin_token(app: &TestApp) -> String {
    let admin = app.client_with_scope(&[GrantType::ClientCredentials], "ciam:admin");
    app.cc_token(&admin).await
}

fn user_id(app: &TestApp, username: &str) -> String {
    app.services
        .accounts
        .find_user_by_username(username)
        .expect("read")
        .expect("the user exists")
        .id
        .to_string()
}

/// The password grant's answer for `username`.
async fn sign_in(app: &TestApp, client: &TestClient, username: &str) -> serde_json::Value {
    let response = app
        .post(
            "/oauth2/token",
            Auth::Post(client),
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status, 200, "{:?}", response.json());
    response.json()
}

fn access_token(tokens: &serde_json::Value) -> String {
    tokens["access_token"]
        .as_str()
        .expect("access_token")
        .into()
}

async fn call(app: &TestApp, request: TestRequest, token: Option<&str>) -> Response {
    let request = match token {
        Some(token) => request.insert_header((header::AUTHORIZATION, format!("Bearer {token}"))),
        None => request,
    };
    app.request(request).await
}

async fn revoke_user(app: &TestApp, token: Option<&str>, user_id: &str) -> Response {
    let request = TestRequest::post().uri(&format!("/admin/v1/users/{user_id}/revoke"));
    call(app, request, token).await
}

async fn revoke_client(app: &TestApp, token: Option<&str>, client_id: &str) -> Response {
    let request = TestRequest::post().uri(&format!("/admin/v1/clients/{client_id}/revoke"));
    call(app, request, token).await
}

async fn get_user(app: &TestApp, token: Option<&str>, user_id: &str) -> Response {
    let request = TestRequest::get().uri(&format!("/admin/v1/users/{user_id}"));
    call(app, request, token).await
}

/// RFC 9457 problem details with this status: its media type and exactly its four members.
fn assert_problem(response: &Response, status: u16) {
    assert_eq!(response.status, status, "{:?}", response.json());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let body = response.json();
    let members = body.as_object().expect("an object");
    let mut names: Vec<&str> = members.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["detail", "status", "title", "type"], "{body}");
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["status"], status);
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

async fn revoking_a_user_ends_every_token_of_theirs_and_no_one_elses(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let web = app.confidential();
    let password_only = app.client_with_scope(&[GrantType::Password], "read");
    app.user("alice", PASSWORD);
    app.user("bob", PASSWORD);
    let with_refresh = sign_in(&app, &web, "alice").await;
    let refresh_token = with_refresh["refresh_token"].as_str().expect("refresh");
    let without_refresh = sign_in(&app, &password_only, "alice").await;
    assert!(without_refresh.get("refresh_token").is_none());
    let bobs = access_token(&sign_in(&app, &web, "bob").await);
    let alice = user_id(&app, "alice");

    let response = revoke_user(&app, Some(&admin), &alice).await;
    assert_eq!(response.status, 200, "{:?}", response.json());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        response.json(),
        serde_json::json!({"user_id": alice, "grants_revoked": 1, "sessions_ended": 0})
    );

    // A 200 means durable and visible: at once, on this node.
    assert!(!app.is_active(&web, &access_token(&with_refresh)).await);
    assert!(!app.is_active(&web, &access_token(&without_refresh)).await);
    let refreshed = app.refresh(&web, refresh_token).await;
    assert_eq!(
        (refreshed.status, refreshed.error().as_str()),
        (400, "invalid_grant")
    );
    assert!(app.is_active(&web, &bobs).await, "another user's token");
    // Issued after the cut-off, in its own second as likely as not: live.
    let after = access_token(&sign_in(&app, &web, "alice").await);
    assert!(
        app.is_active(&web, &after).await,
        "issued after the revocation"
    );
}

async fn revoking_a_client_ends_its_client_credentials_tokens(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let target = app.confidential();
    let other = app.confidential();
    let targets = app.cc_token(&target).await;
    let others = app.cc_token(&other).await;

    let response = revoke_client(&app, Some(&admin), &target.id).await;
    assert_eq!(response.status, 200, "{:?}", response.json());
    assert_eq!(
        response.json(),
        serde_json::json!({"client_id": target.id, "grants_revoked": 0, "sessions_ended": 0})
    );
    assert!(!app.is_active(&other, &targets).await);
    assert!(
        app.is_active(&other, &others).await,
        "another client's token"
    );
    let after = app.cc_token(&target).await;
    assert!(
        app.is_active(&other, &after).await,
        "issued after the revocation"
    );
}

async fn a_user_is_shown_without_any_hash(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let user = app
        .services
        .accounts
        .create_user_with_profile(
            "carol",
            &Secret::new(PASSWORD),
            Profile {
                name: Some("Carol Doe".into()),
                email: Some("carol@example.com".into()),
                email_verified: false,
            },
            &ciam_domain::Initiator::cli(),
        )
        .expect("user");
    let response = get_user(&app, Some(&admin), user.id.as_str()).await;
    assert_eq!(response.status, 200, "{:?}", response.json());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        response.json(),
        serde_json::json!({
            "id": user.id.as_str(),
            "username": "carol",
            "name": "Carol Doe",
            "email": "carol@example.com",
            "email_verified": false,
            "created_at": user.created_at.0,
            "disabled": false,
            "disabled_at": null,
        })
    );
    let body = String::from_utf8_lossy(&response.body);
    assert!(!body.contains(&user.password_hash) && !body.contains("argon2"));
}

async fn callers_without_an_admin_token_get_problems(kind: Kind) {
    let app = TestApp::new(kind);
    app.user("alice", PASSWORD);
    let alice = user_id(&app, "alice");
    let challenge = |r: &Response| r.header("www-authenticate").unwrap_or_default().to_owned();

    // No token: 401 with the bare challenge (RFC 6750 §3.1), whatever the id.
    for response in [
        revoke_user(&app, None, &alice).await,
        revoke_user(&app, None, "nobody").await,
        revoke_client(&app, None, "nobody").await,
        get_user(&app, None, &alice).await,
    ] {
        assert_problem(&response, 401);
        assert_eq!(challenge(&response), r#"Bearer realm="ciam""#);
    }
    // Garbage, and a token that is not an access token of ours: invalid_token.
    for token in ["garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"] {
        let response = revoke_user(&app, Some(token), &alice).await;
        assert_problem(&response, 401);
        assert_eq!(
            challenge(&response),
            r#"Bearer realm="ciam", error="invalid_token""#
        );
    }
    // A person's token, even from a client that may ask for the admin scope.
    let both = app.client_with_scope(
        &[GrantType::Password, GrantType::ClientCredentials],
        "ciam:admin read",
    );
    let persons = access_token(&sign_in(&app, &both, "alice").await);
    let response = get_user(&app, Some(&persons), &alice).await;
    assert_problem(&response, 401);
    assert!(challenge(&response).contains(r#"error="invalid_token""#));
    // A client's token without the admin scope: 403, naming the scope needed.
    let plain = app.confidential();
    let plains = app.cc_token(&plain).await;
    for response in [
        revoke_user(&app, Some(&plains), &alice).await,
        revoke_client(&app, Some(&plains), &plain.id).await,
        get_user(&app, Some(&plains), &alice).await,
    ] {
        assert_problem(&response, 403);
        assert_eq!(
            challenge(&response),
            r#"Bearer realm="ciam", error="insufficient_scope", scope="ciam:admin""#
        );
    }
    assert!(app.is_active(&plain, &plains).await, "nothing was revoked");
    // A revoked admin token stops working at once.
    let admin = app.client_with_scope(&[GrantType::ClientCredentials], "ciam:admin");
    let token = app.cc_token(&admin).await;
    assert_eq!(get_user(&app, Some(&token), &alice).await.status, 200);
    assert_eq!(app.revoke(&admin, &token).await.status, 200);
    assert_problem(&get_user(&app, Some(&token), &alice).await, 401);
}

async fn unknown_ids_paths_and_methods_are_problems(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let long = "a".repeat(5_000);
    for id in [
        "nobody",
        "00000000000000000000000000000000",
        "%00",
        "%FF",
        "a%2Fb",
        &long,
    ] {
        assert_problem(&revoke_user(&app, Some(&admin), id).await, 404);
        assert_problem(&revoke_client(&app, Some(&admin), id).await, 404);
        assert_problem(&get_user(&app, Some(&admin), id).await, 404);
    }
    let unknown = call(
        &app,
        TestRequest::get().uri("/admin/v1/groups"),
        Some(&admin),
    )
    .await;
    assert_problem(&unknown, 404);

    for (request, allow) in [
        (TestRequest::get().uri("/admin/v1/users/x/revoke"), "POST"),
        (TestRequest::put().uri("/admin/v1/clients/x/revoke"), "POST"),
        (
            TestRequest::put().uri("/admin/v1/users/x"),
            "GET, HEAD, PATCH, DELETE",
        ),
        (
            TestRequest::post().uri("/admin/v1/users/x"),
            "GET, HEAD, PATCH, DELETE",
        ),
        (TestRequest::put().uri("/admin/v1/users"), "GET, HEAD, POST"),
        (TestRequest::get().uri("/admin/v1/users/x/disable"), "POST"),
        (
            TestRequest::delete().uri("/admin/v1/users/x/enable"),
            "POST",
        ),
    ] {
        let response = call(&app, request, Some(&admin)).await;
        assert_problem(&response, 405);
        assert_eq!(response.header("allow"), Some(allow));
    }
}

on_every_backend!(
    revoking_a_user_ends_every_token_of_theirs_and_no_one_elses,
    revoking_a_client_ends_its_client_credentials_tokens,
    a_user_is_shown_without_any_hash,
    callers_without_an_admin_token_get_problems,
    unknown_ids_paths_and_methods_are_problems,
);
