//! `GET /metrics` through the real app (docs/operations.md): counters move with what the
//! service does, routes are labelled by their pattern and never by the raw path, and an
//! outage of Redis shows in the dependency failures. Tests share the process's recorder
//! and run at the same time, so each compares a scrape before with one after and asks for
//! at least its own increase.

use actix_web::test::TestRequest;
use ciam_domain::{GrantType, NewClient, Scope};
use ciam_testkit::redis::TestRedis;

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient};
use crate::support::scrape::Scrape;

async fn scrape(app: &TestApp) -> Scrape {
    let response = app.get("/metrics").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4")
    );
    Scrape::parse(std::str::from_utf8(&response.body).expect("UTF-8"))
}

fn increase(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    after.value(name, labels) - before.value(name, labels)
}

async fn tokens_revocations_and_requests_are_counted(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.client(&[GrantType::ClientCredentials], false);
    let before = scrape(&app).await;
    let first = app.cc_token(&client).await;
    app.cc_token(&client).await;
    assert_eq!(app.revoke(&client, &first).await.status, 200);
    let after = scrape(&app).await;

    let issued = [("grant_type", "client_credentials")];
    assert!(increase(&before, &after, "ciam_tokens_issued_total", &issued) >= 2.0);
    let revoked = [("kind", "token")];
    assert!(increase(&before, &after, "ciam_revocations_total", &revoked) >= 1.0);
    let token_ok = [
        ("route", "/oauth2/token"),
        ("method", "POST"),
        ("status", "200"),
    ];
    assert!(increase(&before, &after, "ciam_http_requests_total", &token_ok) >= 2.0);
    let revoke_ok = [
        ("route", "/oauth2/revoke"),
        ("method", "POST"),
        ("status", "200"),
    ];
    assert!(increase(&before, &after, "ciam_http_requests_total", &revoke_ok) >= 1.0);
    // The latency histogram: every request lands in +Inf and is counted.
    let timed = [("route", "/oauth2/token"), ("method", "POST")];
    let count = "ciam_http_request_duration_seconds_count";
    assert!(increase(&before, &after, count, &timed) >= 2.0);
    let inf = [
        ("route", "/oauth2/token"),
        ("method", "POST"),
        ("le", "+Inf"),
    ];
    let bucket = "ciam_http_request_duration_seconds_bucket";
    assert_eq!(after.value(bucket, &inf), after.value(count, &timed));
    // A token request that fails is no token issued: a client with no secret right.
    let wrong = TestClient {
        id: client.id.clone(),
        secret: Some("not the secret".into()),
    };
    let refused = app
        .post(
            "/oauth2/token",
            crate::support::Auth::Post(&wrong),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(refused.status, 401);
    let later = scrape(&app).await;
    let unauthorized = [
        ("route", "/oauth2/token"),
        ("method", "POST"),
        ("status", "401"),
    ];
    assert!(increase(&after, &later, "ciam_http_requests_total", &unauthorized) >= 1.0);
    // Nothing of the secret reaches the exposition.
    assert!(!later.text.contains("not the secret"));
    assert!(!later.text.contains(client.secret()));
}

async fn admin_token(app: &TestApp) -> String {
    let (client, secret) = app
        .services
        .clients
        .create_client(NewClient {
            name: "metrics back office".into(),
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

async fn routes_are_labelled_by_pattern_and_unknown_paths_collapse(kind: Kind) {
    let app = TestApp::new(kind);
    let admin = admin_token(&app).await;
    let before = scrape(&app).await;
    let user_id = "metrics-probe-7f3a9c";
    let missing = app
        .request(
            TestRequest::get()
                .uri(&format!("/admin/v1/users/{user_id}"))
                .insert_header(("authorization", format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(missing.status, 404);
    let unknown = [
        "/no-such-path-5e1d",
        "/oauth2/no-such-path-5e1d",
        "/admin/v1/no-such-path-5e1d/42",
    ];
    for path in unknown {
        assert_eq!(app.get(path).await.status, 404, "{path}");
    }
    let after = scrape(&app).await;

    let by_pattern = [
        ("route", "/admin/v1/users/{user_id}"),
        ("method", "GET"),
        ("status", "404"),
    ];
    assert!(increase(&before, &after, "ciam_http_requests_total", &by_pattern) >= 1.0);
    let unmatched = [("route", "unmatched"), ("method", "GET"), ("status", "404")];
    assert!(increase(&before, &after, "ciam_http_requests_total", &unmatched) >= 3.0);
    // The route label only takes the router's patterns: never a raw path, an id or a token.
    for route in after.label_values("ciam_http_requests_total", "route") {
        assert!(
            route == "unmatched" || ciam_http::routes::PATTERNS.contains(&route.as_str()),
            "route label {route:?}"
        );
    }
    for leaked in [user_id, "no-such-path-5e1d", admin.as_str()] {
        assert!(!after.text.contains(leaked), "{leaked} in the exposition");
    }
}

async fn metrics_are_served_cheaply_to_anyone_who_reaches_the_path(kind: Kind) {
    let app = TestApp::new(kind);
    // A scrape takes no credentials and reads nothing of the request: a body, a query or
    // an Authorization header change nothing, and other methods are refused.
    let plain = app.get("/metrics").await;
    let odd = app
        .request(
            TestRequest::get()
                .uri("/metrics?name[]=x&%ff=1")
                .insert_header(("authorization", "Bearer not-a-token")),
        )
        .await;
    assert_eq!((plain.status, odd.status), (200, 200));
    assert!(!String::from_utf8_lossy(&odd.body).contains("not-a-token"));
    let post = app
        .request(TestRequest::post().uri("/metrics").set_payload("x"))
        .await;
    assert_eq!(post.status, 405);
}

/// The verified-token cache's lookups: a token's first check is a miss, its second a hit.
async fn verified_token_checks_are_counted_as_hits_and_misses(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.client(&[GrantType::ClientCredentials], false);
    let token = app.cc_token(&client).await;
    let before = scrape(&app).await;
    assert!(app.is_active(&client, &token).await);
    let between = scrape(&app).await;
    assert!(app.is_active(&client, &token).await);
    let after = scrape(&app).await;
    let (hit, miss) = ([("result", "hit")], [("result", "miss")]);
    let name = "ciam_verified_tokens_total";
    assert!(
        increase(&before, &between, name, &miss) >= 1.0,
        "first check"
    );
    assert!(
        increase(&between, &after, name, &hit) >= 1.0,
        "second check"
    );
}

on_every_backend!(
    verified_token_checks_are_counted_as_hits_and_misses,
    tokens_revocations_and_requests_are_counted,
    routes_are_labelled_by_pattern_and_unknown_paths_collapse,
    metrics_are_served_cheaply_to_anyone_who_reaches_the_path,
);

/// Redis errors are counted where they become a 503: the denylist's failures rise when a
/// revocation cannot reach Redis.
#[actix_web::test]
async fn a_redis_outage_is_counted_as_denylist_failures() {
    let redis = TestRedis::start();
    let app = TestApp::full_stack_on(
        ciam_testkit::postgres::TestPostgres::shared().fresh_database("metrics-redis"),
        redis.url.clone(),
    );
    let client = app.client(&[GrantType::ClientCredentials], false);
    let token = app.cc_token(&client).await;
    let failures = [("dependency", "denylist")];
    let before = scrape(&app).await;
    redis.stop();
    assert_eq!(app.revoke(&client, &token).await.status, 503);
    let after = scrape(&app).await;
    assert!(increase(&before, &after, "ciam_dependency_failures_total", &failures) >= 1.0);
    let unavailable = [
        ("route", "/oauth2/revoke"),
        ("method", "POST"),
        ("status", "503"),
    ];
    assert!(increase(&before, &after, "ciam_http_requests_total", &unavailable) >= 1.0);
}

/// Store errors likewise: a revocation that cannot reach Postgres is a store failure.
#[actix_web::test]
async fn a_postgres_outage_is_counted_as_store_failures() {
    let postgres = ciam_testkit::postgres::TestPostgres::start();
    let app = TestApp::full_stack_on(
        postgres.fresh_database("metrics-pg"),
        ciam_testkit::redis::shared().url.clone(),
    );
    let client = app.confidential();
    let token = app.cc_token(&client).await;
    let failures = [("dependency", "store")];
    let before = scrape(&app).await;
    postgres.stop();
    assert_eq!(app.revoke(&client, &token).await.status, 503);
    let after = scrape(&app).await;
    assert!(increase(&before, &after, "ciam_dependency_failures_total", &failures) >= 1.0);
    // The database pool's waits are measured on this store too (every checkout above).
    assert!(after.value("ciam_db_pool_wait_seconds_count", &[]) >= 1.0);
}
