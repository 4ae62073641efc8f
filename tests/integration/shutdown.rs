//! Graceful shutdown of the built binary (issue 9): on SIGTERM the server stops accepting,
//! finishes what is in flight, and exits 0; every revocation that got 200 is in the store
//! when it starts again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::server::{client_credentials_client, Server};

fn post(url: &str, pairs: &[(&str, &str)]) -> Result<(u16, String), String> {
    let response = ureq::post(url)
        .timeout(Duration::from_secs(20))
        .send_form(pairs);
    match response {
        Ok(r) => Ok((r.status(), r.into_string().unwrap_or_default())),
        Err(ureq::Error::Status(status, r)) => Ok((status, r.into_string().unwrap_or_default())),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn sigterm_finishes_in_flight_revocations_and_loses_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (id, secret) = client_credentials_client(dir.path(), &[]);
    let mut server = Server::start(dir.path(), &[]);
    let credentials = [
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let tokens: Vec<String> = (0..400)
        .map(|_| {
            let mut pairs = vec![("grant_type", "client_credentials")];
            pairs.extend(credentials);
            let (status, body) = post(&server.url("/oauth2/token"), &pairs).expect("token");
            assert_eq!(status, 200, "{body}");
            let json: serde_json::Value = serde_json::from_str(&body).expect("json");
            json["access_token"].as_str().expect("token").to_owned()
        })
        .collect();

    // Eight revokers, each through its own slice, while SIGTERM arrives.
    let answered = Arc::new(Mutex::new(Vec::new()));
    let revoke_url = server.url("/oauth2/revoke");
    let revokers: Vec<_> = tokens
        .chunks(50)
        .map(|slice| {
            let (slice, answered, url) = (slice.to_vec(), answered.clone(), revoke_url.clone());
            let (id, secret) = (id.clone(), secret.clone());
            std::thread::spawn(move || {
                for token in slice {
                    let pairs = [
                        ("token", token.as_str()),
                        ("client_id", id.as_str()),
                        ("client_secret", secret.as_str()),
                    ];
                    match post(&url, &pairs) {
                        Ok((status, _)) => answered.lock().expect("lock").push((token, status)),
                        Err(_) => break, // the server stopped accepting
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(150));
    let status = server
        .terminate(Duration::from_secs(40))
        .expect("the server exits after SIGTERM");
    for revoker in revokers {
        revoker.join().expect("revoker");
    }
    assert!(status.success(), "exit status {status}");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("log");
    assert!(log.contains("ciam stopped"), "{log}");

    let answered = answered.lock().expect("lock").clone();
    let revoked: Vec<&String> = answered
        .iter()
        .filter(|(_, status)| *status == 200)
        .map(|(token, _)| token)
        .collect();
    assert!(
        answered.iter().all(|(_, status)| *status == 200),
        "every answer was a 200 (or the connection was refused): {:?}",
        answered.iter().map(|(_, s)| s).collect::<Vec<_>>()
    );
    assert!(!revoked.is_empty(), "some revocations were in flight");
    assert!(revoked.len() < tokens.len(), "SIGTERM came mid-stream");

    let restarted = Server::start(dir.path(), &[]);
    for token in revoked {
        let mut pairs = vec![("token", token.as_str())];
        pairs.extend(credentials);
        let (status, body) =
            post(&restarted.url("/oauth2/introspect"), &pairs).expect("introspect");
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"active":false}"#),
            "a revocation that got 200 survived the shutdown"
        );
    }
}
