//! The audit trail of a scripted session, from the built binary: an operator registers a
//! client and a user at the command line, the user signs in (once wrongly) over real HTTP,
//! the client revokes a token, the operator signs the user out everywhere and rotates a key;
//! `ciam audit list` then shows one entry per action, in order, attributed, with the
//! request's address, and no secret anywhere.

use serde_json::Value;

use crate::support::server::{ciam, ciam_json, post_form as post, Server};

const PASSWORD: &str = "correct horse battery";

fn actions(listing: &Value) -> Vec<String> {
    listing["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["action"].as_str().expect("action").to_owned())
        .collect()
}

#[test]
fn ciam_audit_list_shows_a_scripted_session_in_order_without_secrets() {
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
    let user = ciam_json(
        dir.path(),
        &[],
        &["user", "create", "--username", "alice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let user_id = user["id"].as_str().expect("user id").to_owned();

    let server = Server::start(dir.path(), &[]);
    let auth = [
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let call = |path: &str, extra: &[(&str, &str)]| {
        let pairs: Vec<(&str, &str)> = auth.iter().chain(extra.iter()).copied().collect();
        post(&server.url(path), &pairs)
    };
    let sign_in = |password: &str| {
        call(
            "/oauth2/token",
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", password),
            ],
        )
    };
    let (status, _) = sign_in("wrong horse battery");
    assert_eq!(status, 400);
    let (status, tokens) = sign_in(PASSWORD);
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let (status, _) = call("/oauth2/revoke", &[("token", &access)]);
    assert_eq!(status, 200);
    ciam_json(dir.path(), &[], &["revoke", "--user", &user_id], "");
    ciam_json(dir.path(), &[], &["keys", "rotate"], "");
    drop(server);

    let everything = ciam_json(dir.path(), &[], &["audit", "list"], "");
    let listed = actions(&everything);
    assert_eq!(
        listed,
        [
            "client.created",
            "user.created",
            "key.rotated", // the server's first keys (EdDSA, RS256), made as it starts
            "key.rotated",
            "sign_in.failed",
            "sign_in.succeeded",
            "revoke.access_token",
            "revoke.user",
            "key.rotated",
        ],
        "{everything:#}"
    );
    let entries = everything["entries"].as_array().expect("entries");
    let seqs: Vec<i64> = entries
        .iter()
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");
    let [created, _, first_key, _, failed, signed_in, revoked, cut_off, rotated] = &entries[..]
    else {
        unreachable!("length checked above")
    };
    assert_eq!(created["actor"]["kind"], "cli");
    assert_eq!(first_key["actor"]["kind"], "system");
    assert_eq!(rotated["actor"]["kind"], "cli");
    assert_eq!(created["client_id"], id.as_str());
    assert_eq!(failed["actor"]["kind"], "anonymous");
    assert_eq!(failed["user_id"], user_id.as_str());
    assert_eq!(failed["outcome"], "failure");
    assert_eq!(failed["reason"], "wrong_credentials");
    assert_eq!(failed["address"], "127.0.0.1");
    assert_eq!(signed_in["actor"]["id"], user_id.as_str());
    assert_eq!(signed_in["address"], "127.0.0.1");
    assert_eq!(revoked["actor"]["kind"], "client");
    assert_eq!(revoked["actor"]["id"], id.as_str());
    assert_eq!(revoked["user_id"], user_id.as_str());
    assert_eq!(cut_off["actor"]["kind"], "cli");
    assert_eq!(cut_off["user_id"], user_id.as_str());

    // Nothing secret in any field.
    let text = everything.to_string();
    for secret in [PASSWORD, "wrong horse battery", &secret, &access, &refresh] {
        assert!(!text.contains(secret), "a secret is in the trail");
    }

    // The filters, as an operator uses them.
    let revocations = ciam_json(dir.path(), &[], &["audit", "list", "--kind", "revoke"], "");
    assert_eq!(
        actions(&revocations),
        ["revoke.access_token", "revoke.user"]
    );
    let of_alice = ciam_json(
        dir.path(),
        &[],
        &["audit", "list", "--user", &user_id, "--since", "1h"],
        "",
    );
    assert_eq!(
        actions(&of_alice),
        [
            "user.created",
            "sign_in.failed",
            "sign_in.succeeded",
            "revoke.access_token",
            "revoke.user",
        ]
    );
    let first_page = ciam_json(dir.path(), &[], &["audit", "list", "--limit", "3"], "");
    assert_eq!(actions(&first_page), listed[..3]);
    let next = first_page["next"]
        .as_i64()
        .expect("a next page")
        .to_string();
    let second_page = ciam_json(
        dir.path(),
        &[],
        &["audit", "list", "--limit", "3", "--after", &next],
        "",
    );
    assert_eq!(actions(&second_page), listed[3..6]);
    assert!(listed.len() > 6, "so the second page has a next");

    for args in [
        &["audit", "list", "--kind", "revok"][..],
        &["audit", "list", "--limit", "0"][..],
        &["audit", "list", "--since", "yesterday"][..],
    ] {
        let output = ciam(dir.path(), &[], args, "");
        assert!(!output.status.success(), "{args:?} should fail");
    }
}
