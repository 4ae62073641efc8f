//! ciam's use cases on the real adapters, and the actix app around them.

use std::path::PathBuf;
use std::sync::Arc;

use ciam::secret_url::SecretUrl;
use ciam_domain::{GrantType, NewClient, Ports, Scope, Secret, ServiceConfig, Services};

pub const ISSUER: &str = "http://ciam.test";

/// Which adapters a test runs on. Every HTTP test runs on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The embedded default: a SQLite file and the in-process denylist.
    Embedded,
    /// Production's: a Postgres database and a Redis denylist, each the test's own.
    FullStack,
}

/// Where a test's state lives, so that a "restarted" service finds it again.
#[derive(Clone, Debug)]
enum Backing {
    Embedded {
        database: PathBuf,
    },
    FullStack {
        database_url: String,
        redis_url: String,
        redis_prefix: String,
    },
}

/// The use cases under test, on adapters of its own.
pub struct TestApp {
    pub services: Services,
    /// Their ports, for tests to look past the use cases (what rows are left).
    pub ports: Ports,
    pub kind: Kind,
    backing: Backing,
    config: ServiceConfig,
    _dir: Arc<tempfile::TempDir>,
}

/// A registered client and its secret (`None` for public clients).
#[derive(Clone, Debug)]
pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
}

impl TestClient {
    pub fn secret(&self) -> &str {
        self.secret.as_deref().unwrap_or_default()
    }
}

impl TestApp {
    pub fn new(kind: Kind) -> TestApp {
        TestApp::with_config(kind, |_| {})
    }

    /// An app whose service configuration `configure` changes (short lifetimes, say).
    pub fn with_config(kind: Kind, configure: impl FnOnce(&mut ServiceConfig)) -> TestApp {
        let mut config = ServiceConfig::new(ISSUER);
        configure(&mut config);
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let backing = match kind {
            Kind::Embedded => Backing::Embedded {
                database: dir.path().join("ciam.db"),
            },
            Kind::FullStack => {
                let name = dir
                    .path()
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("app")
                    .to_owned();
                Backing::FullStack {
                    database_url: ciam_testkit::postgres::TestPostgres::shared()
                        .fresh_database(&name),
                    redis_url: ciam_testkit::redis::shared().url.clone(),
                    redis_prefix: ciam_testkit::redis::unique_prefix(&name),
                }
            }
        };
        let (services, ports) = build_services(&backing, &config, &mail_dir(&dir));
        TestApp {
            services,
            ports,
            kind,
            backing,
            config,
            _dir: dir,
        }
    }

    /// A full-stack app on the given servers (a test's own, for fault tests).
    pub fn full_stack_on(database_url: String, redis_url: String) -> TestApp {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let backing = Backing::FullStack {
            database_url,
            redis_url,
            redis_prefix: ciam_testkit::redis::unique_prefix("faults"),
        };
        let config = ServiceConfig::new(ISSUER);
        let (services, ports) = build_services(&backing, &config, &mail_dir(&dir));
        TestApp {
            services,
            ports,
            kind: Kind::FullStack,
            backing,
            config,
            _dir: dir,
        }
    }

    /// New use cases on the same database (and Redis keys), as after a restart: fresh
    /// process memory, denylist rebuilt from the store.
    pub fn restarted(&self) -> TestApp {
        let (services, ports) = build_services(&self.backing, &self.config, &self.mail_dir());
        TestApp {
            services,
            ports,
            kind: self.kind,
            backing: self.backing.clone(),
            config: self.config.clone(),
            _dir: Arc::clone(&self._dir),
        }
    }

    /// Where the app's mail lands (`CIAM_MAIL_DIR`): one `.eml` file per message.
    pub fn mail_dir(&self) -> PathBuf {
        mail_dir(&self._dir)
    }

    /// The Redis key prefix of a full-stack app.
    pub fn redis_prefix(&self) -> Option<&str> {
        match &self.backing {
            Backing::FullStack { redis_prefix, .. } => Some(redis_prefix),
            Backing::Embedded { .. } => None,
        }
    }

    pub fn client(&self, grants: &[GrantType], public: bool) -> TestClient {
        self.registered(grants, "read write", public)
    }

    /// A confidential client that may ask for `scope` (`ciam:admin` makes an admin client).
    pub fn client_with_scope(&self, grants: &[GrantType], scope: &str) -> TestClient {
        self.registered(grants, scope, false)
    }

    fn registered(&self, grants: &[GrantType], scope: &str, public: bool) -> TestClient {
        let (client, secret) = self
            .services
            .clients
            .create_client(NewClient {
                name: "test client".into(),
                grant_types: grants.to_vec(),
                scope: Scope::parse(scope).expect("scope"),
                public,
                redirects: Default::default(),
            })
            .expect("client created");
        TestClient {
            id: client.id.to_string(),
            secret: secret.map(|s| s.expose().to_owned()),
        }
    }

    /// A confidential client allowed every grant.
    pub fn confidential(&self) -> TestClient {
        self.client(
            &[
                GrantType::ClientCredentials,
                GrantType::Password,
                GrantType::RefreshToken,
            ],
            false,
        )
    }

    pub fn user(&self, username: &str, password: &str) {
        self.services
            .accounts
            .create_user(username, &Secret::new(password))
            .expect("user created");
    }
}

fn mail_dir(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("mail")
}

/// The use cases as `ciam serve` builds them (the composition root), on the test's own database
/// and Redis keys, with the test's service configuration; mail written into `mail_dir`.
fn build_services(
    backing: &Backing,
    config: &ServiceConfig,
    mail_dir: &std::path::Path,
) -> (Services, Ports) {
    let mut settings = ciam::Settings::defaults().expect("default settings");
    settings.mail_dir = Some(mail_dir.to_owned());
    settings.database_pool_size = 8;
    settings.database_timeout_ms = 1000;
    settings.redis_pool_size = 8;
    settings.redis_timeout_ms = 1000;
    match backing {
        Backing::Embedded { database } => {
            settings.database_url = SecretUrl::new(database.to_str().expect("utf-8 path"));
        }
        Backing::FullStack {
            database_url,
            redis_url,
            redis_prefix,
        } => {
            settings.database_url = SecretUrl::new(database_url.as_str());
            settings.redis_url = Some(SecretUrl::new(redis_url.as_str()));
            settings.redis_prefix = redis_prefix.clone();
        }
    }
    let mut wired = None;
    let services = ciam::services_with(&settings, |ports, service_config| {
        *service_config = config.clone();
        wired = Some(ports.clone());
    })
    .expect("services");
    services.prepare().expect("signing key and denylist");
    (services, wired.expect("ports"))
}

/// Runs each named `async fn(Kind)` as two tests: `embedded::name` and `full_stack::name`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::support::app::Kind::Embedded).await
                }
            )+
        }
        mod full_stack {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::support::app::Kind::FullStack).await
                }
            )+
        }
    };
}
