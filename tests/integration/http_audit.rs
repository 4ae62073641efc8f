//! `GET /admin/v1/audit` through the real app on both backends: what an admin client, a
//! client and a user did, attributed and in order, filtered and paged; bad queries are 400
//! problems; only an admin client reads it.

use std::net::SocketAddr;

use actix_web::http::header;
use actix_web::test::TestRequest;
use ciam_domain::GrantType;
use serde_json::Value;

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient};

const PASSWORD: &str = "correct horse battery";

fn peer() -> SocketAddr {
    "198.51.100.23:40000".parse().expect("address")
}

/// A form POST from `peer()`, the client authenticating in the body.
async fn form(app: &TestApp, path: &str, client: &TestClient, pairs: &[(&str, &str)]) -> Value {
    let mut pairs = pairs.to_vec();
    pairs.push(("client_id", &client.id));
    pairs.push(("client_secret", client.secret()));
    let body = serde_urlencoded::to_string(&pairs).expect("form");
    let response = app
        .request(
            TestRequest::post()
                .uri(path)
                .peer_addr(peer())
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(body),
        )
        .await;
    if response.body.is_empty() {
        Value::Null
    } else {
        response.json()
    }
}

async fn audit(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    let response = app
        .request(
            TestRequest::get()
                .uri(&format!("/admin/v1/audit{query}"))
                .peer_addr(peer())
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}"))),
        )
        .await;
    (response.status, response.json())
}

