//! Fault tests on the built binary against its own Postgres and Redis: the server's own
//! reconciler and pools, not a test's direct calls, must carry it through.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ciam_testkit::postgres::TestPostgres;
use ciam_testkit::redis::TestRedis;

use crate::http_full_stack::claim;
use crate::support::server::{ciam, Server};

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
}

fn post_status(url: &str, pairs: &[(&str, &str)]) -> (u16, String) {
    match agent().post(url).send_form(pairs) {
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

struct Stack {
    postgres: TestPostgres,
    redis: TestRedis,
    server: Server,
    client_id: String,
    secret: String,
    _dir: tempfile::TempDir,
}

impl Stack {
    fn start() -> Stack {
        let postgres = TestPostgres::start();
        let redis = TestRedis::start();
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = postgres.fresh_database("faults");
        let env = [
            ("CIAM_DATABASE_URL", database_url.as_str()),
            ("CIAM_REDIS_URL", redis.url.as_str()),
            ("CIAM_DATABASE_TIMEOUT_MS", "500"),
            ("CIAM_REDIS_TIMEOUT_MS", "300"),
            ("CIAM_RECONCILE_INTERVAL", "3600"),
        ];
        let created = ciam(
            dir.path(),
            &env,
            &[
                "client",
                "create",
                "--name",
                "load",
                "--grant-type",
                "client_credentials",
            ],
            "",
        );
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );
        let client: serde_json::Value = serde_json::from_slice(&created.stdout).expect("json");
        let server = Server::start(dir.path(), &env);
        Stack {
            postgres,
            redis,
            server,
            client_id: client["client_id"].as_str().expect("id").into(),
            secret: client["client_secret"].as_str().expect("secret").into(),
            _dir: dir,
        }
    }

    fn token(&self) -> String {
        let (status, body) = post_status(
            &self.server.url("/oauth2/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &self.client_id),
                ("client_secret", &self.secret),
            ],
        );
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        json["access_token"].as_str().expect("token").into()
    }

    fn revoke(&self, token: &str) -> u16 {
        post_status(
            &self.server.url("/oauth2/revoke"),
            &[
                ("token", token),
                ("client_id", &self.client_id),
                ("client_secret", &self.secret),
            ],
        )
        .0
    }

    fn in_redis(&self, token: &str) -> bool {
        let key = format!("ciam:v1:revoked:jti:{}", claim(token, "jti"));
        self.redis
            .command(&["EXISTS", &key])
            .map(|reply| reply.trim() == ":1")
            .unwrap_or(false)
    }
}

#[test]
fn redis_stopped_during_a_stream_of_revocations_loses_none() {
    let stack = Arc::new(Stack::start());
    let tokens: Vec<String> = (0..120).map(|_| stack.token()).collect();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));

    let revoker = {
        let (stack, answers, done, tokens) = (
            Arc::clone(&stack),
            Arc::clone(&answers),
            Arc::clone(&done),
            tokens.clone(),
        );
        std::thread::spawn(move || {
            for token in tokens {
                let status = stack.revoke(&token);
                answers.lock().expect("lock").push((token, status));
                std::thread::sleep(Duration::from_millis(15));
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    std::thread::sleep(Duration::from_millis(400));
    stack.redis.stop();
    std::thread::sleep(Duration::from_millis(600));
    stack.redis.restart(); // empty: no persistence
    revoker.join().expect("revoker");
    assert!(done.load(Ordering::SeqCst));

    let answers = answers.lock().expect("lock").clone();
    let statuses: Vec<u16> = answers.iter().map(|(_, s)| *s).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "only 200 or 503: {statuses:?}"
    );
    assert!(
        statuses.contains(&503),
        "Redis was down for part of the stream: {statuses:?}"
    );
    // The server's reconciler notices the empty Redis (and its own failed writes) within
    // about a second, and rewrites every revocation from Postgres.
    let deadline = Instant::now() + Duration::from_secs(15);
    let missing = loop {
        let missing: Vec<&String> = answers
            .iter()
            .map(|(t, _)| t)
            .filter(|t| !stack.in_redis(t))
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.len();
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        missing, 0,
        "every revocation answered 200 or 503 is in Redis"
    );
}

#[test]
fn the_server_recovers_from_a_postgres_restart_without_restarting() {
    let stack = Stack::start();
    let started = Instant::now();
    let mut statuses = Vec::new();
    let mut restarted = false;
    while started.elapsed() < Duration::from_secs(8) {
        if !restarted && started.elapsed() > Duration::from_secs(2) {
            stack.postgres.restart();
            restarted = true;
        }
        let (status, _) = post_status(
            &stack.server.url("/oauth2/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &stack.client_id),
                ("client_secret", &stack.secret),
            ],
        );
        statuses.push(status);
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    let tail = &statuses[statuses.len().saturating_sub(20)..];
    assert!(
        tail.iter().all(|s| *s == 200),
        "serving again after the restart: {tail:?}"
    );
    let token = stack.token();
    assert_eq!(stack.revoke(&token), 200);
    assert!(stack.in_redis(&token));
}
