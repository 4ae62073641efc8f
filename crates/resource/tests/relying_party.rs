//! The example relying party (examples/relying_party.rs), as a newcomer runs it next to
//! ciam, walked in headless Chromium: sign in through the hosted login page, see the ID
//! token's claims, call the API the SDK protects, sign out, and the SDK refuses the access
//! token the app held.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ciam_domain::{GrantType, NewClient, Redirects, Scope};
use ciam_testkit::browser::Browser;

use crate::support::ciam::{Ciam, Options, PASSWORD, USERNAME};

/// The example's binary, built by `cargo test` beside this test's.
fn example_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let debug = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    debug.join("examples").join("relying_party")
}

struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_app(issuer: &str, listen: &str, client_id: &str, secret: &str) -> App {
    let binary = example_binary();
    assert!(
        binary.exists(),
        "{} is missing: `cargo test -p ciam-resource` builds it",
        binary.display()
    );
    let child = Command::new(binary)
        .env("CIAM_ISSUER", issuer)
        .env("RP_LISTEN", listen)
        .env("RP_CLIENT_ID", client_id)
        .env("RP_CLIENT_SECRET", secret)
        .stdout(Stdio::null())
        .spawn()
        .expect("the example starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(listen).is_err() {
        assert!(Instant::now() < deadline, "the example app did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    App(child)
}

#[test]
fn the_example_app_signs_in_calls_its_api_and_signs_out_revoking_its_token() {
    let ciam = Ciam::start(Options::embedded());
    let listen = format!("127.0.0.1:{}", ciam_testkit::free_port());
    let base = format!("http://{listen}");
    let (client, secret) = ciam
        .services
        .clients
        .create_client(NewClient {
            name: "Example app".into(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scope: Scope::parse("openid profile email").expect("scope"),
            public: false,
            redirects: Redirects {
                redirect_uris: vec![format!("{base}/callback")],
                post_logout_redirect_uris: vec![format!("{base}/signed-out")],
                ..Redirects::default()
            },
        })
        .expect("client");
    let secret = secret.expect("confidential");
    let _app = start_app(&ciam.issuer, &listen, client.id.as_str(), secret.expose());

    let browser = Browser::start();
    browser.goto(&base);
    browser.click("a[href='/login']");
    assert!(
        browser.current_url().starts_with(&ciam.issuer),
        "at ciam's login page: {}",
        browser.current_url()
    );
    browser.fill("#username", USERNAME);
    browser.fill("#password", PASSWORD);
    browser.click("button[type=submit]");
    assert_eq!(browser.current_url(), format!("{base}/"));
    let claims: serde_json::Value =
        serde_json::from_str(&browser.text("#claims")).expect("the claims as JSON");
    assert_eq!(claims["iss"], ciam.issuer.as_str());
    assert_eq!(claims["aud"], client.id.as_str());
    assert!(claims["sid"].is_string() && claims["at_hash"].is_string());

    browser.click("a[href='/api']");
    assert!(
        browser
            .text("#api")
            .starts_with("The API accepted the token"),
        "{}",
        browser.text("#api")
    );
    browser.goto(&base);
    browser.click("a[href='/logout']");
    browser.click("#sign-out");
    assert!(browser
        .current_url()
        .starts_with(&format!("{base}/signed-out")));
    let verdict = browser.text("#api");
    assert!(
        verdict.starts_with("The API refuses the old access token"),
        "the SDK refuses the token at once: {verdict}"
    );
}
