//! Two built `ciam serve` nodes on one Postgres database and one Redis, as behind a load
//! balancer (one issuer: A's address), and the calls the tests of `two_nodes` make to them.

use std::time::Duration;

use base64::Engine;
use ciam_resource::{
    DenylistConfig, RedisConfig, Rejection, SyncedConfig, Verifier, VerifierConfig,
};
use ciam_testkit::postgres::TestPostgres;
use ciam_testkit::redis as test_redis;
use serde_json::Value;
use tempfile::TempDir;

use super::server::{ciam_json, post_form, Server};

const PASSWORD: &str = "correct horse battery";
/// `CIAM_CLIENT_CACHE_TTL` and `CIAM_KEY_REFRESH_INTERVAL` of both nodes: short, so the
/// tests wait seconds rather than the defaults' tens.
pub const CLIENT_CACHE_TTL: Duration = Duration::from_secs(2);
pub const KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(2);

pub struct Nodes {
    pub a: Server,
    pub b: Server,
    /// What the CLI needs to reach the same database.
    env: Vec<(&'static str, String)>,
    redis_url: String,
    prefix: String,
    _dirs: [TempDir; 2],
}

#[derive(Clone)]
pub struct Client {
    pub id: String,
    pub secret: String,
}

#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Redis,
    Synced,
}

impl Nodes {
    pub fn start(name: &str, redis_url: &str) -> Nodes {
        let prefix = test_redis::unique_prefix(name);
        let mut env = vec![
            (
                "CIAM_DATABASE_URL",
                TestPostgres::shared().fresh_database(name),
            ),
            ("CIAM_REDIS_URL", redis_url.to_owned()),
            ("CIAM_REDIS_PREFIX", prefix.clone()),
            (
                "CIAM_CLIENT_CACHE_TTL",
                CLIENT_CACHE_TTL.as_secs().to_string(),
            ),
            (
                "CIAM_KEY_REFRESH_INTERVAL",
                KEY_REFRESH_INTERVAL.as_secs().to_string(),
            ),
        ];
        let dirs = [temp_dir(), temp_dir()];
        let a = Server::start(dirs[0].path(), &pairs(&env));
        // One issuer for both, as behind a load balancer: A's address (its default).
        env.push(("CIAM_ISSUER", a.base_url.clone()));
        let b = Server::start(dirs[1].path(), &pairs(&env));
        Nodes {
            a,
            b,
            env,
            redis_url: redis_url.to_owned(),
            prefix,
            _dirs: dirs,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.a.base_url
    }

    pub fn cli(&self, args: &[&str], stdin: &str) -> Value {
        ciam_json(&self.a.dir, &pairs(&self.env), args, stdin)
    }

    pub fn client(&self, args: &[&str]) -> Client {
        let mut all = vec!["client", "create", "--name", "c"];
        all.extend_from_slice(args);
        let created = self.cli(&all, "");
        Client {
            id: created["client_id"].as_str().expect("client_id").to_owned(),
            secret: created["client_secret"]
                .as_str()
                .expect("client_secret")
                .to_owned(),
        }
    }

    /// A confidential client of every grant these tests use, scope `read`.
    pub fn web_client(&self) -> Client {
        self.client(&[
            "--grant-type",
            "password",
            "--grant-type",
            "refresh_token",
            "--grant-type",
            "client_credentials",
            "--scope",
            "read",
        ])
    }

    pub fn admin_client(&self) -> Client {
        self.client(&[
            "--grant-type",
            "client_credentials",
            "--scope",
            "ciam:admin",
        ])
    }

    /// Creates a user; returns their id.
    pub fn user(&self, username: &str) -> String {
        let created = self.cli(
            &["user", "create", "--username", username, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        );
        created["id"].as_str().expect("id").to_owned()
    }

    /// A resource server's verifier of the nodes' tokens, ready.
    pub fn verifier(&self, mode: Mode) -> Verifier {
        let denylist = match mode {
            Mode::Redis => DenylistConfig::Redis(RedisConfig {
                prefix: self.prefix.clone(),
                ..RedisConfig::new(&self.redis_url)
            }),
            Mode::Synced => DenylistConfig::Synced(SyncedConfig {
                prefix: self.prefix.clone(),
                ..SyncedConfig::new(&self.redis_url)
            }),
        };
        let verifier = Verifier::new(VerifierConfig::new(self.issuer(), self.issuer(), denylist))
            .expect("verifier");
        verifier
            .wait_ready(Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{mode:?} verifier not ready: {e}"));
        verifier
    }

    pub fn complete_marker(&self) -> String {
        format!("{}:v2:complete", self.prefix)
    }
}

fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// `path` on `node`, authenticated as `client` (`client_secret_post`).
pub fn call(node: &Server, path: &str, client: &Client, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
    ];
    form.extend_from_slice(extra);
    post_form(&node.url(path), &form)
}

pub fn tokens(node: &Server, client: &Client, grant: &[(&str, &str)]) -> Value {
    let (status, body) = call(node, "/oauth2/token", client, grant);
    assert_eq!(status, 200, "{}: {body}", node.base_url);
    body
}

pub fn client_token(node: &Server, client: &Client) -> String {
    access(&tokens(
        node,
        client,
        &[("grant_type", "client_credentials")],
    ))
}

pub fn password_tokens(node: &Server, client: &Client, username: &str) -> Value {
    tokens(
        node,
        client,
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", PASSWORD),
            ("scope", "read"),
        ],
    )
}

pub fn access(tokens: &Value) -> String {
    tokens["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

pub fn refresh_token(tokens: &Value) -> String {
    tokens["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned()
}

pub fn active(node: &Server, client: &Client, token: &str) -> bool {
    let (status, body) = call(node, "/oauth2/introspect", client, &[("token", token)]);
    assert_eq!(status, 200, "{}: {body}", node.base_url);
    body["active"] == true
}

pub fn revoke(node: &Server, client: &Client, token: &str) -> u16 {
    call(node, "/oauth2/revoke", client, &[("token", token)]).0
}

/// An admin API call with `token` as the bearer; the status and the JSON body (`Null` when
/// empty).
pub fn admin(method: &str, node: &Server, path: &str, token: &str) -> (u16, Value) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let request = agent
        .request(method, &node.url(path))
        .set("Authorization", &format!("Bearer {token}"));
    let response = match request.call() {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{method} {path}: {error}"),
    };
    let status = response.status();
    let body = response.into_string().expect("body");
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).expect("JSON body")
    };
    (status, json)
}

/// A JWT's header or claims (`part` 0 or 1) as JSON.
fn jwt_part(token: &str, part: usize) -> Value {
    let encoded = token.split('.').nth(part).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

pub fn kid(token: &str) -> String {
    jwt_part(token, 0)["kid"].as_str().expect("kid").to_owned()
}

pub fn jwks_kids(node: &Server) -> Vec<String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let body = agent
        .get(&node.url("/oauth2/jwks"))
        .call()
        .expect("JWKS")
        .into_string()
        .expect("body");
    let jwks: Value = serde_json::from_str(&body).expect("JSON");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str().map(str::to_owned))
        .collect()
}

pub fn verdict(verifier: &Verifier, token: &str) -> Result<(), Rejection> {
    verifier.verify(token).map(|_| ())
}
