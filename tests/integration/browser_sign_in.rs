//! Signing a customer in as people do: headless Chromium against the built `ciam serve`,
//! through the authorization endpoint and the hosted login page, back to an application's
//! redirect URI, then the code exchanged with its PKCE verifier.
//!
//! Screenshots of the login page go to a temporary directory, or to `CIAM_SCREENSHOTS` when
//! set (docs/sign-in.md's picture is taken so).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use ciam_testkit::browser::Browser;

use crate::support::server::{ciam_json, client_credentials_client, Server};

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An application's callback on loopback: answers every request with a small page.
fn application() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let body = "<!doctype html><title>Example app</title><p>Back at the app.</p>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

fn screenshots() -> PathBuf {
    std::env::var_os("CIAM_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("ciam-screenshots"))
}

fn query_of(url: &str) -> BTreeMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    serde_urlencoded::from_str(query).expect("query")
}

#[test]
fn a_customer_signs_in_through_the_hosted_login_page_in_a_real_browser() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = application();
    let callback = format!("{app}/callback");
    let signed_out = format!("{app}/signed-out");
    let env = [
        ("CIAM_BRAND_NAME", "Example Store"),
        ("CIAM_BRAND_COLOR", "#0f766e"),
    ];
    let client = ciam_json(
        dir.path(),
        &env,
        &[
            "client",
            "create",
            "--name",
            "Example Store web",
            "--public",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "openid profile",
            "--redirect-uri",
            &callback,
            "--post-logout-redirect-uri",
            &signed_out,
        ],
        "",
    );
    let client_id = client["client_id"].as_str().expect("client_id").to_owned();
    ciam_json(
        dir.path(),
        &env,
        &["user", "create", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    // A resource server's own client, to introspect with.
    let (rs_id, rs_secret) = client_credentials_client(dir.path(), &env);
    let server = Server::start(dir.path(), &env);
    let authorize = format!(
        "{}?{}",
        server.url("/oauth2/authorize"),
        serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", callback.as_str()),
            ("scope", "openid profile"),
            ("state", "af0ifjsldkj"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .expect("query")
    );

    let browser = Browser::start();
    browser.goto(&authorize);
    assert_eq!(
        browser.title(),
        "Sign in to Example Store web · Example Store"
    );
    assert_eq!(browser.text(".product"), "Example Store");
    assert_eq!(
        browser.attribute("#password", "autocomplete").as_deref(),
        Some("current-password")
    );
    browser.screenshot(screenshots().join("login-page.png"));

    browser.fill("#username", "alice");
    browser.fill("#password", "not my password");
    browser.click("button[type=submit]");
    assert_eq!(
        browser.text("#error"),
        "The username or password is incorrect."
    );
    assert_eq!(
        browser.attribute("#username", "value").as_deref(),
        Some("alice"),
        "the username is kept"
    );
    browser.screenshot(screenshots().join("login-page-error.png"));

    browser.fill("#password", "correct horse battery");
    browser.click("button[type=submit]");
    let landed = browser.current_url();
    assert!(landed.starts_with(&callback), "back at the app: {landed}");
    let params = query_of(&landed);
    assert_eq!(params["state"], "af0ifjsldkj");
    assert_eq!(params["iss"], server.base_url);
    let session = browser.cookie("ciam_session").expect("a session cookie");
    assert!(session.http_only, "{session:?}");
    assert_eq!(session.same_site.as_deref(), Some("Lax"));

    let tokens = ureq::post(&server.url("/oauth2/token"))
        .send_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &params["code"]),
            ("redirect_uri", &callback),
            ("code_verifier", VERIFIER),
        ])
        .expect("the code is exchanged");
    let tokens: serde_json::Value =
        serde_json::from_reader(tokens.into_reader()).expect("token JSON");
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh token");
    let access_token = tokens["access_token"].as_str().expect("access token");
    let userinfo = ureq::get(&server.url("/oauth2/userinfo"))
        .set("Authorization", &format!("Bearer {access_token}"))
        .call()
        .expect("UserInfo answers the access token");
    let userinfo: serde_json::Value =
        serde_json::from_reader(userinfo.into_reader()).expect("UserInfo JSON");
    assert_eq!(userinfo["preferred_username"], "alice");
    assert!(tokens["id_token"].is_string(), "openid: an ID token");

    // Single sign-on: the next request comes straight back with a new code.
    browser.goto(&authorize);
    let again = browser.current_url();
    assert!(
        again.starts_with(&callback),
        "no form the second time: {again}"
    );
    assert_ne!(query_of(&again)["code"], params["code"]);

    // Sign out: the user confirms, lands back at the app, and the grant is gone.
    browser.goto(&format!(
        "{}?{}",
        server.url("/oauth2/logout"),
        serde_urlencoded::to_string([
            ("client_id", client_id.as_str()),
            ("post_logout_redirect_uri", signed_out.as_str()),
            ("state", "bye"),
        ])
        .expect("query")
    ));
    assert_eq!(browser.title(), "Sign out · Example Store");
    browser.screenshot(screenshots().join("logout-page.png"));
    browser.click("#sign-out");
    assert_eq!(browser.current_url(), format!("{signed_out}?state=bye"));
    assert!(
        browser.cookie("ciam_session").is_none(),
        "the session cookie is gone"
    );
    let refreshed = ureq::post(&server.url("/oauth2/token")).send_form(&[
        ("grant_type", "refresh_token"),
        ("client_id", &client_id),
        ("refresh_token", refresh_token),
    ]);
    assert!(
        matches!(refreshed, Err(ureq::Error::Status(400, _))),
        "the refresh token died with the session"
    );
    browser.goto(&authorize);
    assert!(
        browser.exists("#password"),
        "the next sign-in asks for the password"
    );
    let introspected = ureq::post(&server.url("/oauth2/introspect"))
        .send_form(&[
            ("token", access_token),
            ("client_id", &rs_id),
            ("client_secret", &rs_secret),
        ])
        .expect("introspection answers");
    let introspected: serde_json::Value =
        serde_json::from_reader(introspected.into_reader()).expect("JSON");
    assert_eq!(
        introspected,
        serde_json::json!({ "active": false }),
        "the access token the app held is refused at once"
    );
}
