//! `ciam user sessions | grants | end-session | revoke-grant` from the built binary,
//! against a running server on the embedded default: a grant revoked by the CLI refuses its
//! refresh token at once (the store), and another user's ids are refused as unknown ones.

use crate::support::server::{ciam, ciam_json, post_form as post, Server};

#[test]
fn ciam_user_lists_a_users_grants_and_sessions_and_revokes_one_grant() {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = ciam_json(
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
            "--scope",
            "read",
        ],
        "",
    );
    let id = client["client_id"].as_str().expect("client_id").to_owned();
    let secret = client["client_secret"].as_str().expect("secret").to_owned();
    for username in ["alice", "bob"] {
        ciam_json(
            dir.path(),
            &[],
            &["user", "create", "--username", username, "--password-stdin"],
            "correct horse battery\n",
        );
    }
    let server = Server::start(dir.path(), &[]);
    let token = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ];
        pairs.extend_from_slice(extra);
        post(&server.url("/oauth2/token"), &pairs)
    };
    let password = |username: &str| {
        let (status, body) = token(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", "correct horse battery"),
        ]);
        assert_eq!(status, 200, "{body}");
        body["refresh_token"].as_str().expect("refresh").to_owned()
    };
    let first = password("alice");
    let second = password("alice");
    password("bob");
    let grants = |username: &str| {
        ciam_json(
            dir.path(),
            &[],
            &["user", "grants", "--username", username],
            "",
        )
    };

    let listed = grants("alice");
    let alices = listed["grants"].as_array().expect("grants").clone();
    assert_eq!(alices.len(), 2, "{listed}");
    assert_eq!(listed["next"], serde_json::Value::Null);
    assert_eq!(alices[0]["client_id"], id.as_str());
    assert_eq!(alices[0]["scope"], "read");
    let text = listed.to_string();
    assert!(!text.contains(&first) && !text.contains(&second));
    let bobs = grants("bob")["grants"][0]["id"]
        .as_str()
        .expect("bob's grant")
        .to_owned();

    // Bob's grant through Alice: refused, as an unknown one is.
    for wrong in [bobs.as_str(), "unknown"] {
        let output = ciam(
            dir.path(),
            &[],
            &[
                "user",
                "revoke-grant",
                "--username",
                "alice",
                "--grant",
                wrong,
            ],
            "",
        );
        assert!(!output.status.success(), "{wrong}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("has no grant"));
    }
    assert_eq!(grants("bob")["grants"].as_array().map(Vec::len), Some(1));

    // Revoke one of Alice's: exactly one of her refresh tokens is refused, at once.
    let revoke = |grant_id: &str| {
        ciam_json(
            dir.path(),
            &[],
            &[
                "user",
                "revoke-grant",
                "--username",
                "alice",
                "--grant",
                grant_id,
            ],
            "",
        )
    };
    let first_id = alices[0]["id"].as_str().expect("id");
    let said = revoke(first_id);
    assert_eq!(said["grant_revoked"], first_id, "{said}");
    let statuses: Vec<u16> = [&first, &second]
        .iter()
        .map(|refresh| token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)]).0)
        .collect();
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [200, 400], "{statuses:?}");
    let left = grants("alice");
    assert_eq!(left["grants"].as_array().map(Vec::len), Some(1), "{left}");
    assert_eq!(left["grants"][0]["id"], alices[1]["id"]);
    revoke(alices[1]["id"].as_str().expect("id"));
    assert_eq!(grants("alice")["grants"], serde_json::json!([]));

    // Sessions: none from the password grant; an unknown one cannot be ended.
    let sessions = ciam_json(
        dir.path(),
        &[],
        &["user", "sessions", "--username", "alice", "--limit", "1000"],
        "",
    );
    assert_eq!(sessions["sessions"], serde_json::json!([]), "{sessions}");
    let output = ciam(
        dir.path(),
        &[],
        &[
            "user",
            "end-session",
            "--username",
            "alice",
            "--session",
            "nope",
        ],
        "",
    );
    assert!(!output.status.success());
    let output = ciam(
        dir.path(),
        &[],
        &["user", "grants", "--username", "alice", "--limit", "0"],
        "",
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("limit must be 1 to 1000"));
}
