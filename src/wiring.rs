//! Builds ciam's use cases from configuration: the one place that knows every adapter.

use std::sync::Arc;
use std::time::Duration;

use ciam_crypto::{Argon2idHasher, JwtCodec, OsRandom, SystemClock};
use ciam_denylist::{InProcessDenylist, RedisDenylist, RedisSettings, ReplicatedDenylist};
use ciam_domain::ports::{Denylist, Mailer};
use ciam_domain::{PasswordPolicy, Ports, ServiceConfig, Services};
use ciam_mail::{DirectoryMailer, LogMailer, SmtpConfig, SmtpMailer};
use ciam_notify::{HttpLogoutNotifier, NotifierSettings};
use ciam_store::{DatabaseUrl, DieselStore, PoolSettings, ServeLock};

use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error(transparent)]
    Store(#[from] ciam_store::ConnectError),
    #[error("Redis denylist")]
    Redis(#[from] ciam_domain::DenylistError),
    #[error("mail")]
    Mail(#[from] ciam_mail::ConfigError),
}

/// The mailer the settings name: a directory (development), SMTP, or, with neither, one
/// that only logs whom mail was for.
fn mailer(settings: &Settings) -> Result<Arc<dyn Mailer>, WiringError> {
    let from = settings.mail_from.as_str();
    Ok(match (&settings.mail_dir, &settings.smtp_url) {
        (Some(dir), _) => Arc::new(DirectoryMailer::new(dir, from)?),
        (None, Some(url)) => {
            let mut config = SmtpConfig::from_url(url.expose())?;
            config.timeout = Duration::from_millis(settings.smtp_timeout_ms);
            Arc::new(SmtpMailer::new(&config, from)?)
        }
        (None, None) => Arc::new(LogMailer),
    })
}

/// What `ciam serve` holds while it runs: on the embedded SQLite default, the database's
/// lock, refused while another process serves the same file (two processes would each have
/// their own in-process denylist, missing each other's revocations); on Postgres, nothing.
/// Commands other than `serve` do not take it, so they work beside a running server.
pub fn claim_for_serving(settings: &Settings) -> Result<Option<ServeLock>, WiringError> {
    Ok(DatabaseUrl::parse(settings.database_url.expose())?.lock_for_serving()?)
}

/// The use cases on the adapters `settings` name.
pub fn services(settings: &Settings) -> Result<Services, WiringError> {
    services_with(settings, |_, _| {})
}

/// The same, after `customize` has changed what it needs: a test's fake password hasher,
/// a setting that only tests change.
pub fn services_with(
    settings: &Settings,
    customize: impl FnOnce(&mut Ports, &mut ServiceConfig),
) -> Result<Services, WiringError> {
    build(settings, customize).map(|(services, _)| services)
}

/// The use cases, and the store they are on, for `ciam serve` to sample its pool's state
/// for the metrics.
pub fn services_and_store(settings: &Settings) -> Result<(Services, DieselStore), WiringError> {
    build(settings, |_, _| {})
}

fn build(
    settings: &Settings,
    customize: impl FnOnce(&mut Ports, &mut ServiceConfig),
) -> Result<(Services, DieselStore), WiringError> {
    let url = DatabaseUrl::parse(settings.database_url.expose())?;
    let pool = PoolSettings {
        max_size: settings.database_pool_size,
        connection_timeout: Duration::from_millis(settings.database_timeout_ms),
    };
    let store = if settings.migrate_on_start {
        DieselStore::connect(&url, &pool)?
    } else {
        DieselStore::open(&url, &pool)?
    };
    let denylist: Arc<dyn Denylist> = match &settings.redis_url {
        Some(url) => {
            let redis = RedisSettings {
                url: url.expose().to_owned(),
                key_prefix: settings.redis_prefix.clone(),
                pool_size: settings.redis_pool_size,
                timeout: Duration::from_millis(settings.redis_timeout_ms),
                write_v1: settings.redis_write_v1,
            };
            // The replica's exactness rests on one Redis ordering the events and the sync
            // round (docs/redis-denylist.md); a cluster's shards do not share that order.
            if settings.redis_replica && !ciam_denylist::is_cluster_url(url.expose()) {
                Arc::new(ReplicatedDenylist::start(redis)?)
            } else {
                Arc::new(RedisDenylist::connect(redis)?)
            }
        }
        None => Arc::new(InProcessDenylist::new()),
    };
    let mut ports = Ports {
        store: Arc::new(store.clone()),
        denylist,
        codec: Arc::new(JwtCodec::with_verified_tokens(
            settings.verified_token_cache,
        )),
        passwords: Arc::new(match settings.password_hash_concurrency {
            0 => Argon2idHasher::default(),
            concurrency => Argon2idHasher::new(concurrency),
        }),
        clock: Arc::new(SystemClock),
        random: Arc::new(OsRandom),
        logout_notifier: Arc::new(HttpLogoutNotifier::new(NotifierSettings::default())),
        mailer: mailer(settings)?,
    };
    let issuer = settings.issuer();
    let mut config = ServiceConfig {
        audience: settings.audience.clone().unwrap_or_else(|| issuer.clone()),
        access_token_ttl: settings.access_token_ttl,
        access_token_alg: settings.access_token_alg,
        id_token_alg: settings.id_token_alg,
        refresh_token_ttl: settings.refresh_token_ttl,
        refresh_reuse_grace: settings.refresh_reuse_grace,
        refresh_race_window: settings.refresh_race_window,
        client_cache_ttl: settings.client_cache_ttl,
        key_refresh_interval: settings.key_refresh_interval,
        sign_in: settings.sign_in_policy(),
        session_lifetime: settings.session_lifetime,
        session_idle_timeout: settings.session_idle_timeout,
        password_policy: PasswordPolicy {
            history: settings.password_history,
        },
        password_reset_ttl: settings.password_reset_ttl,
        audit_retention: settings.audit_retention,
        // A revocation waits at most as long as a request waits for a connection, plus the
        // commit itself.
        durable_wait: Duration::from_millis(settings.database_timeout_ms).saturating_mul(2),
        ..ServiceConfig::new(issuer)
    };
    customize(&mut ports, &mut config);
    Ok((Services::new(ports, config), store))
}
