//! Configuration: defaults, then an optional `ciam.toml`, then `CIAM_*` environment variables.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CIAM_LISTEN` | `127.0.0.1:8080` | address the server binds |
//! | `CIAM_METRICS_LISTEN` | unset | serve `GET /metrics` on this address alone (e.g. `127.0.0.1:9090`), and not on `CIAM_LISTEN`; unset: on `CIAM_LISTEN` (docs/operations.md) |
//! | `CIAM_ISSUER` | `http://<listen>` | `iss` of tokens and discovery `issuer` |
//! | `CIAM_AUDIENCE` | the issuer | `aud` of access tokens |
//! | `CIAM_DATABASE_URL` | `ciam.db` | SQLite file path, or `postgres://…` |
//! | `CIAM_REDIS_URL` | unset | Redis denylist: `redis://…`, or `redis+cluster://h1:p1,h2:p2,…` for a Redis Cluster; unset means in-process |
//! | `CIAM_REDIS_PREFIX` | `ciam` | first part of every Redis key and channel name |
//! | `CIAM_REDIS_POOL_SIZE` | `16` | Redis connections in the pool |
//! | `CIAM_REDIS_TIMEOUT_MS` | `1000` | connect/read/write timeout before answering 503 |
//! | `CIAM_REDIS_WRITE_V1` | `true` | also write Redis denylist contract v1 (v2 is always written); turn off once every resource server reads v2 |
//! | `CIAM_REDIS_REPLICA` | `true` | answer denylist checks from a local replica kept exact by Redis's events (docs/redis-denylist.md); not kept on Redis Cluster |
//! | `CIAM_ACCESS_TOKEN_TTL` | `300` | access token lifetime, seconds |
//! | `CIAM_ACCESS_TOKEN_ALG` | `EdDSA` | what access tokens are signed with: `EdDSA` or `RS256` |
//! | `CIAM_ID_TOKEN_ALG` | `RS256` | what ID tokens are signed with: `RS256` or `EdDSA` |
//! | `CIAM_REFRESH_TOKEN_TTL` | `1209600` | refresh token lifetime, seconds (14 days) |
//! | `CIAM_REFRESH_REUSE_GRACE` | `0` | seconds a rotated refresh token may be retried |
//! | `CIAM_REFRESH_RACE_WINDOW` | `2` | seconds after a rotation in which the old token is refused without revoking the grant |
//! | `CIAM_DATABASE_POOL_SIZE` | `16` | connections in the pool |
//! | `CIAM_DATABASE_TIMEOUT_MS` | `5000` | wait for a connection before answering 503; also libpq's `connect_timeout` (whole seconds, at least 2) unless the URL sets one |
//! | `CIAM_MIGRATE_ON_START` | `true` | apply migrations when opening the store |
//! | `CIAM_CLIENT_CACHE_TTL` | `5` | seconds a client is served from memory (0: off) |
//! | `CIAM_KEY_REFRESH_INTERVAL` | `30` | seconds the signing key ring is served from memory: a key rotated on another node signs here within this long |
//! | `CIAM_VERIFIED_TOKEN_CACHE` | `65536` | access tokens remembered as verified, so one presented again skips the signature check (about 0.7 KiB each, 44 MiB when full; 0: off); expiry, issuer and revocation are checked every time |
//! | `CIAM_RECONCILE_INTERVAL` | `30` | seconds between denylist rebuilds from the store |
//! | `CIAM_PASSWORD_HASH_CONCURRENCY` | `0` | argon2id hashes at once (19 MiB each); 0: one per CPU |
//! | `CIAM_SIGNIN_FREE_FAILURES_PER_USER` | `5` | failed sign-ins per username before back-off |
//! | `CIAM_SIGNIN_FREE_FAILURES_PER_ADDRESS` | `20` | failed sign-ins per client address (IPv6: per /64) before back-off |
//! | `CIAM_SIGNIN_MAX_DELAY` | `900` | longest back-off, seconds; back-off doubles from 1 s |
//! | `CIAM_PRUNE_INTERVAL` | `300` | seconds between deletions of expired rows from the store (0: off) |
//! | `CIAM_SESSION_LIFETIME` | `43200` | seconds a sign-in session lasts at most (12 h) |
//! | `CIAM_SESSION_IDLE_TIMEOUT` | `3600` | seconds without activity that end a session |
//! | `CIAM_BRAND_NAME` | `ciam` | product name on the hosted login page |
//! | `CIAM_BRAND_COLOR` | `#2563eb` | accent colour of the hosted login page (`#rrggbb`) |
//! | `CIAM_PASSWORD_HISTORY` | `5` | a new password may not be one of the last this many (the current one included); 0: off |
//! | `CIAM_PASSWORD_RESET_TTL` | `900` | seconds a mailed password reset code works |
//! | `CIAM_AUDIT_RETENTION` | `34560000` | seconds audit entries are kept (400 days), pruned with expired rows; 0: for ever |
//! | `CIAM_MAIL_DIR` | unset | write mail as `.eml` files into this directory (development) |
//! | `CIAM_SMTP_URL` | unset | send mail by SMTP: `smtps://user:pass@host[:465]`, `smtp://user:pass@host[:587]` (STARTTLS required), `smtp://127.0.0.1:2525?tls=none` (loopback only); with neither this nor `CIAM_MAIL_DIR`, mail is only logged (recipient and subject) |
//! | `CIAM_SMTP_TIMEOUT_MS` | `10000` | SMTP connect and reply timeout |
//! | `CIAM_MAIL_FROM` | `ciam@localhost` | the `From` of every mail, e.g. `ciam <no-reply@example.com>` |

