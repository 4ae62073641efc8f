//! The built binary, as a newcomer uses it: CLI to create a client and a user, then
//! issue → refresh → revoke → introspect → refresh-fails over real HTTP.

use std::time::Duration;

use serde_json::Value;

use crate::support::server::{ciam, post_form as post, Server};

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
}

fn stdout_json(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

#[test]
fn cli_then_the_whole_token_lifecycle_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let created = ciam(
        dir.path(),
        &[],
        &[
            "client",
            "create",
            "--name",
            "web",
            "--grant-type",
            "password",
            "--grant-type",
            "refresh_token",
            "--grant-type",
            "client_credentials",
            "--scope",
            "read write",
        ],
        "",
    );
    let client = stdout_json(&created);
    let client_id = client["client_id"].as_str().expect("client_id").to_owned();
    let secret = client["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();
    let user = stdout_json(&ciam(
        dir.path(),
        &[],
        &["user", "create", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    ));
    assert!(user["id"].is_string());

    let listed = stdout_json(&ciam(dir.path(), &[], &["client", "list"], ""));
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once only"
    );

    let server = Server::start(dir.path(), &[]);
    let auth = [
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let with_auth = |extra: &[(&'static str, &str)]| -> Vec<(&str, String)> {
        auth.iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .chain(extra.iter().map(|(k, v)| (*k, (*v).to_owned())))
            .collect()
    };
    let send = |path: &str, pairs: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post(&server.url(path), &pairs)
    };

    let (status, issued) = send(
        "/oauth2/token",
        with_auth(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ]),
    );
    assert_eq!(status, 200, "{issued}");
    let refresh = issued["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned();

    let (status, refreshed) = send(
        "/oauth2/token",
        with_auth(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]),
    );
    assert_eq!(status, 200, "{refreshed}");
    let access = refreshed["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    let refresh = refreshed["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned();

    let (status, introspected) = send("/oauth2/introspect", with_auth(&[("token", &access)]));
    assert_eq!(
        (status, introspected["active"].clone()),
        (200, Value::Bool(true))
    );

    let (status, body) = send(
        "/oauth2/revoke",
        with_auth(&[("token", &refresh), ("token_type_hint", "refresh_token")]),
    );
    assert_eq!((status, body), (200, Value::Null));

    let (status, introspected) = send("/oauth2/introspect", with_auth(&[("token", &access)]));
    assert_eq!(
        (status, introspected),
        (200, serde_json::json!({"active": false}))
    );

    let (status, refused) = send(
        "/oauth2/token",
        with_auth(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]),
    );
    assert_eq!(
        (status, refused["error"].clone()),
        (400, Value::from("invalid_grant"))
    );

    // A restart keeps the revocation: the denylist is rebuilt from the SQLite file.
    drop(server);
    let server = Server::start(dir.path(), &[]);
    let (status, introspected) = post(
        &server.url("/oauth2/introspect"),
        &[
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("token", &access),
        ],
    );
    assert_eq!(
        (status, introspected),
        (200, serde_json::json!({"active": false}))
    );
}

#[test]
fn bad_cli_input_is_a_one_line_error_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "client",
                "create",
                "--name",
                "x",
                "--grant-type",
                "implicit",
            ],
            "",
        ),
        (
            &[
                "client",
                "create",
                "--name",
                "spa",
                "--grant-type",
                "client_credentials",
                "--public",
            ],
            "",
        ),
        (&["client", "show", "no-such-client"], ""),
        (
            &["user", "create", "--username", "bob", "--password-stdin"],
            "",
        ),
        (
            &["user", "create", "--username", "bob", "--password-stdin"],
            "short\n",
        ),
        (
            &[
                "client",
                "create",
                "--name",
                "x",
                "--grant-type",
                "password",
                "--scope",
                "bad\"scope",
            ],
            "",
        ),
    ];
    for (args, stdin) in cases {
        let output = ciam(dir.path(), &[], args, stdin);
        assert!(!output.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.trim().is_empty(), "{args:?}: says why");
    }
    let bad_env = ciam(
        dir.path(),
        &[("CIAM_ACCESS_TOKEN_TTL", "-5")],
        &["keys", "list"],
        "",
    );
    assert!(!bad_env.status.success());
    assert!(String::from_utf8_lossy(&bad_env.stderr).contains("CIAM_ACCESS_TOKEN_TTL"));
}

#[test]
fn keys_rotate_is_seen_by_a_running_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[]);
    let jwks = |server: &Server| -> Value {
        serde_json::from_str(
            &agent()
                .get(&server.url("/oauth2/jwks"))
                .call()
                .expect("jwks")
                .into_string()
                .expect("body"),
        )
        .expect("json")
    };
    let algs = |keys: &Value| -> Vec<String> {
        let mut algs: Vec<String> = keys
            .as_array()
            .map(|keys| {
                keys.iter()
                    .map(|k| k["alg"].as_str().unwrap_or("?").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        algs.sort();
        algs
    };
    // An EdDSA key for access tokens and an RS256 one for ID tokens, from the first start.
    assert_eq!(algs(&jwks(&server)["keys"]), vec!["EdDSA", "RS256"]);
    let rotated = stdout_json(&ciam(dir.path(), &[], &["keys", "rotate"], ""));
    assert!(rotated["kid"].is_string());
    assert_eq!(
        rotated["alg"], "EdDSA",
        "the access tokens' algorithm by default"
    );
    let rotated = stdout_json(&ciam(
        dir.path(),
        &[],
        &["keys", "rotate", "--alg", "RS256"],
        "",
    ));
    assert_eq!(
        (&rotated["alg"], &rotated["jwk"]["kty"]),
        (&"RS256".into(), &"RSA".into())
    );
    let refused = ciam(dir.path(), &[], &["keys", "rotate", "--alg", "HS256"], "");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("EdDSA or RS256"));
    let bad_env = ciam(
        dir.path(),
        &[("CIAM_ID_TOKEN_ALG", "none")],
        &["keys", "list"],
        "",
    );
    assert!(!bad_env.status.success());
    assert!(String::from_utf8_lossy(&bad_env.stderr).contains("id_token_alg"));
    let keys = stdout_json(&ciam(dir.path(), &[], &["keys", "list"], ""));
    assert_eq!(algs(&keys), vec!["EdDSA", "EdDSA", "RS256", "RS256"]);
    let active = |alg: &str| {
        keys.as_array()
            .map(|keys| {
                keys.iter()
                    .filter(|k| k["alg"] == alg && k["retired_at"].is_null())
                    .count()
            })
            .unwrap_or_default()
    };
    assert_eq!((active("EdDSA"), active("RS256")), (1, 1), "{keys}");
    assert!(
        !keys.to_string().contains("private"),
        "no private key material is printed"
    );
}
