//! The user self-service endpoints through the real app on both backends
//! (docs/accounts.md): `POST /oauth2/password`, `POST /oauth2/password/reset`,
//! `POST /oauth2/password/reset/confirm`, `PATCH /oauth2/userinfo`.

use std::path::Path;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::test::TestRequest;
use ciam_domain::{GrantType, Profile, Secret};

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient};
use crate::support::http::{form, Auth, Response};

const OLD: &str = "correct horse battery";
const NEW: &str = "a brand new passphrase";

fn alice(app: &TestApp, email: Option<&str>) {
    app.services
        .accounts
        .create_user_with_profile(
            "alice",
            &Secret::new(OLD),
            Profile {
                name: Some("Alice".into()),
                email: email.map(str::to_owned),
                email_verified: true,
            },
            &ciam_domain::Initiator::cli(),
        )
        .expect("user");
}

/// The token response of alice's password grant.
async fn sign_in(app: &TestApp, client: &TestClient, password: &str, scope: &str) -> Response {
    let mut pairs = vec![
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", password),
    ];
    if !scope.is_empty() {
        pairs.push(("scope", scope));
    }
    app.post("/oauth2/token", Auth::Post(client), &pairs).await
}

fn field(response: &Response, name: &str) -> String {
    response.json()[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {:?}", response.json()))
        .to_owned()
}

async fn post_form(
    app: &TestApp,
    path: &str,
    bearer: Option<&str>,
    pairs: &[(&str, &str)],
) -> Response {
    let mut request = TestRequest::post()
        .uri(path)
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(form(pairs));
    if let Some(token) = bearer {
        request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    app.request(request).await
}

async fn post_json(
    app: &TestApp,
    path: &str,
    bearer: Option<&str>,
    body: serde_json::Value,
) -> Response {
    let mut request = TestRequest::post()
        .uri(path)
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(body.to_string());
    if let Some(token) = bearer {
        request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    app.request(request).await
}

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> Response {
    post_form(
        app,
        "/oauth2/password",
        Some(token),
        &[("current_password", current), ("new_password", new)],
    )
    .await
}

async fn a_change_ends_every_other_token_and_only_the_new_password_works(kind: Kind) {
    let app = TestApp::new(kind);
    alice(&app, None);
    let with_refresh = app.confidential();
    let grantless = app.client(&[GrantType::Password], false);
    let first = sign_in(&app, &with_refresh, OLD, "").await;
    let (token, refresh_token) = (
        field(&first, "access_token"),
        field(&first, "refresh_token"),
    );
    let other_grant = field(&sign_in(&app, &with_refresh, OLD, "").await, "access_token");
    let no_grant = sign_in(&app, &grantless, OLD, "").await;
    assert!(no_grant.json().get("refresh_token").is_none());
    let no_grant = field(&no_grant, "access_token");

    let wrong = change(&app, &token, "wrong horse battery", NEW).await;
    assert_eq!((wrong.status, wrong.error()), (403, "invalid_grant".into()));
    assert_eq!(
        wrong.header("www-authenticate"),
        None,
        "the token itself is fine"
    );
    let missing = post_form(
        &app,
        "/oauth2/password",
        Some(&token),
        &[("current_password", OLD)],
    )
    .await;
    assert_eq!(
        (missing.status, missing.error()),
        (400, "invalid_request".into())
    );
    assert!(
        app.is_active(&with_refresh, &token).await,
        "nothing changed yet"
    );

    let changed = change(&app, &token, OLD, NEW).await;
    assert_eq!(
        changed.status,
        204,
        "{:?}",
        String::from_utf8_lossy(&changed.body)
    );
    for (what, token, caller) in [
        ("the caller's token", &token, &with_refresh),
        ("another grant's token", &other_grant, &with_refresh),
        ("a grantless password-grant token", &no_grant, &grantless),
    ] {
        assert!(!app.is_active(caller, token).await, "{what} is inactive");
    }
    assert_eq!(app.refresh(&with_refresh, &refresh_token).await.status, 400);
    let old = sign_in(&app, &with_refresh, OLD, "").await;
    assert_eq!((old.status, old.error()), (400, "invalid_grant".into()));
    let new = sign_in(&app, &with_refresh, NEW, "").await;
    assert_eq!(new.status, 200);
    assert!(
        app.is_active(&with_refresh, &field(&new, "access_token"))
            .await
    );
}

async fn keep_current_session_answers_working_new_tokens(kind: Kind) {
    let app = TestApp::new(kind);
    alice(&app, None);
    let client = app.confidential();
    let first = sign_in(&app, &client, OLD, "read").await;
    let (token, refresh_token) = (
        field(&first, "access_token"),
        field(&first, "refresh_token"),
    );
    let answer = post_json(
        &app,
        "/oauth2/password",
        Some(&token),
        serde_json::json!({
            "current_password": OLD,
            "new_password": NEW,
            "keep_current_session": true,
        }),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let json = answer.json();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["scope"], "read", "the same scope");
    let (new_token, new_refresh) = (
        field(&answer, "access_token"),
        field(&answer, "refresh_token"),
    );
    assert!(
        !app.is_active(&client, &token).await,
        "the old token is dead"
    );
    assert_eq!(
        app.refresh(&client, &refresh_token).await.status,
        400,
        "so is its grant"
    );
    assert!(app.is_active(&client, &new_token).await);
    let refreshed = app.refresh(&client, &new_refresh).await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.json());
}

async fn the_new_password_must_pass_the_policy(kind: Kind) {
    let app = TestApp::new(kind);
    alice(&app, Some("alice@example.com"));
    let client = app.confidential();
    let token = field(&sign_in(&app, &client, OLD, "").await, "access_token");
    for (new, rule) in [
        ("short", "at least 8 characters"),
        ("password1", "too common"),
        ("PassWord1", "too common"),
        ("alice@example.com", "username or email"),
        (OLD, "last 5 passwords"),
    ] {
        let answer = change(&app, &token, OLD, new).await;
        assert_eq!(answer.status, 400, "{new}");
        assert_eq!(answer.error(), "password_rejected", "{new}");
        let description = field(&answer, "error_description");
        assert!(description.contains(rule), "{new}: {description}");
        assert!(
            !description.contains(new),
            "never echoes the password: {description}"
        );
    }
    assert!(
        app.is_active(&client, &token).await,
        "a refused change changes nothing"
    );
    let long = "x".repeat(1025);
    let answer = change(&app, &token, OLD, &long).await;
    assert_eq!(
        (answer.status, answer.error()),
        (400, "password_rejected".into())
    );
}

async fn only_a_users_live_token_may_change_a_password(kind: Kind) {
    let app = TestApp::new(kind);
    alice(&app, None);
    let client = app.confidential();
    let none = post_form(
        &app,
        "/oauth2/password",
        None,
        &[("current_password", OLD), ("new_password", NEW)],
    )
    .await;
    assert_eq!(
        (none.status, none.header("www-authenticate")),
        (401, Some("Bearer realm=\"ciam\""))
    );
    let cc = app.cc_token(&client).await;
    let answer = change(&app, &cc, OLD, NEW).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("www-authenticate"),
        Some("Bearer realm=\"ciam\", error=\"invalid_token\"")
    );
    let get = app.get("/oauth2/password").await;
    assert_eq!((get.status, get.header("allow")), (405, Some("POST")));
    let in_query = app
        .request(
            TestRequest::post()
                .uri("/oauth2/password?new_password=x")
                .insert_header((header::AUTHORIZATION, format!("Bearer {cc}"))),
        )
        .await;
    assert_eq!(in_query.status, 401, "the token is checked first");
}

async fn wrong_current_passwords_are_throttled_with_429(kind: Kind) {
    // A block of a minute, not the default second: on a loaded machine a request can take
    // longer than a second, and the block would end before the next attempt.
    let app = TestApp::with_config(kind, |config| {
        config.sign_in.per_username.base_delay = 60;
    });
    alice(&app, None);
    let client = app.confidential();
    let token = field(&sign_in(&app, &client, OLD, "").await, "access_token");
    for _ in 0..6 {
        assert_eq!(
            change(&app, &token, "wrong horse battery", NEW)
                .await
                .status,
            403
        );
    }
    let blocked = change(&app, &token, OLD, NEW).await;
    assert_eq!(blocked.status, 429);
    let wait: i64 = blocked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(wait >= 1);
}

/// The reset code in the one `.eml` file in `dir`, waiting up to 10 s for it (the mail is
/// sent after the 202, by a task of this test's runtime: the wait must yield to it).
async fn mailed_code(dir: &Path) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mail: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(message) = mail.first() {
            assert_eq!(mail.len(), 1, "one mail");
            let code = message
                .lines()
                .map(str::trim)
                .find(|line| {
                    line.len() == 43
                        && line
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })
                .unwrap_or_else(|| panic!("no code in {message}"))
                .to_owned();
            return (code, message.clone());
        }
        assert!(Instant::now() < deadline, "no mail in {}", dir.display());
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn reset(app: &TestApp, username: &str) -> Response {
    post_form(
        app,
        "/oauth2/password/reset",
        None,
        &[("username", username)],
    )
    .await
}

async fn confirm(app: &TestApp, code: &str, new: &str) -> Response {
    post_form(
        app,
        "/oauth2/password/reset/confirm",
        None,
        &[("code", code), ("new_password", new)],
    )
    .await
}

async fn a_reset_code_is_mailed_works_once_and_signs_the_user_out(kind: Kind) {
    let app = TestApp::new(kind);
    alice(&app, Some("alice@example.com"));
    let client = app.confidential();
    let token = field(&sign_in(&app, &client, OLD, "").await, "access_token");

    let unknown = reset(&app, "nobody").await;
    let known = reset(&app, "alice").await;
    assert_eq!((unknown.status, known.status), (202, 202));
    assert_eq!(
        unknown.body, known.body,
        "the same answer: no account enumeration"
    );
    let (code, message) = mailed_code(&app.mail_dir()).await;
    assert!(message.contains("To: alice@example.com"), "{message}");

    let bad = confirm(&app, "not-a-code", NEW).await;
    assert_eq!((bad.status, bad.error()), (400, "invalid_grant".into()));
    let weak = confirm(&app, &code, "password1").await;
    assert_eq!(
        (weak.status, weak.error()),
        (400, "password_rejected".into())
    );
    let done = confirm(&app, &code, NEW).await;
    assert_eq!(
        done.status,
        204,
        "{:?}",
        String::from_utf8_lossy(&done.body)
    );
    let again = confirm(&app, &code, "yet another passphrase").await;
    assert_eq!((again.status, again.error()), (400, "invalid_grant".into()));
    assert_eq!(
        again.body, bad.body,
        "used and unknown codes get the same answer"
    );

    assert!(
        !app.is_active(&client, &token).await,
        "everything of the user is revoked"
    );
    assert_eq!(sign_in(&app, &client, OLD, "").await.status, 400);
    assert_eq!(sign_in(&app, &client, NEW, "").await.status, 200);
}

async fn reset_requests_are_rate_limited_per_username_and_per_address(kind: Kind) {
    let app = TestApp::new(kind);
    for _ in 0..3 {
        assert_eq!(reset(&app, "alice").await.status, 202);
    }
    let blocked = reset(&app, "alice").await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.header("retry-after").is_some());

    let from = |username: &str| {
        TestRequest::post()
            .uri("/oauth2/password/reset")
            .peer_addr("192.0.2.7:40000".parse().expect("address"))
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form(&[("username", username)]))
    };
    for n in 0..10 {
        assert_eq!(
            app.request(from(&format!("user{n}"))).await.status,
            202,
            "{n}"
        );
    }
    assert_eq!(app.request(from("someone else")).await.status, 429);
}

