//! The built binary on a real local Redis Cluster (three primaries, one replica each) and
//! its own Postgres: a primary crashing mid-stream of revocations loses none of them. Its
//! replica takes over with whatever it had replicated; the server's reconciler must notice
//! the new primary by itself (the periodic rebuild is off here) and rewrite the denylist.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ciam_testkit::postgres::TestPostgres;
use ciam_testkit::redis_cluster::TestCluster;

use crate::http_full_stack::claim;
use crate::support::server::{ciam, Server};

fn post_status(url: &str, pairs: &[(&str, &str)]) -> (u16, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    match agent.post(url).send_form(pairs) {
        Ok(response) => (
            response.status(),
            response.into_string().unwrap_or_default(),
        ),
        Err(ureq::Error::Status(status, response)) => {
            (status, response.into_string().unwrap_or_default())
        }
        Err(error) => panic!("{url}: transport error {error}: the server must answer, not drop"),
    }
}

struct Client {
    id: String,
    secret: String,
}

impl Client {
    fn form<'a>(&'a self, pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut form = pairs.to_vec();
        form.extend([
            ("client_id", self.id.as_str()),
            ("client_secret", self.secret.as_str()),
        ]);
        form
    }
}

fn create_client(dir: &std::path::Path, env: &[(&str, &str)]) -> Client {
    let args = [
        "client",
        "create",
        "--name",
        "load",
        "--grant-type",
        "client_credentials",
    ];
    let created = ciam(dir, env, &args, "");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let client: serde_json::Value = serde_json::from_slice(&created.stdout).expect("json");
    Client {
        id: client["client_id"].as_str().expect("id").into(),
        secret: client["client_secret"].as_str().expect("secret").into(),
    }
}

/// Whether some running primary holds the token's v2 `jti` key.
fn in_redis(cluster: &TestCluster, token: &str) -> bool {
    let key = format!("ciam:v2:revoked:jti:{}", claim(token, "jti"));
    cluster
        .primaries()
        .into_iter()
        .any(|port| cluster.command(port, &["EXISTS", &key]) == ":1")
}

#[test]
fn a_primary_crashing_during_a_stream_of_revocations_loses_none() {
    let mut cluster = TestCluster::start_with_replicas(1);
    let postgres = TestPostgres::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = postgres.fresh_database("faults_cluster");
    let redis_url = cluster.url();
    let env = [
        ("CIAM_DATABASE_URL", database_url.as_str()),
        ("CIAM_REDIS_URL", redis_url.as_str()),
        ("CIAM_REDIS_TIMEOUT_MS", "500"),
        ("CIAM_RECONCILE_INTERVAL", "3600"),
    ];
    let client = Arc::new(create_client(dir.path(), &env));
    let server = Arc::new(Server::start(dir.path(), &env));
    let tokens: Vec<String> = (0..90)
        .map(|_| {
            let form = client.form(&[("grant_type", "client_credentials")]);
            let (status, body) = post_status(&server.url("/oauth2/token"), &form);
            assert_eq!(status, 200, "{body}");
            let json: serde_json::Value = serde_json::from_str(&body).expect("json");
            json["access_token"].as_str().expect("token").to_owned()
        })
        .collect();

    let answers = Arc::new(Mutex::new(Vec::new()));
    let revoker = {
        let (server, client, answers) = (
            Arc::clone(&server),
            Arc::clone(&client),
            Arc::clone(&answers),
        );
        let tokens = tokens.clone();
        std::thread::spawn(move || {
            for token in tokens {
                let form = client.form(&[("token", token.as_str())]);
                let (status, _) = post_status(&server.url("/oauth2/revoke"), &form);
                answers.lock().expect("lock").push((token, status));
                std::thread::sleep(Duration::from_millis(40));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(700));
    let victim = cluster.primaries()[0];
    cluster.kill(victim);
    revoker.join().expect("revoker");
    cluster.wait_until_ok();
    assert!(
        !cluster.primaries().contains(&victim),
        "the crashed primary is gone"
    );

    let answers = answers.lock().expect("lock").clone();
    let statuses: Vec<u16> = answers.iter().map(|(_, s)| *s).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "only 200 or 503: {statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 200).count() > statuses.len() / 2,
        "most revocations got 200: {statuses:?}"
    );
    // Every revocation committed (200, and 503 after the commit) reaches Redis: the
    // reconciler sees the new primary's run_id and rebuilds.
    let deadline = Instant::now() + Duration::from_secs(20);
    let missing = loop {
        let missing = answers
            .iter()
            .filter(|(t, _)| !in_redis(&cluster, t))
            .count();
        if missing == 0 || Instant::now() > deadline {
            break missing;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        missing, 0,
        "every revocation answered 200 or 503 is in Redis"
    );
    // And the server itself refuses them: introspection answers inactive.
    for (token, _) in answers.iter().step_by(10) {
        let form = client.form(&[("token", token.as_str())]);
        let (status, body) = post_status(&server.url("/oauth2/introspect"), &form);
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(json["active"], false, "{body}");
    }
}
