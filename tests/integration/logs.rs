//! What `ciam serve` writes to its log and which request id it answers with (issue 9).

use std::time::Duration;

use crate::support::server::{ciam, ciam_json, client_credentials_client, Server};

fn request_with_id(server: &Server, id: &str) -> String {
    let response = ureq::post(&server.url("/oauth2/token"))
        .set("X-Request-Id", id)
        .timeout(Duration::from_secs(10))
        .send_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
        ]);
    let response = match response {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("transport error: {e}"),
    };
    response
        .header("x-request-id")
        .expect("every response carries X-Request-Id")
        .to_owned()
}

/// The log, once the server has written the lines of the requests made so far.
fn log_after_requests(server: &Server) -> String {
    std::thread::sleep(Duration::from_millis(300));
    std::fs::read_to_string(server.dir.join("serve.log")).expect("serve.log")
}

#[test]
fn a_log_file_has_no_colour_codes_and_names_each_request_by_its_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[]);
    assert_eq!(request_with_id(&server, "trace-7f3a.1"), "trace-7f3a.1");
    let replaced = request_with_id(&server, "not sane\"id");
    assert_eq!(replaced.len(), 32, "a new id instead: {replaced}");
    assert!(replaced.bytes().all(|b| b.is_ascii_hexdigit()));
    let log = log_after_requests(&server);
    assert!(!log.contains('\u{1b}'), "no ANSI escapes in a file:\n{log}");
    assert!(log.contains("request_id=trace-7f3a.1"), "{log}");
    assert!(log.contains(&format!("request_id={replaced}")), "{log}");
}

#[test]
fn json_logs_are_one_object_per_line_with_the_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[("CIAM_LOG_FORMAT", "json")]);
    let id = request_with_id(&server, "json-trace-1");
    let log = log_after_requests(&server);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(id, "json-trace-1");
    let response = lines
        .iter()
        .find(|line| line["message"] == "response" && line["spans"][0]["request_id"] == id.as_str())
        .unwrap_or_else(|| panic!("a response line with the request's id:\n{log}"));
    assert_eq!(response["spans"][0]["path"], "/oauth2/token");
    assert_eq!(response["spans"][0]["status"], 401);
    assert_eq!(response["level"], "INFO");
}

#[test]
fn an_unknown_log_format_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = ciam(dir.path(), &[("CIAM_LOG_FORMAT", "xml")], &["serve"], "");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("CIAM_LOG_FORMAT must be text or json"),
        "{stderr}"
    );
}

/// A 503 says nothing of why; its log line says everything, down to the driver's error, in
/// the span of the request that got it.
#[test]
fn a_503_is_logged_with_its_whole_cause_and_the_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Redis on a port nobody listens on: every denylist write fails with "refused".
    let redis = format!("redis://127.0.0.1:{}", ciam_testkit::free_port());
    let env = [("CIAM_REDIS_URL", redis.as_str())];
    let (id, secret) = client_credentials_client(dir.path(), &env);
    let server = Server::start(dir.path(), &env);
    let credentials = [
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend(credentials);
    let token = ureq::post(&server.url("/oauth2/token"))
        .send_form(&form)
        .expect("a token: issuing needs no denylist");
    let token: serde_json::Value =
        serde_json::from_reader(token.into_reader()).expect("token JSON");
    let token = token["access_token"].as_str().expect("access token");

    let mut form = vec![("token", token)];
    form.extend(credentials);
    let answer = ureq::post(&server.url("/oauth2/revoke"))
        .set("X-Request-Id", "revoke-while-redis-is-down")
        .send_form(&form);
    let Err(ureq::Error::Status(503, response)) = answer else {
        panic!("503 while the denylist is down: {answer:?}");
    };
    let body = response.into_string().expect("body");
    assert_eq!(
        body, r#"{"error":"temporarily_unavailable"}"#,
        "nothing internal is sent"
    );

    let log = log_after_requests(&server);
    let line = log
        .lines()
        .find(|line| line.contains("dependency unavailable"))
        .unwrap_or_else(|| panic!("a line for the 503:\n{log}"));
    assert!(
        line.contains("request_id=revoke-while-redis-is-down"),
        "in the request's span: {line}"
    );
    assert!(
        line.contains("denylist unavailable: redis") && line.contains("refused"),
        "the whole chain, down to the refused connection: {line}"
    );
}

/// An admin call is attributable: its log lines carry the admin client's `client_id`, never
/// its token. The admin client is created as docs/admin-api.md says.
#[test]
fn an_admin_call_is_logged_with_its_caller_never_its_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let admin = ciam_json(
        dir.path(),
        &[],
        &[
            "client",
            "create",
            "--name",
            "back office",
            "--grant-type",
            "client_credentials",
            "--scope",
            "ciam:admin",
        ],
        "",
    );
    let user = ciam_json(
        dir.path(),
        &[],
        &["user", "create", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    let server = Server::start(dir.path(), &[]);
    let admin_id = admin["client_id"].as_str().expect("client_id");
    let token = ureq::post(&server.url("/oauth2/token"))
        .send_form(&[
            ("grant_type", "client_credentials"),
            ("scope", "ciam:admin"),
            ("client_id", admin_id),
            (
                "client_secret",
                admin["client_secret"].as_str().expect("secret"),
            ),
        ])
        .expect("an admin token");
    let token: serde_json::Value =
        serde_json::from_reader(token.into_reader()).expect("token JSON");
    let token = token["access_token"].as_str().expect("access token");
    let user_id = user["id"].as_str().expect("user id");
    let answer = ureq::post(&server.url(&format!("/admin/v1/users/{user_id}/revoke")))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("200");
    let answer: serde_json::Value = serde_json::from_reader(answer.into_reader()).expect("JSON");
    assert_eq!(answer["user_id"], user_id);

    let log = log_after_requests(&server);
    let line = log
        .lines()
        .find(|line| line.contains("admin: user revoked"))
        .unwrap_or_else(|| panic!("a line for the revocation:\n{log}"));
    assert!(line.contains(&format!("caller={admin_id}")), "{line}");
    assert!(line.contains(&format!("user={user_id}")), "{line}");
    assert!(!log.contains(token), "the token is never logged:\n{log}");
}
