//! `ciam client update|rotate-secret` from the built binary: redirect URIs replaced under
//! the registration rules, a secret rotated (the old one refused by a server, the new one
//! accepted), and the refusals a one-line error with a non-zero exit.

use crate::support::server::{
    ciam, ciam_json, client_credentials_client, post_form as post, Server,
};

#[test]
fn ciam_client_updates_redirect_uris_and_rotates_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| ciam_json(dir.path(), &[], args, "");
    let fails = |args: &[&str]| {
        let output = ciam(dir.path(), &[], args, "");
        assert!(!output.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !stderr.contains("panicked") && !stderr.trim().is_empty(),
            "{stderr}"
        );
        stderr
    };
    let web = run(&[
        "client",
        "create",
        "--name",
        "web",
        "--grant-type",
        "authorization_code",
        "--public",
        "--redirect-uri",
        "https://web.example/cb",
    ]);
    let web_id = web["client_id"].as_str().expect("client_id").to_owned();
    let updated = run(&[
        "client",
        "update",
        &web_id,
        "--redirect-uri",
        "https://web.example/new",
        "--redirect-uri",
        "com.example.app:/cb",
    ]);
    assert_eq!(
        updated["redirect_uris"],
        serde_json::json!(["https://web.example/new", "com.example.app:/cb"])
    );
    assert_eq!(run(&["client", "show", &web_id]), updated);
    let why = fails(&[
        "client",
        "update",
        &web_id,
        "--redirect-uri",
        "http://web.example/cb",
    ]);
    assert!(why.contains("http is allowed only for loopback"), "{why}");
    fails(&["client", "update", &web_id, "--no-redirect-uris"]);
    fails(&["client", "update", &web_id]);
    fails(&["client", "rotate-secret", &web_id]);
    fails(&["client", "update", "no-such-client", "--no-redirect-uris"]);
    fails(&["client", "rotate-secret", "no-such-client"]);
    assert_eq!(
        run(&["client", "show", &web_id])["redirect_uris"],
        updated["redirect_uris"],
        "nothing refused was written"
    );

    let (id, old) = client_credentials_client(dir.path(), &[]);
    let rotated = run(&["client", "rotate-secret", &id]);
    let new = rotated["client_secret"]
        .as_str()
        .expect("new secret")
        .to_owned();
    assert_ne!(new, old);
    let shown = run(&["client", "show", &id]).to_string();
    assert!(
        !shown.contains(&new) && !shown.contains("secret"),
        "{shown}"
    );

    let server = Server::start(dir.path(), &[]);
    let token = |secret: &str| {
        post(
            &server.url("/oauth2/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id.as_str()),
                ("client_secret", secret),
            ],
        )
        .0
    };
    assert_eq!(token(&old), 401, "the old secret is refused");
    assert_eq!(token(&new), 200);
}
