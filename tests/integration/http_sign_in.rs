//! Customer sign-in through the real actix app on both backends: the authorization endpoint,
//! the hosted login page, sessions (single sign-on) and the authorization code grant with
//! PKCE (RFC 6749 §4.1, RFC 7636, RFC 9207, OpenID Connect Core §3.1).

use ciam_domain::{GrantType, NewClient, Redirects, Scope};

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, TestClient, ISSUER};
use crate::support::browser_session::Jar;
use crate::support::http::{Auth, Response};

const REDIRECT: &str = "https://app.example/callback";
const SIGNED_OUT: &str = "https://app.example/signed-out";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A public client (an SPA) that signs users in with the authorization code grant.
pub(crate) fn spa(app: &TestApp) -> TestClient {
    let (client, _) = app
        .services
        .clients
        .create_client(NewClient {
            name: "Example SPA".into(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scope: Scope::parse("openid profile read").expect("scope"),
            public: true,
            redirects: Redirects {
                redirect_uris: vec![REDIRECT.into()],
                post_logout_redirect_uris: vec![SIGNED_OUT.into()],
                ..Redirects::default()
            },
        })
        .expect("client");
    TestClient {
        id: client.id.to_string(),
        secret: None,
    }
}

pub(crate) fn authorize_path(client: &TestClient, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "openid read"),
        ("state", "af0ifjsldkj"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(&params).expect("query")
    )
}

/// Submits the login form of `page` with these credentials.
pub(crate) async fn sign_in(
    app: &TestApp,
    jar: &mut Jar,
    page: &Response,
    username: &str,
    password: &str,
) -> Response {
    let mut fields: Vec<(String, String)> = page
        .form_fields()
        .into_iter()
        .filter(|(name, _)| name != "username" && name != "password")
        .collect();
    fields.push(("username".into(), username.into()));
    fields.push(("password".into(), password.into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    jar.post_form(app, "/oauth2/login", &pairs).await
}

/// The code of a successful authorization response, after checking `state` and `iss`.
fn code_of(response: &Response) -> String {
    assert_eq!(response.status, 303, "{}", response.text());
    let location = response.header("location").expect("Location");
    assert!(location.starts_with(REDIRECT), "{location}");
    let params = response.redirect_params();
    assert_eq!(params.get("state").map(String::as_str), Some("af0ifjsldkj"));
    assert_eq!(
        params.get("iss").map(String::as_str),
        Some(ISSUER),
        "RFC 9207"
    );
    params.get("code").expect("code").clone()
}

/// alice signs in through the login page: the code the app gets back.
async fn signed_in_code(app: &TestApp, jar: &mut Jar, client: &TestClient) -> String {
    let page = jar.get_page(app, &authorize_path(client, &[])).await;
    code_of(&sign_in(app, jar, &page, "alice", "correct horse battery").await)
}

/// alice signs in and the app exchanges the code: the token response.
async fn signed_in_tokens(app: &TestApp, jar: &mut Jar, client: &TestClient) -> serde_json::Value {
    let code = signed_in_code(app, jar, client).await;
    exchange(app, client, &code, VERIFIER).await.json()
}

async fn exchange(app: &TestApp, client: &TestClient, code: &str, verifier: &str) -> Response {
    app.post(
        "/oauth2/token",
        Auth::None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client.id),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn signs_in_with_the_login_page_then_once_more_without_it(kind: Kind) {
    let app = TestApp::new(kind);
    let client = spa(&app);
    app.user("alice", "correct horse battery");
    let mut jar = Jar::default();

    let page = jar.get_page(&app, &authorize_path(&client, &[])).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let html = page.text();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("autocomplete=\"username\""));
    assert!(html.contains("autocomplete=\"current-password\""));
    assert!(html.contains("<label for=\"password\">"));
    assert!(html.contains("Example SPA"), "names the application");
    assert!(!html.contains("<script"), "works without JavaScript");
    assert!(jar.get("ciam_csrf").is_some(), "a CSRF cookie");

    // A wrong password and an unknown user get the one generic message.
    let wrong = sign_in(&app, &mut jar, &page, "alice", "wrong password!").await;
    let unknown = sign_in(&app, &mut jar, &page, "mallory", "wrong password!").await;
    for answer in [&wrong, &unknown] {
        assert_eq!(answer.status, 401);
        assert!(answer.header("location").is_none());
        assert!(answer
            .text()
            .contains("The username or password is incorrect."));
    }

    let signed_in = sign_in(&app, &mut jar, &wrong, "alice", "correct horse battery").await;
    let code = code_of(&signed_in);
    let session = signed_in
        .cookie_attributes("ciam_session")
        .expect("a session cookie");
    assert!(
        session.contains("httponly") && session.contains("samesite=lax"),
        "{session}"
    );
    assert!(!session.contains("secure"), "an http issuer: {session}");

    let tokens = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text());
    let json = tokens.json();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["scope"], "openid read");
    let access_token = json["access_token"].as_str().expect("access token");
    let resource_server = app.confidential();
    assert!(app.is_active(&resource_server, access_token).await);

    // Single sign-on: the session answers the next request without the form.
    let again = jar.get_page(&app, &authorize_path(&client, &[])).await;
    let second = code_of(&again);
    assert_ne!(second, code);
    assert_eq!(exchange(&app, &client, &second, VERIFIER).await.status, 200);
    // prompt=login asks for the password even so.
    let fresh = jar
        .get_page(&app, &authorize_path(&client, &[("prompt", "login")]))
        .await;
    assert_eq!(fresh.status, 200);
    assert!(fresh.text().contains("name=\"password\""));
}

