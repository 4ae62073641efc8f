//! POST /oauth2/token through the real app (RFC 6749 §4.3, §4.4, §5, §6).

use ciam_domain::GrantType;

use crate::support::http::basic;
use crate::support::{Auth, Kind, TestApp};

async fn client_credentials_by_post_and_by_basic(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    for auth in [Auth::Post(&client), Auth::Basic(&client)] {
        let response = app
            .post(
                "/oauth2/token",
                auth,
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(response.status, 200, "{:?}", response.json());
        // RFC 6749 §5.1
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("pragma"), Some("no-cache"));
        let json = response.json();
        assert_eq!(json["token_type"], "Bearer");
        assert_eq!(json["expires_in"], 300);
        assert_eq!(json["scope"], "read write");
        assert!(json["access_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3));
        assert!(
            json.get("refresh_token").is_none(),
            "RFC 6749 §4.4.3: no refresh token"
        );
    }
}

async fn basic_credentials_are_form_urlencoded_before_base64(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    // Our secrets are base64url, so encoding leaves them alone; a '+' in a raw value would
    // decode as a space, which must fail.
    let tampered = basic(
        &client.id,
        &client
            .secret()
            .replacen(|c: char| c.is_alphanumeric(), "+", 1),
    );
    let response = app
        .request(
            actix_web::test::TestRequest::post()
                .uri("/oauth2/token")
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .insert_header(("authorization", tampered))
                .set_payload("grant_type=client_credentials"),
        )
        .await;
    assert_eq!(response.status, 401);
}

async fn wrong_secret_is_401_with_a_challenge_only_for_basic(kind: Kind) {
    let app = TestApp::new(kind);
    let mut client = app.confidential();
    client.secret = Some("wrong".into());
    let post = app
        .post(
            "/oauth2/token",
            Auth::Post(&client),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!((post.status, post.error()), (401, "invalid_client".into()));
    assert_eq!(post.header("www-authenticate"), None);
    let basic = app
        .post(
            "/oauth2/token",
            Auth::Basic(&client),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(
        (basic.status, basic.error()),
        (401, "invalid_client".into())
    );
    assert!(
        basic
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic")),
        "RFC 6749 §5.2"
    );
}

async fn grant_errors_follow_rfc6749_section_5_2(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);
    let cases: &[Case] = &[
        (&[], 400, "invalid_request"),
        (&[("grant_type", "implicit")], 400, "unsupported_grant_type"),
        (
            &[("grant_type", "authorization_code")],
            400,
            "invalid_request",
        ),
        (
            &[("grant_type", "client_credentials"), ("scope", "admin")],
            400,
            "invalid_scope",
        ),
        (
            &[("grant_type", "password"), ("username", "nobody")],
            400,
            "invalid_request",
        ),
        (
            &[
                ("grant_type", "password"),
                ("username", "nobody"),
                ("password", "x"),
            ],
            400,
            "invalid_grant",
        ),
        (
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "unknown"),
            ],
            400,
            "invalid_grant",
        ),
    ];
    for (pairs, status, error) in cases {
        let response = app.post("/oauth2/token", Auth::Post(&client), pairs).await;
        assert_eq!(
            (response.status, response.error()),
            (*status, (*error).to_owned()),
            "{pairs:?}"
        );
        assert_eq!(response.header("cache-control"), Some("no-store"));
    }
}

async fn a_client_without_the_grant_is_unauthorized_client(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.client(&[GrantType::ClientCredentials], false);
    let response = app
        .post(
            "/oauth2/token",
            Auth::Post(&client),
            &[
                ("grant_type", "password"),
                ("username", "a"),
                ("password", "b"),
            ],
        )
        .await;
    assert_eq!(
        (response.status, response.error()),
        (400, "unauthorized_client".into())
    );
}

async fn password_grant_gives_a_refresh_token_that_rotates(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let (access, refresh) = app.user_tokens(&client).await;
    let rotated = app.refresh(&client, &refresh).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json());
    let new_refresh = rotated.json()["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    assert_ne!(new_refresh, refresh);
    assert!(app.is_active(&client, &access).await);
    // RFC 9700 §4.14.2: replaying the rotated token revokes the family, once the replay
    // cannot be a request that lost a race with the rotation.
    let race_window = app.services.config().refresh_race_window;
    actix_web::rt::time::sleep(std::time::Duration::from_secs(race_window as u64)).await;
    let replay = app.refresh(&client, &refresh).await;
    assert_eq!(
        (replay.status, replay.error()),
        (400, "invalid_grant".into())
    );
    assert!(!app.is_active(&client, &access).await);
    let after = app.refresh(&client, &new_refresh).await;
    assert_eq!(after.error(), "invalid_grant");
}

async fn concurrent_refreshes_with_one_token_have_exactly_one_winner(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let (_, refresh) = app.user_tokens(&client).await;
    let attempts = (0..6).map(|_| app.refresh(&client, &refresh));
    let responses = futures_util::future::join_all(attempts).await;
    let winners = responses.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        winners,
        1,
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(responses
        .iter()
        .all(|r| r.status == 200 || r.error() == "invalid_grant"));
}

/// Issue 13, defect 3: two tabs, or a client retrying on a flaky network. The losers of the
/// race get `invalid_grant`; the winner's new tokens stay good.
async fn losing_a_refresh_race_leaves_the_winner_signed_in(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    let (_, refresh) = app.user_tokens(&client).await;
    let attempts = (0..50).map(|_| app.refresh(&client, &refresh));
    let responses = futures_util::future::join_all(attempts).await;
    let winners: Vec<_> = responses.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1);
    assert!(responses
        .iter()
        .all(|r| r.status == 200 || r.error() == "invalid_grant"));
    let won = winners[0].json();
    let access = won["access_token"].as_str().expect("access");
    let next = won["refresh_token"].as_str().expect("refresh");
    assert!(
        app.is_active(&client, access).await,
        "the winner's access token"
    );
    assert_eq!(
        app.refresh(&client, next).await.status,
        200,
        "the winner's refresh token"
    );
}

async fn public_clients_use_the_password_grant_by_client_id_alone(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.client(&[GrantType::Password, GrantType::RefreshToken], true);
    app.user("spa-user", "correct horse battery");
    let pairs = [
        ("grant_type", "password"),
        ("username", "spa-user"),
        ("password", "correct horse battery"),
        ("client_id", client.id.as_str()),
    ];
    let response = app.post("/oauth2/token", Auth::None, &pairs).await;
    assert_eq!(response.status, 200, "{:?}", response.json());
    let cc = app
        .post(
            "/oauth2/token",
            Auth::None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client.id),
            ],
        )
        .await;
    assert_eq!(
        cc.error(),
        "unauthorized_client",
        "RFC 6749 §4.4: confidential clients only"
    );
}

crate::on_every_backend!(
    client_credentials_by_post_and_by_basic,
    basic_credentials_are_form_urlencoded_before_base64,
    wrong_secret_is_401_with_a_challenge_only_for_basic,
    grant_errors_follow_rfc6749_section_5_2,
    a_client_without_the_grant_is_unauthorized_client,
    password_grant_gives_a_refresh_token_that_rotates,
    concurrent_refreshes_with_one_token_have_exactly_one_winner,
    losing_a_refresh_race_leaves_the_winner_signed_in,
    public_clients_use_the_password_grant_by_client_id_alone,
);