fn actions(listing: &Value) -> Vec<&str> {
    listing["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["action"].as_str().expect("action"))
        .collect()
}

async fn the_trail_shows_who_did_what_in_order(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = app.client_with_scope(&[GrantType::ClientCredentials], "ciam:admin");
    let admin_token = app.cc_token(&admin).await;
    let web = app.client_with_scope(&[GrantType::Password, GrantType::RefreshToken], "read");
    app.user("alice", PASSWORD);
    let alice = app
        .services
        .accounts
        .find_user_by_username("alice")
        .expect("read")
        .expect("alice")
        .id
        .to_string();

    let sign_in = |password: &'static str| {
        let (app, web) = (&app, &web);
        async move {
            form(
                app,
                "/oauth2/token",
                web,
                &[
                    ("grant_type", "password"),
                    ("username", "alice"),
                    ("password", password),
                ],
            )
            .await
        }
    };
    sign_in("wrong horse battery").await;
    let tokens = sign_in(PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    form(&app, "/oauth2/revoke", &web, &[("token", &access)]).await;
    let revoked = app
        .request(
            TestRequest::post()
                .uri(&format!("/admin/v1/users/{alice}/revoke"))
                .peer_addr(peer())
                .insert_header((header::AUTHORIZATION, format!("Bearer {admin_token}"))),
        )
        .await;
    assert_eq!(revoked.status, 200);

    let (status, of_alice) = audit(&app, &admin_token, &format!("?user={alice}")).await;
    assert_eq!(status, 200, "{of_alice}");
    assert_eq!(
        actions(&of_alice),
        [
            "user.created",
            "sign_in.failed",
            "sign_in.succeeded",
            "revoke.access_token",
            "revoke.user",
        ]
    );
    let entries = of_alice["entries"].as_array().expect("entries");
    assert_eq!(entries[0]["actor"]["kind"], "cli");
    assert_eq!(entries[1]["address"], "198.51.100.23");
    assert_eq!(entries[1]["reason"], "wrong_credentials");
    assert_eq!(entries[2]["client_id"], web.id.as_str());
    assert_eq!(entries[3]["actor"]["kind"], "client");
    assert_eq!(entries[3]["actor"]["id"], web.id.as_str());
    assert_eq!(entries[3]["address"], "198.51.100.23");
    assert_eq!(entries[4]["actor"]["kind"], "admin_client");
    assert_eq!(entries[4]["actor"]["id"], admin.id.as_str());
    let text = of_alice.to_string();
    for secret in [PASSWORD, &access, web.secret(), admin.secret()] {
        assert!(!text.contains(secret), "a secret is in the trail");
    }

    let (_, revocations) = audit(&app, &admin_token, "?kind=revoke").await;
    assert_eq!(
        actions(&revocations),
        ["revoke.access_token", "revoke.user"]
    );
    let (_, by_admin) = audit(&app, &admin_token, &format!("?client={}", admin.id)).await;
    assert_eq!(actions(&by_admin), ["client.created", "revoke.user"]);

    // Pages of two cover the whole trail once, in order.
    let (_, everything) = audit(&app, &admin_token, "?limit=1000").await;
    let mut paged = vec![];
    let mut query = "?limit=2".to_owned();
    loop {
        let (status, page) = audit(&app, &admin_token, &query).await;
        assert_eq!(status, 200);
        paged.extend(page["entries"].as_array().expect("entries").clone());
        match page["next"].as_i64() {
            Some(next) => query = format!("?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(Value::from(paged), everything["entries"]);
}

async fn bad_queries_are_400_and_only_admin_clients_read(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = app.client_with_scope(&[GrantType::ClientCredentials], "ciam:admin");
    let admin_token = app.cc_token(&admin).await;
    for query in [
        "?kind=revok",
        "?limit=0",
        "?limit=1001",
        "?limit=x",
        "?since=yesterday",
        "?after=-",
        "?kind=revoke&kind=user",
    ] {
        let (status, problem) = audit(&app, &admin_token, query).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert!(problem["detail"].is_string(), "{query}: {problem}");
    }
    let (status, nobody) = audit(&app, &admin_token, "?user=%00").await;
    assert_eq!(
        (status, nobody["entries"].clone()),
        (200, Value::from(vec![] as Vec<Value>))
    );

    let other = app.client_with_scope(&[GrantType::ClientCredentials], "read");
    let other_token = app.cc_token(&other).await;
    assert_eq!(audit(&app, &other_token, "").await.0, 403);
    assert_eq!(audit(&app, "not-a-token", "").await.0, 401);
}

async fn admin_operations_are_attributed_to_the_admin_client(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = app.client_with_scope(&[GrantType::ClientCredentials], "ciam:admin");
    let token = app.cc_token(&admin).await;
    let send = |request: TestRequest| {
        let (app, token) = (&app, &token);
        async move {
            app.request(
                request
                    .peer_addr(peer())
                    .insert_header((header::AUTHORIZATION, format!("Bearer {token}"))),
            )
            .await
        }
    };
    let created = send(
        TestRequest::post()
            .uri("/admin/v1/clients")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(r#"{"name": "billing", "grant_types": ["client_credentials"]}"#),
    )
    .await;
    assert_eq!(created.status, 201);
    let billing = created.json()["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned();
    let rotated =
        send(TestRequest::post().uri(&format!("/admin/v1/clients/{billing}/secret"))).await;
    assert_eq!(rotated.status, 200);
    assert_eq!(
        send(TestRequest::post().uri("/admin/v1/keys/rotate"))
            .await
            .status,
        200
    );
    let deleted = send(TestRequest::delete().uri(&format!("/admin/v1/clients/{billing}"))).await;
    assert_eq!(deleted.status, 204);

    let (status, by_admin) = audit(&app, &token, &format!("?client={}", admin.id)).await;
    assert_eq!(status, 200);
    assert_eq!(
        actions(&by_admin),
        [
            "client.created", // the admin client itself, at the command line
            "client.created",
            "client.secret_rotated",
            "key.rotated",
            "revoke.client",
            "client.deleted",
        ]
    );
    for entry in &by_admin["entries"].as_array().expect("entries")[1..] {
        assert_eq!(entry["actor"]["kind"], "admin_client", "{entry}");
        assert_eq!(entry["actor"]["id"], admin.id.as_str(), "{entry}");
        assert_eq!(entry["address"], "198.51.100.23", "{entry}");
    }
    let secret = rotated.json()["client_secret"]
        .as_str()
        .expect("new secret")
        .to_owned();
    assert!(
        !by_admin.to_string().contains(&secret),
        "a secret is in the trail"
    );
}

on_every_backend!(
    the_trail_shows_who_did_what_in_order,
    bad_queries_are_400_and_only_admin_clients_read,
    admin_operations_are_attributed_to_the_admin_client,
);
