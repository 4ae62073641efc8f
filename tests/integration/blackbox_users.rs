//! `ciam user show|list|disable|enable|delete` from the built binary, against a running
//! server on the embedded default: a disabled user's sign-in is refused at once (the store
//! says so), an enabled one's works again, a deleted one's username is free.

use serde_json::Value;

use crate::support::server::{ciam, ciam_json, post_form as post, Server};

const PASSWORD: &str = "correct horse battery";

#[test]
fn ciam_user_lists_shows_disables_enables_and_deletes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| ciam_json(dir.path(), &[], args, "");
    let create = |username: &str| {
        ciam_json(
            dir.path(),
            &[],
            &["user", "create", "--username", username, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        )["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let client = run(&[
        "client",
        "create",
        "--name",
        "web",
        "--grant-type",
        "password",
        "--grant-type",
        "refresh_token",
    ]);
    let (id, secret) = (
        client["client_id"].as_str().expect("id").to_owned(),
        client["client_secret"].as_str().expect("secret").to_owned(),
    );
    let alice = create("alice");
    create("alan");
    create("bob");

    // List: a page at a time, in id order; search by prefix.
    let first = run(&["user", "list", "--limit", "2"]);
    assert_eq!(first["users"].as_array().map(Vec::len), Some(2), "{first}");
    let next = first["next"].as_str().expect("a next page").to_owned();
    let rest = run(&["user", "list", "--limit", "2", "--after", &next]);
    assert_eq!(rest["users"].as_array().map(Vec::len), Some(1), "{rest}");
    assert_eq!(rest["next"], Value::Null);
    let found = run(&["user", "list", "--search", "al"]);
    let mut names: Vec<&str> = found["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["alan", "alice"]);
    let listed = serde_json::to_string(&found).expect("json");
    assert!(
        !listed.contains("argon2") && !listed.contains("password"),
        "{listed}"
    );

    // Show, by id or by username.
    let shown = run(&["user", "show", &alice]);
    assert_eq!(shown["username"], "alice");
    assert_eq!(
        (shown["disabled"].clone(), shown["disabled_at"].clone()),
        (Value::Bool(false), Value::Null)
    );
    assert_eq!(
        run(&["user", "show", "--username", "alice"])["id"],
        alice.as_str()
    );

    let server = Server::start(dir.path(), &[]);
    let sign_in = || {
        post(
            &server.url("/oauth2/token"),
            &[
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
    };
    let (status, tokens) = sign_in();
    assert_eq!(status, 200, "{tokens}");
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();

    // Disable: sign-in and refresh refused at once.
    let disabled = run(&["user", "disable", "--username", "alice"]);
    assert_eq!(disabled["disabled"], true, "{disabled}");
    assert_eq!(disabled["grants_revoked"], 1, "{disabled}");
    assert!(disabled["visible_to_servers"].is_string(), "{disabled}");
    let (status, refused) = sign_in();
    assert_eq!(
        (status, &refused["error"]),
        (400, &Value::from("invalid_grant"))
    );
    let (status, refused) = post(
        &server.url("/oauth2/token"),
        &[
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ],
    );
    assert_eq!(
        (status, &refused["error"]),
        (400, &Value::from("invalid_grant"))
    );

    // Enable: signs in again.
    let enabled = run(&["user", "enable", &alice]);
    assert_eq!(enabled["disabled_at"], Value::Null, "{enabled}");
    assert_eq!(sign_in().0, 200);

    // Delete: gone, and the username is free.
    let deleted = run(&["user", "delete", &alice]);
    assert_eq!(deleted["deleted"], true, "{deleted}");
    assert_eq!(sign_in().0, 400);
    let again = create("alice");
    assert_ne!(again, alice);
    assert_eq!(sign_in().0, 200);
    drop(server);

    for args in [
        &["user", "show", &alice][..],
        &["user", "disable", "--username", "nobody"][..],
        &["user", "enable", "no-such-id"][..],
        &["user", "delete", &alice][..],
        &["user", "show"][..],
        &["user", "show", "x", "--username", "y"][..],
        &["user", "list", "--limit", "0"][..],
        &["user", "list", "--limit", "201"][..],
    ] {
        let output = ciam(dir.path(), &[], args, "");
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(
            !String::from_utf8_lossy(&output.stderr).trim().is_empty(),
            "{args:?}"
        );
    }
}
