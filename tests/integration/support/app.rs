//! A `TokenService` on the real adapters, and the actix app around it.

use std::path::PathBuf;
use std::sync::Arc;

use ciam_crypto::{Argon2idHasher, JwtCodec, OsRandom, SystemClock};
use ciam_denylist::InProcessDenylist;
use ciam_domain::{GrantType, NewClient, Ports, Scope, Secret, ServiceConfig, TokenService};
use ciam_store::{DatabaseUrl, DieselStore, PoolSettings};

pub const ISSUER: &str = "http://ciam.test";

/// The service under test, on a SQLite file of its own.
pub struct TestApp {
    pub service: Arc<TokenService>,
    database: PathBuf,
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
    pub fn sqlite() -> TestApp {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let database = dir.path().join("ciam.db");
        let service = Arc::new(build_service(&database));
        TestApp { service, database, _dir: dir }
    }

    /// A new service on the same database, as after a restart: fresh process memory,
    /// denylist rebuilt from the store.
    pub fn restarted(&self) -> TestApp {
        let service = Arc::new(build_service(&self.database));
        TestApp { service, database: self.database.clone(), _dir: Arc::clone(&self._dir) }
    }

    pub fn client(&self, grants: &[GrantType], public: bool) -> TestClient {
        let (client, secret) = self
            .service
            .create_client(NewClient {
                name: "test client".into(),
                grant_types: grants.to_vec(),
                scope: Scope::parse("read write").expect("scope"),
                public,
            })
            .expect("client created");
        TestClient { id: client.id.to_string(), secret: secret.map(|s| s.expose().to_owned()) }
    }

    /// A confidential client allowed every grant.
    pub fn confidential(&self) -> TestClient {
        self.client(&[GrantType::ClientCredentials, GrantType::Password, GrantType::RefreshToken], false)
    }

    pub fn user(&self, username: &str, password: &str) {
        self.service.create_user(username, &Secret::new(password)).expect("user created");
    }
}

fn build_service(database: &std::path::Path) -> TokenService {
    let url = DatabaseUrl::parse(database.to_str().expect("utf-8 path")).expect("url");
    let store = Arc::new(DieselStore::connect(&url, &PoolSettings::default()).expect("store"));
    let ports = Ports {
        clients: store.clone(),
        users: store.clone(),
        grants: store.clone(),
        revocations: store.clone(),
        keys: store,
        denylist: Arc::new(InProcessDenylist::new()),
        codec: Arc::new(JwtCodec),
        passwords: Arc::new(Argon2idHasher::default()),
        clock: Arc::new(SystemClock),
        random: Arc::new(OsRandom),
    };
    let service = TokenService::new(ports, ServiceConfig::new(ISSUER));
    service.ensure_signing_key().expect("signing key");
    service.reconcile_denylist().expect("denylist rebuilt");
    service
}