async fn prompt_none_without_a_session_is_login_required(kind: Kind) {
    let app = TestApp::new(kind);
    let client = spa(&app);
    let mut jar = Jar::default();
    let answer = jar
        .get_page(&app, &authorize_path(&client, &[("prompt", "none")]))
        .await;
    assert_eq!(answer.status, 303);
    let params = answer.redirect_params();
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["state"], "af0ifjsldkj");
    assert_eq!(params["iss"], ISSUER);
}

async fn an_unregistered_redirect_uri_is_a_page_never_a_redirect(kind: Kind) {
    let app = TestApp::new(kind);
    let client = spa(&app);
    let mut jar = Jar::default();
    let evil = authorize_path(&client, &[]).replace(
        &serde_urlencoded::to_string([("r", REDIRECT)]).expect("q")[2..],
        &serde_urlencoded::to_string([("r", "https://evil.example/callback")]).expect("q")[2..],
    );
    let unknown_client = authorize_path(&client, &[]).replace(&client.id, "nobody");
    for path in [evil, unknown_client] {
        let answer = jar.get_page(&app, &path).await;
        assert_eq!(answer.status, 400, "{path}");
        assert!(answer.header("location").is_none(), "no open redirector");
        assert_eq!(
            answer.header("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
    // Once the client and redirect URI are trusted, errors go back to the client.
    let plain = authorize_path(&client, &[]).replace("S256", "plain");
    let answer = jar.get_page(&app, &plain).await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.redirect_params()["error"], "invalid_request");
}

async fn a_replayed_code_fails_and_revokes_its_tokens(kind: Kind) {
    let app = TestApp::new(kind);
    let client = spa(&app);
    app.user("alice", "correct horse battery");
    let mut jar = Jar::default();
    let code = signed_in_code(&app, &mut jar, &client).await;

    let wrong_verifier = exchange(&app, &client, &code, &VERIFIER.replace('d', "e")).await;
    assert_eq!(
        (wrong_verifier.status, wrong_verifier.error()),
        (400, "invalid_grant".into())
    );

    let tokens = exchange(&app, &client, &code, VERIFIER).await.json();
    let access_token = tokens["access_token"].as_str().expect("access token");
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh token");
    let replay = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(
        (replay.status, replay.error()),
        (400, "invalid_grant".into())
    );
    let resource_server = app.confidential();
    assert!(
        !app.is_active(&resource_server, access_token).await,
        "RFC 6749 §4.1.2"
    );
    let refreshed = app
        .post(
            "/oauth2/token",
            Auth::None,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client.id),
                ("refresh_token", refresh_token),
            ],
        )
        .await;
    assert_eq!(refreshed.error(), "invalid_grant");
}

