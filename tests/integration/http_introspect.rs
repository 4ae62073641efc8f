//! POST /oauth2/introspect through the real app (RFC 7662).

use ciam_domain::GrantType;

use crate::support::{Auth, Kind, TestApp};

async fn active_access_token_reports_its_claims(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let resource_server = app.client(&[GrantType::ClientCredentials], false);
    let token = app.cc_token(&client).await;
    let response = app
        .post(
            "/oauth2/introspect",
            Auth::Basic(&resource_server),
            &[("token", &token)],
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let json = response.json();
    assert_eq!(json["active"], true);
    assert_eq!(json["client_id"], client.id.as_str());
    assert_eq!(
        json["sub"],
        client.id.as_str(),
        "RFC 9068 §2.2: sub is the client for client_credentials"
    );
    assert_eq!(json["scope"], "read write");
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["iss"], crate::support::app::ISSUER);
    assert!(json["exp"]
        .as_i64()
        .is_some_and(|exp| exp > json["iat"].as_i64().unwrap_or(i64::MAX)));
    assert!(json["jti"].is_string());
}

async fn inactive_tokens_answer_active_false_and_nothing_else(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let token = app.cc_token(&client).await;
    app.revoke(&client, &token).await;
    for candidate in [token.as_str(), "unknown", "a.b.c"] {
        let response = app
            .post(
                "/oauth2/introspect",
                Auth::Post(&client),
                &[("token", candidate)],
            )
            .await;
        assert_eq!(
            (response.status, response.json()),
            (200, serde_json::json!({"active": false}))
        );
    }
}

async fn refresh_tokens_are_visible_to_their_own_client_only(kind: Kind) {
    let app = TestApp::new(kind);
    let owner = app.confidential();
    let other = app.confidential();
    let (_, refresh) = app.user_tokens(&owner).await;
    let own = app
        .post(
            "/oauth2/introspect",
            Auth::Post(&owner),
            &[("token", &refresh)],
        )
        .await
        .json();
    assert_eq!(own["active"], true);
    assert_eq!(own["token_type"], "refresh_token");
    let foreign = app
        .post(
            "/oauth2/introspect",
            Auth::Post(&other),
            &[("token", &refresh)],
        )
        .await
        .json();
    assert_eq!(foreign, serde_json::json!({"active": false}));
}

async fn callers_must_authenticate_as_confidential_clients(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let token = app.cc_token(&client).await;
    let anonymous = app
        .post("/oauth2/introspect", Auth::None, &[("token", &token)])
        .await;
    assert_eq!(
        (anonymous.status, anonymous.error()),
        (401, "invalid_client".into())
    );
    let public = app.client(&[GrantType::Password], true);
    let by_public = app
        .post(
            "/oauth2/introspect",
            Auth::None,
            &[("token", &token), ("client_id", &public.id)],
        )
        .await;
    assert_eq!(
        (by_public.status, by_public.error()),
        (401, "invalid_client".into())
    );
    let missing = app
        .post("/oauth2/introspect", Auth::Post(&client), &[])
        .await;
    assert_eq!(
        (missing.status, missing.error()),
        (400, "invalid_request".into())
    );
}

crate::on_every_backend!(
    active_access_token_reports_its_claims,
    inactive_tokens_answer_active_false_and_nothing_else,
    refresh_tokens_are_visible_to_their_own_client_only,
    callers_must_authenticate_as_confidential_clients,
);