use std::path::Path;

use ciam_domain::throttle::{SignInPolicy, ThrottlePolicy};
use ciam_domain::SigningAlg;
use config::builder::DefaultState;
use config::{Config, ConfigBuilder, Environment, File, FileFormat};

use crate::secret_url::SecretUrl;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub listen: String,
    pub metrics_listen: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub database_url: SecretUrl,
    pub redis_url: Option<SecretUrl>,
    pub redis_prefix: String,
    pub redis_pool_size: u32,
    pub redis_timeout_ms: u64,
    pub redis_write_v1: bool,
    pub redis_replica: bool,
    pub access_token_ttl: i64,
    pub access_token_alg: SigningAlg,
    pub id_token_alg: SigningAlg,
    pub refresh_token_ttl: i64,
    pub refresh_reuse_grace: i64,
    pub refresh_race_window: i64,
    pub database_pool_size: u32,
    pub database_timeout_ms: u64,
    pub migrate_on_start: bool,
    pub reconcile_interval: u64,
    pub prune_interval: u64,
    pub client_cache_ttl: i64,
    pub key_refresh_interval: i64,
    pub verified_token_cache: usize,
    pub password_hash_concurrency: usize,
    pub signin_free_failures_per_user: u32,
    pub signin_free_failures_per_address: u32,
    pub signin_max_delay: i64,
    pub session_lifetime: i64,
    pub session_idle_timeout: i64,
    pub brand_name: String,
    pub brand_color: String,
    pub password_history: usize,
    pub password_reset_ttl: i64,
    pub audit_retention: i64,
    pub mail_dir: Option<std::path::PathBuf>,
    pub smtp_url: Option<SecretUrl>,
    pub smtp_timeout_ms: u64,
    pub mail_from: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Every setting's default (the table above).
fn with_defaults() -> Result<ConfigBuilder<DefaultState>, config::ConfigError> {
    Config::builder()
        .set_default("listen", "127.0.0.1:8080")?
        .set_default("database_url", "ciam.db")?
        .set_default("redis_prefix", "ciam")?
        .set_default("redis_pool_size", 16)?
        .set_default("redis_timeout_ms", 1000)?
        .set_default("redis_write_v1", true)?
        .set_default("redis_replica", true)?
        .set_default("access_token_ttl", 300)?
        .set_default("access_token_alg", SigningAlg::EdDSA.as_str())?
        .set_default("id_token_alg", SigningAlg::RS256.as_str())?
        .set_default("refresh_token_ttl", 14 * 24 * 3600)?
        .set_default("refresh_reuse_grace", 0)?
        .set_default("refresh_race_window", 2)?
        .set_default("database_pool_size", 16)?
        .set_default("database_timeout_ms", 5000)?
        .set_default("migrate_on_start", true)?
        .set_default("reconcile_interval", 30)?
        .set_default("prune_interval", 300)?
        .set_default("client_cache_ttl", 5)?
        .set_default("key_refresh_interval", 30)?
        .set_default(
            "verified_token_cache",
            ciam_crypto::DEFAULT_VERIFIED_TOKENS as u64,
        )?
        .set_default("password_hash_concurrency", 0)?
        .set_default("signin_free_failures_per_user", 5)?
        .set_default("signin_free_failures_per_address", 20)?
        .set_default("signin_max_delay", 900)?
        .set_default("session_lifetime", 12 * 3600)?
        .set_default("session_idle_timeout", 3600)?
        .set_default("brand_name", "ciam")?
        .set_default("brand_color", "#2563eb")?
        .set_default("password_history", 5)?
        .set_default("password_reset_ttl", 900)?
        .set_default("audit_retention", 400 * 24 * 3600)?
        .set_default("smtp_timeout_ms", 10_000)?
        .set_default("mail_from", "ciam@localhost")
}