async fn a_login_form_without_its_csrf_cookie_is_refused(kind: Kind) {
    let app = TestApp::new(kind);
    let client = spa(&app);
    app.user("alice", "correct horse battery");
    let mut jar = Jar::default();
    let page = jar.get_page(&app, &authorize_path(&client, &[])).await;
    // Another site's form posts without our cookie (SameSite keeps it from being sent).
    jar.forget("ciam_csrf");
    let forged = sign_in(&app, &mut jar, &page, "alice", "correct horse battery").await;
    assert_eq!(forged.status, 403);
    assert!(forged.header("location").is_none());
    assert!(jar.get("ciam_session").is_none(), "no session");
    assert!(forged.text().contains("expired"), "{}", forged.text());
}

async fn repeated_failures_are_throttled_on_the_page(kind: Kind) {
    // A block of a minute, not the default second: on a loaded machine a request can take
    // longer than a second, and the block would end before the next attempt.
    let app = TestApp::with_config(kind, |config| {
        config.sign_in.per_username.base_delay = 60;
    });
    let client = spa(&app);
    app.user("alice", "correct horse battery");
    let mut jar = Jar::default();
    let mut page = jar.get_page(&app, &authorize_path(&client, &[])).await;
    // Five free failures; the sixth blocks (for a minute here), then longer each time.
    for _ in 0..6 {
        page = sign_in(&app, &mut jar, &page, "alice", "wrong password!").await;
        assert_eq!(page.status, 401);
    }
    let blocked = sign_in(&app, &mut jar, &page, "alice", "wrong password!").await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.header("retry-after").is_some());
    assert!(blocked.text().contains("Too many failed attempts"));
    let even_right = sign_in(&app, &mut jar, &blocked, "alice", "correct horse battery").await;
    assert_eq!(
        even_right.status, 429,
        "throttled before any password check"
    );
}

async fn an_https_issuer_pins_its_cookies_to_the_host(kind: Kind) {
    let app = TestApp::with_config(kind, |config| {
        config.issuer = "https://id.example.com".into()
    });
    let client = spa(&app);
    app.user("alice", "correct horse battery");
    let mut jar = Jar::default();
    let page = jar.get_page(&app, &authorize_path(&client, &[])).await;
    let csrf = page
        .cookie_attributes("__Host-ciam_csrf")
        .expect("__Host- CSRF cookie");
    assert!(csrf.contains("secure") && csrf.contains("path=/"), "{csrf}");
    let signed_in = sign_in(&app, &mut jar, &page, "alice", "correct horse battery").await;
    let session = signed_in
        .cookie_attributes("__Host-ciam_session")
        .expect("__Host- session cookie");
    for attribute in ["secure", "httponly", "samesite=lax", "path=/"] {
        assert!(session.contains(attribute), "{attribute}: {session}");
    }
    assert!(
        !session.contains("domain="),
        "__Host- cookies have no Domain"
    );
}