async fn patch(app: &TestApp, token: &str, content_type: &str, body: &str) -> Response {
    app.request(
        TestRequest::patch()
            .uri("/oauth2/userinfo")
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
            .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
            .set_payload(body.to_owned()),
    )
    .await
}

async fn a_profile_update_needs_profile_write_and_unverifies_a_new_email(kind: Kind) {
    let app = TestApp::new(kind);
    alice(&app, Some("alice@example.com"));
    let client =
        app.client_with_scope(&[GrantType::Password], "openid profile email profile:write");
    let reader = field(
        &sign_in(&app, &client, OLD, "openid profile email").await,
        "access_token",
    );
    let denied = patch(&app, &reader, "application/json", r#"{"name":"Eve"}"#).await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.header("www-authenticate"),
        Some("Bearer realm=\"ciam\", error=\"insufficient_scope\", scope=\"profile:write\"")
    );

    let writer = field(
        &sign_in(&app, &client, OLD, "openid profile email profile:write").await,
        "access_token",
    );
    let updated = patch(
        &app,
        &writer,
        "application/merge-patch+json",
        r#"{"name":"Alice Doe","email":"alice@example.org"}"#,
    )
    .await;
    assert_eq!(updated.status, 200, "{:?}", updated.json());
    let json = updated.json();
    assert_eq!(json["name"], "Alice Doe");
    assert_eq!(json["email"], "alice@example.org");
    assert_eq!(
        json["email_verified"], false,
        "a new address is not verified"
    );
    let read = app
        .request(
            TestRequest::get()
                .uri("/oauth2/userinfo")
                .insert_header((header::AUTHORIZATION, format!("Bearer {reader}"))),
        )
        .await;
    assert_eq!(read.json()["email"], "alice@example.org");
    assert_eq!(read.json()["name"], "Alice Doe");

    for (content_type, body) in [
        ("application/json", r#"{"email":"not an address"}"#),
        ("application/json", r#"{"name":"a\u0000b"}"#),
        ("application/json", r#"{"email_verified":true}"#),
        ("application/json", r#"{"name":42}"#),
        ("application/json", "not json"),
        ("text/plain", r#"{"name":"x"}"#),
    ] {
        let answer = patch(&app, &writer, content_type, body).await;
        assert_eq!(
            (answer.status, answer.error()),
            (400, "invalid_request".into()),
            "{body}"
        );
    }
    let put = app
        .request(TestRequest::put().uri("/oauth2/userinfo"))
        .await;
    assert_eq!(
        (put.status, put.header("allow")),
        (405, Some("GET, POST, PATCH"))
    );
}

on_every_backend!(
    a_change_ends_every_other_token_and_only_the_new_password_works,
    keep_current_session_answers_working_new_tokens,
    the_new_password_must_pass_the_policy,
    only_a_users_live_token_may_change_a_password,
    wrong_current_passwords_are_throttled_with_429,
    a_reset_code_is_mailed_works_once_and_signs_the_user_out,
    reset_requests_are_rate_limited_per_username_and_per_address,
    a_profile_update_needs_profile_write_and_unverifies_a_new_email,
);