impl Settings {
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        let file_source = match file {
            Some(path) => File::from(path).format(FileFormat::Toml).required(true),
            None => File::new("ciam.toml", FileFormat::Toml).required(false),
        };
        let settings: Settings = with_defaults()?
            .add_source(file_source)
            .add_source(Environment::with_prefix("CIAM").try_parsing(true))
            .build()?
            .try_deserialize()?;
        settings.validate()
    }

    /// The defaults alone, without `ciam.toml` or the environment: a base for tests and
    /// examples to change a few fields of.
    pub fn defaults() -> Result<Settings, SettingsError> {
        let settings: Settings = with_defaults()?.build()?.try_deserialize()?;
        settings.validate()
    }

    fn validate(self) -> Result<Settings, SettingsError> {
        let positive = [
            ("CIAM_ACCESS_TOKEN_TTL", self.access_token_ttl),
            ("CIAM_REFRESH_TOKEN_TTL", self.refresh_token_ttl),
            (
                "CIAM_DATABASE_POOL_SIZE",
                i64::from(self.database_pool_size),
            ),
            ("CIAM_REDIS_POOL_SIZE", i64::from(self.redis_pool_size)),
            ("CIAM_SESSION_LIFETIME", self.session_lifetime),
            ("CIAM_SESSION_IDLE_TIMEOUT", self.session_idle_timeout),
            ("CIAM_PASSWORD_RESET_TTL", self.password_reset_ttl),
            ("CIAM_KEY_REFRESH_INTERVAL", self.key_refresh_interval),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| *value <= 0) {
            return Err(SettingsError::Invalid(format!("{name} must be positive")));
        }
        if self.audit_retention < 0 {
            return Err(SettingsError::Invalid(
                "CIAM_AUDIT_RETENTION must not be negative (0 keeps entries for ever)".into(),
            ));
        }
        if self.client_cache_ttl < 0 {
            return Err(SettingsError::Invalid(
                "CIAM_CLIENT_CACHE_TTL must not be negative".into(),
            ));
        }
        if self.refresh_reuse_grace < 0 {
            return Err(SettingsError::Invalid(
                "CIAM_REFRESH_REUSE_GRACE must not be negative".into(),
            ));
        }
        if self.signin_max_delay < 1 {
            return Err(SettingsError::Invalid(
                "CIAM_SIGNIN_MAX_DELAY must be at least 1".into(),
            ));
        }
        if self.refresh_race_window < 0 {
            return Err(SettingsError::Invalid(
                "CIAM_REFRESH_RACE_WINDOW must not be negative".into(),
            ));
        }
        if self.redis_prefix.is_empty() || self.redis_prefix.contains(char::is_whitespace) {
            return Err(SettingsError::Invalid(
                "CIAM_REDIS_PREFIX must be a non-empty word".into(),
            ));
        }
        self.branding()?;
        if self.mail_dir.is_some() && self.smtp_url.is_some() {
            return Err(SettingsError::Invalid(
                "set CIAM_MAIL_DIR or CIAM_SMTP_URL, not both".into(),
            ));
        }
        if self.metrics_listen.as_deref() == Some(self.listen.as_str()) {
            return Err(SettingsError::Invalid(
                "CIAM_METRICS_LISTEN must differ from CIAM_LISTEN (unset it to serve /metrics there)"
                    .into(),
            ));
        }
        if self.reconcile_interval == 0 {
            return Err(SettingsError::Invalid(
                "CIAM_RECONCILE_INTERVAL must be positive".into(),
            ));
        }
        Ok(self)
    }

    /// The sign-in throttle's policy.
    /// How the hosted pages look (`CIAM_BRAND_NAME`, `CIAM_BRAND_COLOR`).
    pub fn branding(&self) -> Result<ciam_http::Branding, SettingsError> {
        ciam_http::Branding::new(&self.brand_name, &self.brand_color)
            .map_err(|why| SettingsError::Invalid(format!("CIAM_BRAND_NAME/COLOR: {why}")))
    }

    pub fn sign_in_policy(&self) -> SignInPolicy {
        let policy = |free_failures| ThrottlePolicy {
            free_failures,
            base_delay: 1,
            max_delay: self.signin_max_delay,
        };
        SignInPolicy {
            per_username: policy(self.signin_free_failures_per_user),
            per_address: policy(self.signin_free_failures_per_address),
        }
    }

    /// The issuer without a trailing slash, so endpoint URLs join cleanly and `iss`
    /// matches discovery exactly (RFC 8414 §3.3).
    pub fn issuer(&self) -> String {
        let issuer = self
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        issuer.trim_end_matches('/').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_file(toml: &str) -> Result<Settings, SettingsError> {
        let dir = tempfile::tempdir().map_err(|e| SettingsError::Invalid(e.to_string()))?;
        let path = dir.path().join("ciam.toml");
        std::fs::write(&path, toml).map_err(|e| SettingsError::Invalid(e.to_string()))?;
        Settings::load(Some(&path))
    }

    #[test]
    fn signing_algorithms_default_to_eddsa_access_tokens_and_rs256_id_tokens() {
        let settings = Settings::defaults().expect("defaults");
        assert_eq!(settings.access_token_alg, SigningAlg::EdDSA);
        assert_eq!(settings.id_token_alg, SigningAlg::RS256);
        let rs256 =
            from_file("access_token_alg = \"RS256\"\nid_token_alg = \"EdDSA\"\n").expect("valid");
        assert_eq!(
            (rs256.access_token_alg, rs256.id_token_alg),
            (SigningAlg::RS256, SigningAlg::EdDSA)
        );
    }

    #[test]
    fn mail_goes_to_a_directory_or_smtp_never_both() {
        let defaults = Settings::defaults().expect("defaults");
        assert_eq!(
            (defaults.mail_dir, defaults.smtp_url.is_none()),
            (None, true),
            "neither by default: mail is only logged"
        );
        assert_eq!(defaults.mail_from, "ciam@localhost");
        assert_eq!(
            (defaults.password_history, defaults.password_reset_ttl),
            (5, 900)
        );
        let both = from_file("mail_dir = \"/tmp/mail\"\nsmtp_url = \"smtps://smtp.example.com\"\n");
        assert!(both.is_err());
        assert!(from_file("password_reset_ttl = 0\n").is_err());
        assert_eq!(defaults.audit_retention, 400 * 24 * 3600);
        assert!(from_file("audit_retention = -1\n").is_err());
        assert!(from_file("audit_retention = 0\n").is_ok());
    }

    #[test]
    fn metrics_are_on_the_main_listener_unless_another_address_is_given() {
        assert_eq!(Settings::defaults().expect("defaults").metrics_listen, None);
        let separate = from_file("metrics_listen = \"127.0.0.1:9090\"\n").expect("valid");
        assert_eq!(separate.metrics_listen.as_deref(), Some("127.0.0.1:9090"));
        let same = from_file("listen = \"127.0.0.1:8080\"\nmetrics_listen = \"127.0.0.1:8080\"\n");
        assert!(
            same.is_err(),
            "one address cannot both hide and serve /metrics"
        );
    }

    #[test]
    fn the_key_refresh_interval_defaults_to_30_seconds_and_must_be_positive() {
        assert_eq!(
            Settings::defaults().expect("defaults").key_refresh_interval,
            30
        );
        assert_eq!(
            from_file("key_refresh_interval = 2\n")
                .expect("valid")
                .key_refresh_interval,
            2
        );
        let error = from_file("key_refresh_interval = 0\n")
            .expect_err("refused")
            .to_string();
        assert!(error.contains("CIAM_KEY_REFRESH_INTERVAL"), "{error}");
    }

    #[test]
    fn the_verified_token_cache_defaults_to_the_codecs_and_may_be_off() {
        assert_eq!(
            Settings::defaults().expect("defaults").verified_token_cache,
            ciam_crypto::DEFAULT_VERIFIED_TOKENS
        );
        for (file, entries) in [
            ("verified_token_cache = 0\n", 0),
            ("verified_token_cache = 10\n", 10),
        ] {
            assert_eq!(
                from_file(file).expect("valid").verified_token_cache,
                entries
            );
        }
        assert!(from_file("verified_token_cache = -1\n").is_err());
    }

    #[test]
    fn an_unknown_signing_algorithm_is_refused_by_name() {
        for (key, value) in [
            ("access_token_alg", "HS256"),
            ("access_token_alg", "none"),
            ("id_token_alg", "rs256"),
        ] {
            let error = from_file(&format!("{key} = \"{value}\"\n"))
                .expect_err("refused")
                .to_string();
            // The ciam.toml key: the variable's name without `CIAM_`, in lower case.
            assert!(error.contains(key), "{error}");
            assert!(error.contains(value), "{error}");
            assert!(error.contains("EdDSA or RS256"), "{error}");
        }
    }
}