async fn logout_ends_the_session_and_revokes_what_was_born_in_it(kind: Kind) {
    let app = TestApp::new(kind);
    let client = spa(&app);
    app.user("alice", "correct horse battery");
    let resource_server = app.confidential();
    let mut jar = Jar::default();
    let tokens = signed_in_tokens(&app, &mut jar, &client).await;
    let access_token = tokens["access_token"].as_str().expect("access token");
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh token");
    let id_token = tokens["id_token"].as_str().expect("an ID token for openid");
    assert_eq!(id_token.split('.').count(), 3);

    let logout_path = format!(
        "/oauth2/logout?{}",
        serde_urlencoded::to_string([
            ("client_id", client.id.as_str()),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", "bye-1"),
        ])
        .expect("query")
    );
    // A GET only asks: another site linking here cannot sign the user out.
    let confirm = jar.get_page(&app, &logout_path).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.text().contains("Sign out"));
    assert!(app.is_active(&resource_server, access_token).await);

    let fields = confirm.form_fields();
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let done = jar.post_form(&app, "/oauth2/logout", &pairs).await;
    assert_eq!(done.status, 303, "{}", done.text());
    let location = done.header("location").expect("Location");
    assert_eq!(location, format!("{SIGNED_OUT}?state=bye-1"));
    assert!(jar.get("ciam_session").is_none(), "the cookie is removed");

    assert!(
        !app.is_active(&resource_server, access_token).await,
        "revoked at once"
    );
    let refreshed = app
        .post(
            "/oauth2/token",
            Auth::None,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client.id),
                ("refresh_token", refresh_token),
            ],
        )
        .await;
    assert_eq!(refreshed.error(), "invalid_grant");
    // The next authorization request asks for the password again.
    let again = jar.get_page(&app, &authorize_path(&client, &[])).await;
    assert_eq!(again.status, 200);
    assert!(again.text().contains("name=\"password\""));
}

async fn logout_returns_only_to_a_registered_address(kind: Kind) {
    let app = TestApp::new(kind);
    let client = spa(&app);
    let mut jar = Jar::default();
    let path = format!(
        "/oauth2/logout?{}",
        serde_urlencoded::to_string([
            ("client_id", client.id.as_str()),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ])
        .expect("query")
    );
    let refused = jar.get_page(&app, &path).await;
    assert_eq!(refused.status, 400);
    assert!(refused.header("location").is_none());
    // A forged confirmation (no CSRF cookie) signs nobody out.
    let forged = jar
        .post_form(&app, "/oauth2/logout", &[("csrf", "guess")])
        .await;
    assert_eq!(forged.status, 403);
}

async fn logout_with_the_sessions_id_token_needs_no_confirmation(kind: Kind) {
    let app = TestApp::new(kind);
    let client = spa(&app);
    app.user("alice", "correct horse battery");
    let resource_server = app.confidential();
    let mut jar = Jar::default();
    let tokens = signed_in_tokens(&app, &mut jar, &client).await;
    let access_token = tokens["access_token"].as_str().expect("access token");
    let id_token = tokens["id_token"].as_str().expect("ID token");
    let logout = |extra: &[(&str, &str)]| {
        let mut params = vec![
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", "s"),
        ];
        params.extend_from_slice(extra);
        format!(
            "/oauth2/logout?{}",
            serde_urlencoded::to_string(&params).expect("query")
        )
    };
    let other = spa(&app);
    let mismatch = jar
        .get_page(&app, &logout(&[("client_id", &other.id)]))
        .await;
    assert_eq!(mismatch.status, 400, "the hint names another client");
    let forged = jar
        .get_page(
            &app,
            &logout(&[]).replace(&id_token[id_token.len() - 8..], "AAAAAAAA"),
        )
        .await;
    assert_eq!(forged.status, 400, "a hint that is not ours");
    assert!(app.is_active(&resource_server, access_token).await);

    let done = jar.get_page(&app, &logout(&[])).await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(
        done.header("location"),
        Some(&*format!("{SIGNED_OUT}?state=s"))
    );
    assert!(!app.is_active(&resource_server, access_token).await);
}

on_every_backend!(
    logout_with_the_sessions_id_token_needs_no_confirmation,
    logout_ends_the_session_and_revokes_what_was_born_in_it,
    logout_returns_only_to_a_registered_address,
    signs_in_with_the_login_page_then_once_more_without_it,
    prompt_none_without_a_session_is_login_required,
    an_unregistered_redirect_uri_is_a_page_never_a_redirect,
    a_replayed_code_fails_and_revokes_its_tokens,
    a_login_form_without_its_csrf_cookie_is_refused,
    repeated_failures_are_throttled_on_the_page,
    an_https_issuer_pins_its_cookies_to_the_host,
);
