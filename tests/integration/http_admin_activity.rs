//! A user's sessions and grants through the admin API (docs/admin-api.md), on the real app
//! and both backends: listed without any secret, ended one at a time with the effect of
//! logout and of RFC 7009 revocation, and another user's ids answered as unknown ones.

use actix_web::http::header;
use actix_web::test::TestRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_domain::authorization::model::AuthorizationParams;
use ciam_domain::sessions::model::Session;
use ciam_domain::{GrantRequest, GrantType, NewClient, Redirects, Scope, Secret, User};

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient};
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
    app.cc_token(&TestClient {
        id: client.id.to_string(),
        secret: secret.map(|s| s.expose().to_owned()),
    })
    .await
}

fn user(app: &TestApp, username: &str) -> User {
    app.services
        .accounts
        .create_user(username, &Secret::new(PASSWORD))
        .expect("user")
}

/// A client of the hosted login page that may refresh.
fn web_client(app: &TestApp) -> TestClient {
    let (client, secret) = app
        .services
        .clients
        .create_client(NewClient {
            name: "web".into(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scope: Scope::parse("openid").expect("scope"),
            public: false,
            redirects: Redirects {
                redirect_uris: vec!["https://app.example/cb".into()],
                ..Redirects::default()
            },
        })
        .expect("client");
    TestClient {
        id: client.id.to_string(),
        secret: secret.map(|s| s.expose().to_owned()),
    }
}

/// `user` signs in (a session, and its cookie's secret) and `client` gets tokens through
/// it: (session, cookie, access token, refresh token).
fn signed_in_through(
    app: &TestApp,
    user: &User,
    client: &TestClient,
) -> (Session, Secret, String, String) {
    let (cookie, session) = app.services.sessions.start(user, None).expect("session");
    let registered = app
        .services
        .clients
        .find_client(&client.id)
        .expect("read")
        .expect("registered");
    let request = app
        .services
        .authorization
        .check(&AuthorizationParams {
            response_type: Some("code".into()),
            client_id: Some(client.id.clone()),
            redirect_uri: Some("https://app.example/cb".into()),
            scope: Some("openid".into()),
            ..Default::default()
        })
        .expect("trusted");
    let code = app
        .services
        .authorization
        .issue_code(&request, &session)
        .expect("code");
    let tokens = app
        .services
        .tokens
        .issue(
            &registered,
            GrantRequest::AuthorizationCode {
                code,
                redirect_uri: Some("https://app.example/cb".into()),
                code_verifier: None,
            },
        )
        .expect("tokens");
    let refresh = tokens.refresh_token.expect("a refresh token");
    (
        session,
        cookie,
        tokens.access_token,
        refresh.expose().to_owned(),
    )
}

/// The password grant's (access token, refresh token) for `username`.
async fn password_tokens(app: &TestApp, client: &TestClient, username: &str) -> (String, String) {
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
    let json = response.json();
    (
        json["access_token"].as_str().expect("access").to_owned(),
        json["refresh_token"].as_str().expect("refresh").to_owned(),
    )
}

async fn call(app: &TestApp, request: TestRequest, token: &str) -> Response {
    app.request(request.insert_header((header::AUTHORIZATION, format!("Bearer {token}"))))
        .await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Response {
    call(app, TestRequest::get().uri(path), token).await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> Response {
    call(app, TestRequest::delete().uri(path), token).await
}

fn assert_not_found(response: &Response, detail: &str) {
    assert_eq!(response.status, 404, "{:?}", response.json());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(response.json()["detail"], detail);
}

/// The ids of a list's members, in order.
fn ids(list: &serde_json::Value, member: &str) -> Vec<String> {
    list[member]
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn sessions_are_listed_and_ending_one_revokes_what_was_born_in_it(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let web = web_client(&app);
    let alice = user(&app, "alice");
    let bob = user(&app, "bob");
    let (session, cookie, access, refresh) = signed_in_through(&app, &alice, &web);
    let (_, other_cookie) = {
        let (cookie, other) = app.services.sessions.start(&alice, None).expect("session");
        (other, cookie)
    };
    let (bobs, _, bobs_access, _) = signed_in_through(&app, &bob, &web);
    let sessions = format!("/admin/v1/users/{}/sessions", alice.id);

    let listed = get(&app, &admin, &sessions).await;
    assert_eq!(listed.status, 200, "{:?}", listed.json());
    assert_eq!(listed.header("cache-control"), Some("no-store"));
    let body = listed.json();
    assert_eq!(body["next"], serde_json::Value::Null);
    assert_eq!(ids(&body, "sessions").len(), 2);
    assert!(!ids(&body, "sessions").contains(&bobs.id.to_string()));
    let shown = body["sessions"]
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["id"] == session.id.as_str())
        .expect("listed")
        .clone();
    assert_eq!(shown["clients"], serde_json::json!([web.id]));
    assert_eq!(shown["created_at"], session.auth_time.0);
    assert_eq!(shown["expires_at"], session.expires_at.0);
    let mut members: Vec<&str> = shown
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(
        members,
        ["clients", "created_at", "expires_at", "id", "last_seen_at"]
    );
    let text = String::from_utf8_lossy(&listed.body).into_owned();
    for secret in [cookie.expose(), other_cookie.expose()] {
        assert!(!text.contains(secret));
        assert!(!text.contains(Secret::new(secret).hash().as_str()));
    }
    // Pages of one, then none left.
    let first = get(&app, &admin, &format!("{sessions}?limit=1"))
        .await
        .json();
    let next = first["next"].as_str().expect("a next page").to_owned();
    let second = get(&app, &admin, &format!("{sessions}?limit=1&after={next}"))
        .await
        .json();
    assert_eq!(second["next"], serde_json::Value::Null);
    assert_eq!(ids(&second, "sessions").len(), 1);
    assert_ne!(ids(&first, "sessions"), ids(&second, "sessions"));

    // Bob's session through Alice's path: as unknown as an id that is none.
    for wrong in [bobs.id.as_str(), "unknown", "%00", "a%20b"] {
        let response = delete(&app, &admin, &format!("{sessions}/{wrong}")).await;
        assert_not_found(&response, "no session of this user with this id");
    }
    assert!(app.is_active(&web, &bobs_access).await);
    assert!(app.is_active(&web, &access).await);

    let ended = delete(&app, &admin, &format!("{sessions}/{}", session.id)).await;
    assert_eq!(ended.status, 204, "{:?}", ended.json());
    assert!(!app.is_active(&web, &access).await, "its access token");
    let refreshed = app.refresh(&web, &refresh).await;
    assert_eq!(refreshed.status, 400);
    assert_eq!(refreshed.error(), "invalid_grant");
    assert!(app
        .services
        .sessions
        .current(cookie.expose())
        .expect("read")
        .is_none());
    let left = get(&app, &admin, &sessions).await.json();
    assert_eq!(ids(&left, "sessions").len(), 1);
    assert!(!ids(&left, "sessions").contains(&session.id.to_string()));
    // Again: harmless. Bob's is untouched.
    let again = delete(&app, &admin, &format!("{sessions}/{}", session.id)).await;
    assert_eq!(again.status, 204);
    assert!(app.is_active(&web, &bobs_access).await);
}

async fn grants_are_listed_and_revoking_one_ends_its_tokens(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let client = app.confidential();
    let alice = user(&app, "alice");
    user(&app, "bob");
    let (first_access, first_refresh) = password_tokens(&app, &client, "alice").await;
    let (second_access, second_refresh) = password_tokens(&app, &client, "alice").await;
    let (bobs_access, _) = password_tokens(&app, &client, "bob").await;
    let grants = format!("/admin/v1/users/{}/grants", alice.id);

    let listed = get(&app, &admin, &grants).await;
    assert_eq!(listed.status, 200, "{:?}", listed.json());
    let body = listed.json();
    assert_eq!(ids(&body, "grants").len(), 2);
    let grant = &body["grants"][0];
    assert_eq!(grant["client_id"], client.id.as_str());
    assert_eq!(grant["scope"], "read write");
    assert_eq!(grant["session_id"], serde_json::Value::Null);
    let ttl = app.services.config().refresh_token_ttl;
    let created = grant["created_at"].as_i64().expect("created_at");
    assert_eq!(grant["expires_at"].as_i64(), Some(created + ttl));
    let text = String::from_utf8_lossy(&listed.body).into_owned();
    for token in [&first_refresh, &second_refresh] {
        assert!(!text.contains(token.as_str()));
        assert!(!text.contains(Secret::new(token.as_str()).hash().as_str()));
    }

    // Which grant is whose: the `gid` claim of its access tokens (a JWT).
    let gid = |access: &str| {
        let payload = access.split('.').nth(1).expect("a JWT");
        let payload = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
        let claims: serde_json::Value = serde_json::from_slice(&payload).expect("JSON");
        claims["gid"].as_str().expect("a grant").to_owned()
    };
    let first_grant = gid(&first_access);
    let bobs_grant = gid(&bobs_access);
    assert!(ids(&body, "grants").contains(&first_grant));

    for wrong in [bobs_grant.as_str(), "unknown", "%00"] {
        let response = delete(&app, &admin, &format!("{grants}/{wrong}")).await;
        assert_not_found(&response, "no grant of this user with this id");
    }
    assert!(app.is_active(&client, &bobs_access).await);

    let revoked = delete(&app, &admin, &format!("{grants}/{first_grant}")).await;
    assert_eq!(revoked.status, 204, "{:?}", revoked.json());
    assert!(
        !app.is_active(&client, &first_access).await,
        "denied at once"
    );
    let refreshed = app.refresh(&client, &first_refresh).await;
    assert_eq!(refreshed.status, 400);
    assert_eq!(refreshed.error(), "invalid_grant");
    // Only that one.
    assert!(app.is_active(&client, &second_access).await);
    assert_eq!(app.refresh(&client, &second_refresh).await.status, 200);
    assert!(app.is_active(&client, &bobs_access).await);
    let left = get(&app, &admin, &grants).await.json();
    assert_eq!(ids(&left, "grants").len(), 1);
    assert!(!ids(&left, "grants").contains(&first_grant));
}

async fn bad_parameters_unknown_users_and_wrong_methods_are_problems(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let alice = user(&app, "alice");
    for list in ["sessions", "grants"] {
        let path = format!("/admin/v1/users/{}/{list}", alice.id);
        for (query, detail) in [
            ("limit=0", "limit must be 1 to 1000"),
            ("limit=1001", "limit must be 1 to 1000"),
            ("limit=x", "limit must be 1 to 1000"),
            ("after=%00", "after must be the next of a previous page"),
            ("limit=1&limit=2", "a query parameter is repeated"),
        ] {
            let response = get(&app, &admin, &format!("{path}?{query}")).await;
            assert_eq!(response.status, 400, "{query}");
            assert_eq!(response.json()["detail"], detail, "{query}");
        }
        let empty = get(&app, &admin, &format!("{path}?limit=1000")).await;
        assert_eq!(empty.status, 200);
        assert_eq!(empty.json()[list], serde_json::json!([]));
        let unknown = get(&app, &admin, &format!("/admin/v1/users/nobody/{list}")).await;
        assert_not_found(&unknown, "no user or client with this id");
        let unknown = delete(&app, &admin, &format!("/admin/v1/users/nobody/{list}/x")).await;
        assert_not_found(&unknown, "no user or client with this id");
        let wrong = call(&app, TestRequest::post().uri(&path), &admin).await;
        assert_eq!(wrong.status, 405);
        assert_eq!(wrong.header("allow"), Some("GET, HEAD"));
        let wrong = call(&app, TestRequest::get().uri(&format!("{path}/x")), &admin).await;
        assert_eq!(wrong.status, 405);
        assert_eq!(wrong.header("allow"), Some("DELETE"));
        // No token: the path is not even looked at.
        let anonymous = app
            .request(TestRequest::delete().uri(&format!("{path}/x")))
            .await;
        assert_eq!(anonymous.status, 401);
    }
}

on_every_backend!(
    sessions_are_listed_and_ending_one_revokes_what_was_born_in_it,
    grants_are_listed_and_revoking_one_ends_its_tokens,
    bad_parameters_unknown_users_and_wrong_methods_are_problems,
);
