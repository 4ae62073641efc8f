//! A real ciam, in process, on a loopback port: the token service on real adapters (SQLite
//! file and in-process denylist, or Postgres and Redis from ciam-testkit) behind the real
//! actix app, with a counter of JWKS requests.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

use actix_web::dev::Service;
use ciam::secret_url::SecretUrl;
use ciam_domain::ports::PasswordHasher;
use ciam_domain::{CodecError, GrantType, NewClient, Scope, Secret, Services, SigningAlg};
use serde_json::Value;

/// Where a ciam keeps its state.
#[derive(Clone, Debug)]
pub enum Backend {
    /// The embedded default: a SQLite file, the in-process denylist (no Redis).
    Embedded,
    /// Postgres (a fresh database on the shared test cluster) and the given Redis.
    FullStack { redis_url: String },
}

/// Options of a test ciam.
#[derive(Clone, Debug)]
pub struct Options {
    pub backend: Backend,
    pub access_token_ttl: i64,
    /// `CIAM_ACCESS_TOKEN_ALG`: what its access tokens are signed with.
    pub access_token_alg: SigningAlg,
    pub redis_prefix: String,
}

impl Options {
    pub fn embedded() -> Options {
        Options {
            backend: Backend::Embedded,
            access_token_ttl: 300,
            access_token_alg: SigningAlg::EdDSA,
            redis_prefix: String::new(),
        }
    }

    /// Postgres and the shared test Redis, under a prefix of its own.
    pub fn full_stack() -> Options {
        Options::full_stack_on(&ciam_testkit::redis::shared().url)
    }

    pub fn full_stack_on(redis_url: &str) -> Options {
        Options {
            backend: Backend::FullStack {
                redis_url: redis_url.to_owned(),
            },
            access_token_ttl: 300,
            access_token_alg: SigningAlg::EdDSA,
            redis_prefix: ciam_testkit::redis::unique_prefix("rs"),
        }
    }
}

/// A running ciam. Stopped when dropped.
pub struct Ciam {
    pub services: Services,
    /// `http://127.0.0.1:{port}`: the issuer, the audience and the base URL.
    pub issuer: String,
    pub options: Options,
    jwks_requests: Arc<AtomicUsize>,
    server: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
}

/// A confidential client allowed every grant, and its secret.
#[derive(Clone, Debug)]
pub struct Client {
    pub id: String,
    pub secret: String,
}

/// Tokens from the password grant: an access token under a grant, and the refresh token.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

pub const USERNAME: &str = "alice";
pub const PASSWORD: &str = "correct horse battery";

