//! POST /oauth2/revoke through the real app: the revocation rules of docs/architecture.md,
//! numbered as there (RFC 7009, RFC 6749 §2.3, §3.2, §5.2).

use ciam_domain::GrantType;

use crate::support::http::basic;
use crate::support::{Auth, Kind, TestApp, TestClient};

fn assert_ok_empty(response: &crate::support::http::Response) {
    assert_eq!(
        response.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(response.body.is_empty(), "rule 8: empty body");
    assert_eq!(response.header("cache-control"), Some("no-store"));
}

// Rule 1
async fn rule1_client_is_authenticated_first(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let token = app.cc_token(&client).await;
    let impostor = TestClient {
        id: client.id.clone(),
        secret: Some("wrong".into()),
    };
    let post = app.revoke(&impostor, &token).await;
    assert_eq!(
        (post.status, post.json()),
        (401, serde_json::json!({"error": "invalid_client"}))
    );
    assert_eq!(post.header("www-authenticate"), None);
    let by_basic = app
        .post(
            "/oauth2/revoke",
            Auth::Basic(&impostor),
            &[("token", &token)],
        )
        .await;
    assert_eq!(by_basic.status, 401);
    assert!(by_basic
        .header("www-authenticate")
        .is_some_and(|h| h.starts_with("Basic")));
    let anonymous = app
        .post("/oauth2/revoke", Auth::None, &[("token", &token)])
        .await;
    assert_eq!(
        (anonymous.status, anonymous.error()),
        (401, "invalid_client".into())
    );
    // Auth fails before the missing token is noticed.
    let no_token = app.post("/oauth2/revoke", Auth::Post(&impostor), &[]).await;
    assert_eq!(no_token.status, 401);
    assert!(app.is_active(&client, &token).await, "nothing was revoked");
}

// Rule 2
async fn rule2_malformed_requests_are_400_json(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let missing = app.post("/oauth2/revoke", Auth::Post(&client), &[]).await;
    assert_eq!(
        (missing.status, missing.error()),
        (400, "invalid_request".into())
    );
    let empty = app
        .post("/oauth2/revoke", Auth::Post(&client), &[("token", "")])
        .await;
    assert_eq!(
        (empty.status, empty.error()),
        (400, "invalid_request".into()),
        "empty = absent"
    );

    let form = |extra: &str| {
        format!(
            "client_id={}&client_secret={}&{extra}",
            client.id,
            client.secret()
        )
    };
    let repeated = app
        .raw_post(
            "/oauth2/revoke",
            "application/x-www-form-urlencoded",
            &form("token=a&token=b"),
        )
        .await;
    assert_eq!(
        (repeated.status, repeated.error()),
        (400, "invalid_request".into())
    );

    let two_methods = app
        .request(
            actix_web::test::TestRequest::post()
                .uri("/oauth2/revoke")
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .insert_header(("authorization", basic(&client.id, client.secret())))
                .set_payload(form("token=a")),
        )
        .await;
    assert_eq!(
        (two_methods.status, two_methods.error()),
        (400, "invalid_request".into())
    );

    let json = app
        .raw_post("/oauth2/revoke", "application/json", r#"{"token":"a"}"#)
        .await;
    assert_eq!((json.status, json.error()), (400, "invalid_request".into()));

    // Form decoding is lenient (WHATWG): junk decodes to junk, which then fails as a
    // request like any other, with a 4xx JSON error and never a 500.
    for junk in ["%zz=%%&&==", "\u{0}\u{1}", "client_id=%FF%FE&token=%C3"] {
        let garbage = app
            .raw_post("/oauth2/revoke", "application/x-www-form-urlencoded", junk)
            .await;
        assert!(
            (400..500).contains(&garbage.status),
            "{junk}: {}",
            garbage.status
        );
        assert!(garbage.json()["error"].is_string());
    }

    let huge = form(&format!("token={}", "a".repeat(64 * 1024)));
    let oversized = app
        .raw_post("/oauth2/revoke", "application/x-www-form-urlencoded", &huge)
        .await;
    assert_eq!(
        (oversized.status, oversized.error()),
        (413, "invalid_request".into())
    );

    let get = app.get("/oauth2/revoke").await;
    assert_eq!((get.status, get.error()), (405, "invalid_request".into()));
    assert_eq!(get.header("allow"), Some("POST"));

    let in_uri = app
        .raw_post(
            &format!("/oauth2/revoke?client_secret={}", client.secret()),
            "application/x-www-form-urlencoded",
            &form("token=a"),
        )
        .await;
    assert_eq!(
        in_uri.status, 400,
        "RFC 6749 §2.3.1: no credentials in the URI"
    );
    let encoded_name = app
        .raw_post(
            &format!("/oauth2/revoke?client%5Fsecret={}", client.secret()),
            "application/x-www-form-urlencoded",
            &form("token=a"),
        )
        .await;
    assert_eq!(encoded_name.status, 400, "nor under a percent-encoded name");
}

// Rule 3
async fn rule3_unknown_malformed_expired_foreign_and_revoked_tokens_get_200(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let token = app.cc_token(&client).await;
    let mut tampered = token.clone();
    tampered.truncate(token.len() - 4);
    tampered.push_str("AAAA");
    let foreign_signed = foreign_signed_token(&client.id);
    for candidate in [
        "unknown",
        "a.b.c",
        tampered.as_str(),
        foreign_signed.as_str(),
    ] {
        assert_ok_empty(&app.revoke(&client, candidate).await);
    }
    assert!(
        app.is_active(&client, &token).await,
        "the genuine token was not touched"
    );
    assert_ok_empty(&app.revoke(&client, &token).await);
    assert_ok_empty(&app.revoke(&client, &token).await);
}

/// A well-formed at+jwt for our issuer and this client, signed by a key we do not hold.
fn foreign_signed_token(client_id: &str) -> String {
    use ciam_domain::ports::AccessTokenCodec;
    let codec = ciam_crypto::JwtCodec::default();
    let key = codec
        .generate_key(
            ciam_domain::Kid::new("attacker"),
            ciam_domain::SigningAlg::EdDSA,
            ciam_domain::UnixTime(0),
        )
        .expect("key");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let claims = ciam_domain::AccessClaims {
        iss: crate::support::app::ISSUER.into(),
        sub: client_id.into(),
        aud: crate::support::app::ISSUER.into(),
        exp: ciam_domain::UnixTime(now + 300),
        iat: ciam_domain::UnixTime(now),
        jti: ciam_domain::Jti::new("forged"),
        client_id: ciam_domain::ClientId::new(client_id),
        scope: String::new(),
        gid: None,
    };
    codec.sign(&key, &claims).expect("signed")
}

// Rule 4
async fn rule4_another_clients_token_is_401_invalid_client_and_stays_valid(kind: Kind) {
    let app = TestApp::new(kind);
    let owner = app.confidential();
    let other = app.confidential();
    let access = app.cc_token(&owner).await;
    let (_, refresh) = app.user_tokens(&owner).await;
    for token in [&access, &refresh] {
        let response = app.revoke(&other, token).await;
        assert_eq!(response.status, 401);
        assert_eq!(
            response.json(),
            serde_json::json!({"error": "invalid_client"})
        );
    }
    // RFC 6749 §5.2: a client that tried Basic gets the challenge with its 401, here as on
    // introspection.
    let basic = app
        .post("/oauth2/revoke", Auth::Basic(&other), &[("token", &access)])
        .await;
    assert_eq!(basic.status, 401);
    assert_eq!(
        basic.header("www-authenticate"),
        Some("Basic realm=\"ciam\"")
    );
    assert!(app.is_active(&owner, &access).await);
    assert_eq!(
        app.refresh(&owner, &refresh).await.status,
        200,
        "refresh token still valid"
    );
}

// Rules 3 and 4: rule 4 is about live tokens. Another client's rotated refresh token, or
// one of a revoked grant, has nothing left to revoke: 200, like garbage (issue 13, defect 6).
async fn rule3_another_clients_dead_refresh_token_gets_200_like_garbage(kind: Kind) {
    let app = TestApp::new(kind);
    let owner = app.confidential();
    let other = app.confidential();
    let (_, rotated) = app.user_tokens(&owner).await;
    let successor = app.refresh(&owner, &rotated).await.json()["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    let garbage = app.revoke(&other, "never-issued").await;
    assert_ok_empty(&garbage);

    let answer = app.revoke(&other, &rotated).await;
    assert_eq!(
        (answer.status, &answer.body),
        (garbage.status, &garbage.body)
    );
    let next = app.refresh(&owner, &successor).await;
    assert_eq!(next.status, 200, "nothing of the owner's was revoked");

    let of_revoked_grant = next.json()["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    assert_ok_empty(&app.revoke(&owner, &of_revoked_grant).await);
    let answer = app.revoke(&other, &of_revoked_grant).await;
    assert_eq!(
        (answer.status, &answer.body),
        (garbage.status, &garbage.body)
    );
}

// Rule 5
async fn rule5_an_access_token_revokes_only_itself(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let (access, refresh) = app.user_tokens(&client).await;
    let sibling = app.cc_token(&client).await;
    assert_ok_empty(&app.revoke(&client, &access).await);
    assert!(!app.is_active(&client, &access).await);
    assert!(app.is_active(&client, &sibling).await);
    assert_eq!(app.refresh(&client, &refresh).await.status, 200);
}

// Rule 6
async fn rule6_a_refresh_token_revokes_its_grant_and_every_access_token_of_it(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let (first_access, first_refresh) = app.user_tokens(&client).await;
    let rotated = app.refresh(&client, &first_refresh).await.json();
    let second_access = rotated["access_token"].as_str().expect("access").to_owned();
    let second_refresh = rotated["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let unrelated = app.cc_token(&client).await;

    assert_ok_empty(&app.revoke(&client, &second_refresh).await);
    assert!(
        !app.is_active(&client, &first_access).await,
        "earlier rotation's access token"
    );
    assert!(!app.is_active(&client, &second_access).await);
    assert!(!app.is_active(&client, &second_refresh).await);
    assert!(app.is_active(&client, &unrelated).await);
    let refused = app.refresh(&client, &second_refresh).await;
    assert_eq!(
        (refused.status, refused.error()),
        (400, "invalid_grant".into())
    );
}

// Rule 7
async fn rule7_the_hint_only_orders_the_lookup(kind: Kind) {
    for hint in ["access_token", "refresh_token", "no_such_type"] {
        let app = TestApp::new(kind);
        let client = app.confidential();
        let (access, refresh) = app.user_tokens(&client).await;
        let other_access = app.cc_token(&client).await;
        let revoke = |token: String| {
            let app = &app;
            let client = &client;
            async move {
                app.post(
                    "/oauth2/revoke",
                    Auth::Post(client),
                    &[("token", &token), ("token_type_hint", hint)],
                )
                .await
            }
        };
        assert_ok_empty(&revoke(other_access.clone()).await);
        assert!(!app.is_active(&client, &other_access).await, "{hint}");
        assert_ok_empty(&revoke(refresh.clone()).await);
        assert!(!app.is_active(&client, &access).await, "{hint}");
        assert_eq!(app.refresh(&client, &refresh).await.status, 400, "{hint}");
    }
}

// Rules 8 and 9
async fn rule9_a_revocation_survives_a_restart(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let access = app.cc_token(&client).await;
    let (grant_access, refresh) = app.user_tokens(&client).await;
    assert_ok_empty(&app.revoke(&client, &access).await);
    assert_ok_empty(&app.revoke(&client, &refresh).await);
    let restarted = app.restarted();
    assert!(!restarted.is_active(&client, &access).await);
    assert!(!restarted.is_active(&client, &grant_access).await);
    assert_eq!(restarted.refresh(&client, &refresh).await.status, 400);
}

async fn public_clients_revoke_their_own_tokens_by_client_id(kind: Kind) {
    let app = TestApp::new(kind);
    let spa = app.client(&[GrantType::Password, GrantType::RefreshToken], true);
    app.user("spa-user", "correct horse battery");
    let issued = app
        .post(
            "/oauth2/token",
            Auth::None,
            &[
                ("grant_type", "password"),
                ("username", "spa-user"),
                ("password", "correct horse battery"),
                ("client_id", &spa.id),
            ],
        )
        .await
        .json();
    let refresh = issued["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let access = issued["access_token"].as_str().expect("access").to_owned();
    let revoked = app
        .post(
            "/oauth2/revoke",
            Auth::None,
            &[("token", &refresh), ("client_id", &spa.id)],
        )
        .await;
    assert_ok_empty(&revoked);
    let checker = app.confidential();
    assert!(!app.is_active(&checker, &access).await);
}

crate::on_every_backend!(
    rule3_another_clients_dead_refresh_token_gets_200_like_garbage,
    rule1_client_is_authenticated_first,
    rule2_malformed_requests_are_400_json,
    rule3_unknown_malformed_expired_foreign_and_revoked_tokens_get_200,
    rule4_another_clients_token_is_401_invalid_client_and_stays_valid,
    rule5_an_access_token_revokes_only_itself,
    rule6_a_refresh_token_revokes_its_grant_and_every_access_token_of_it,
    rule7_the_hint_only_orders_the_lookup,
    rule9_a_revocation_survives_a_restart,
    public_clients_revoke_their_own_tokens_by_client_id,
);
