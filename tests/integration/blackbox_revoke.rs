//! `ciam revoke` from the built binary, against a running server on the embedded default:
//! the refresh tokens die at once (the store), the access tokens at the server's next
//! rebuild of its in-process denylist (CIAM_RECONCILE_INTERVAL), as the command says.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::server::{ciam, ciam_json, post_form as post, Server};

#[test]
fn ciam_revoke_cuts_off_a_user_and_a_client_and_says_when_servers_see_it() {
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
            "--grant-type",
            "client_credentials",
            "--scope",
            "read",
        ],
        "",
    );
    let id = client["client_id"].as_str().expect("client_id").to_owned();
    let secret = client["client_secret"].as_str().expect("secret").to_owned();
    ciam_json(
        dir.path(),
        &[],
        &["user", "create", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    let server = Server::start(dir.path(), &[("CIAM_RECONCILE_INTERVAL", "1")]);
    let auth = [
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let call = |path: &str, extra: &[(&str, &str)]| {
        let pairs: Vec<(&str, &str)> = auth.iter().chain(extra.iter()).copied().collect();
        post(&server.url(path), &pairs)
    };
    let token = |extra: &[(&str, &str)]| {
        let (status, body) = call("/oauth2/token", extra);
        assert_eq!(status, 200, "{body}");
        body
    };
    let active =
        |access: &str| call("/oauth2/introspect", &[("token", access)]).1["active"] == true;
    let eventually_inactive = |access: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while active(access) {
            assert!(Instant::now() < deadline, "still active after 10 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let password = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "correct horse battery"),
    ];
    let users = token(&password);
    let grantless = token(&[("grant_type", "client_credentials")]);
    let users_access = users["access_token"].as_str().expect("access").to_owned();
    let grantless_access = grantless["access_token"]
        .as_str()
        .expect("access")
        .to_owned();

    let said = ciam_json(dir.path(), &[], &["revoke", "--username", "alice"], "");
    assert_eq!(said["grants_revoked"], 1, "{said}");
    assert!(said["revoked"]["user_id"].is_string(), "{said}");
    assert!(
        said["visible_to_servers"]
            .as_str()
            .is_some_and(|s| s.contains("CIAM_RECONCILE_INTERVAL")),
        "{said}"
    );
    let refresh = users["refresh_token"].as_str().expect("refresh");
    let (status, refused) = call(
        "/oauth2/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    );
    assert_eq!(
        (status, &refused["error"]),
        (400, &Value::from("invalid_grant"))
    );
    eventually_inactive(&users_access);
    assert!(
        active(&grantless_access),
        "the client's own token is not the user's"
    );

    let said = ciam_json(dir.path(), &[], &["revoke", "--client", &id], "");
    assert_eq!(said["revoked"]["client_id"], id.as_str(), "{said}");
    eventually_inactive(&grantless_access);
    // Tokens issued later are not covered (a later second: another process made the
    // cut-off, so this server cannot have moved their iat past it).
    std::thread::sleep(Duration::from_millis(1100));
    let later = token(&[("grant_type", "client_credentials")]);
    assert!(active(later["access_token"].as_str().expect("access")));

    for args in [
        &["revoke", "--client", "no-such-client"][..],
        &["revoke", "--user", "no-such-user"][..],
        &["revoke"][..],
        &["revoke", "--user", "a", "--client", "b"][..],
    ] {
        let output = ciam(dir.path(), &[], args, "");
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(
            !String::from_utf8_lossy(&output.stderr).trim().is_empty(),
            "{args:?}"
        );
    }
    drop(server);
}