impl Ciam {
    /// One embedded ciam shared by the tests that change nothing global in it.
    pub fn shared_embedded() -> &'static Ciam {
        static SHARED: OnceLock<Ciam> = OnceLock::new();
        SHARED.get_or_init(|| Ciam::start(Options::embedded()))
    }

    /// One full-stack ciam (Postgres + the shared Redis) shared likewise.
    pub fn shared_full_stack() -> &'static Ciam {
        static SHARED: OnceLock<Ciam> = OnceLock::new();
        SHARED.get_or_init(|| Ciam::start(Options::full_stack()))
    }

    pub fn start(options: Options) -> Ciam {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = ciam_testkit::free_port();
        let issuer = format!("http://127.0.0.1:{port}");
        // Built as `ciam serve` builds it (the composition root), with plain passwords.
        let mut settings = ciam::Settings::defaults().expect("default settings");
        settings.issuer = Some(issuer.clone());
        settings.access_token_ttl = options.access_token_ttl;
        settings.access_token_alg = options.access_token_alg;
        settings.database_pool_size = 8;
        settings.database_timeout_ms = 2000;
        settings.redis_pool_size = 8;
        settings.redis_timeout_ms = 1000;
        match &options.backend {
            Backend::Embedded => {
                settings.database_url =
                    SecretUrl::new(dir.path().join("ciam.db").to_str().expect("utf-8"));
            }
            Backend::FullStack { redis_url } => {
                let database =
                    ciam_testkit::postgres::TestPostgres::shared().fresh_database("resource");
                settings.database_url = SecretUrl::new(database);
                settings.redis_url = Some(SecretUrl::new(redis_url.as_str()));
                settings.redis_prefix = options.redis_prefix.clone();
            }
        }
        let services = ciam::services_with(&settings, |ports, _| {
            ports.passwords = Arc::new(PlainHasher);
        })
        .expect("services");
        services.prepare().expect("signing key and denylist");
        services
            .accounts
            .create_user(USERNAME, &Secret::new(PASSWORD))
            .expect("user");

        let jwks_requests = Arc::new(AtomicUsize::new(0));
        let server = serve(services.clone(), port, Arc::clone(&jwks_requests));
        let ciam = Ciam {
            services,
            issuer,
            options,
            jwks_requests,
            server,
            _dir: dir,
        };
        ciam.wait_healthy();
        ciam
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if agent().get(&self.url("/healthz")).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("in-process ciam on {} did not answer", self.issuer);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The Redis key prefix of a full-stack ciam.
    pub fn redis_prefix(&self) -> &str {
        &self.options.redis_prefix
    }

    pub fn redis_url(&self) -> &str {
        match &self.options.backend {
            Backend::FullStack { redis_url } => redis_url,
            Backend::Embedded => panic!("an embedded ciam has no Redis"),
        }
    }

    /// How many `GET /oauth2/jwks` it has answered.
    pub fn jwks_requests(&self) -> usize {
        self.jwks_requests.load(Ordering::SeqCst)
    }

    pub fn client(&self) -> Client {
        let (client, secret) = self
            .services
            .clients
            .create_client(NewClient {
                name: "resource test".into(),
                grant_types: vec![
                    GrantType::ClientCredentials,
                    GrantType::Password,
                    GrantType::RefreshToken,
                ],
                scope: Scope::parse("read write").expect("scope"),
                public: false,
                redirects: Default::default(),
            })
            .expect("client");
        Client {
            id: client.id.to_string(),
            secret: secret.expect("confidential").expose().to_owned(),
        }
    }

    /// `POST /oauth2/token`; the JSON answer. Panics unless 200.
    fn token(&self, client: &Client, form: &[(&str, &str)]) -> Value {
        let response = agent()
            .post(&self.url("/oauth2/token"))
            .set("Authorization", &basic(client))
            .send_form(form)
            .expect("token endpoint answers 200");
        serde_json::from_reader(response.into_reader()).expect("token JSON")
    }

    /// An access token and a refresh token of a new grant (password grant).
    pub fn password_tokens(&self, client: &Client, scope: &str) -> Tokens {
        self.password_tokens_of(client, USERNAME, scope)
    }

    /// The same for another user (whose password is `PASSWORD`).
    pub fn password_tokens_of(&self, client: &Client, username: &str, scope: &str) -> Tokens {
        let json = self.token(
            client,
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", PASSWORD),
                ("scope", scope),
            ],
        );
        Tokens {
            access: json["access_token"].as_str().expect("access").to_owned(),
            refresh: json["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    /// The next tokens of the grant (the refresh token rotates).
    pub fn refresh(&self, client: &Client, refresh: &str) -> Tokens {
        let json = self.token(
            client,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        );
        Tokens {
            access: json["access_token"].as_str().expect("access").to_owned(),
            refresh: json["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    /// An access token with no grant (client credentials).
    pub fn client_token(&self, client: &Client) -> String {
        let json = self.token(
            client,
            &[("grant_type", "client_credentials"), ("scope", "read")],
        );
        json["access_token"].as_str().expect("access").to_owned()
    }

    /// `POST /oauth2/revoke`; panics unless 200.
    pub fn revoke(&self, client: &Client, token: &str) {
        let status = agent()
            .post(&self.url("/oauth2/revoke"))
            .set("Authorization", &basic(client))
            .send_form(&[("token", token)])
            .expect("revoke answers 200")
            .status();
        assert_eq!(status, 200);
    }
}

impl Drop for Ciam {
    fn drop(&mut self) {
        // Sends the stop command at once; the server's thread ends by itself.
        drop(self.server.stop(false));
    }
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
}

pub fn basic(client: &Client) -> String {
    use base64::Engine;
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(&client.id),
            encode(&client.secret)
        ))
    )
}

/// Serves the ciam app on `port` from a thread of its own; returns once it listens.
fn serve(
    services: Services,
    port: u16,
    jwks_requests: Arc<AtomicUsize>,
) -> actix_web::dev::ServerHandle {
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("ciam-{port}"))
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    let counter = Arc::clone(&jwks_requests);
                    ciam_http::app(services.clone()).wrap_fn(move |req, srv| {
                        if req.path() == "/oauth2/jwks" {
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                        srv.call(req)
                    })
                })
                .workers(2)
                .disable_signals()
                .bind(("127.0.0.1", port))
                .expect("bind the test ciam")
                .run();
                sender.send(server.handle()).expect("handle sent");
                server.await
            })
        })
        .expect("server thread");
    receiver.recv().expect("server started")
}

/// Passwords compared as they are: argon2id at its real cost makes debug-build tests slow,
/// and hashing is not what these tests are about.
struct PlainHasher;

impl PasswordHasher for PlainHasher {
    fn hash(&self, password: &str) -> Result<String, CodecError> {
        Ok(format!("plain:{password}"))
    }

    fn verify(&self, password: &str, hash: &str) -> Result<bool, CodecError> {
        Ok(hash.strip_prefix("plain:") == Some(password))
    }
}
