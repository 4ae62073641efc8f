//! What a [`Verifier`](crate::Verifier) is configured with. Every field is public; `new`
//! fills in the documented defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ciam_contract::ContractVersion;
use jsonwebtoken::Algorithm;

use crate::denylist::RevocationSet;

/// How tokens are checked.
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// The issuer, exactly as in the tokens' `iss` and the discovery document's `issuer`
    /// (e.g. `http://127.0.0.1:8080`). Discovery is fetched from
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// The `aud` this resource server accepts (ciam's `CIAM_AUDIENCE`, by default its issuer).
    pub audience: String,
    /// How revocation is checked.
    pub denylist: DenylistConfig,
    /// Clock skew tolerated on `exp` and `nbf`. Default 5 s.
    pub leeway: Duration,
    /// The signature algorithms accepted, each only with a key whose JWK allows it.
    /// Asymmetric only: `HS*` is refused by [`Verifier::new`](crate::Verifier::new).
    /// Default `EdDSA` (what ciam signs with), `ES256`, `RS256`.
    pub algorithms: Vec<Algorithm>,
    /// The least time between two JWKS fetches caused by unknown `kid`s, so that tokens
    /// with made-up `kid`s cannot make this server hammer the issuer. Default 10 s.
    pub jwks_refetch_floor: Duration,
    /// Known keys are refetched after this long, so that keys the issuer withdrew stop
    /// verifying. Default 300 s (ciam serves the JWKS with `max-age=60`).
    pub jwks_max_age: Duration,
    /// The bound on each HTTP call to the issuer (discovery, JWKS, introspection),
    /// connecting included. Default 2 s.
    pub http_timeout: Duration,
}

impl VerifierConfig {
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        denylist: DenylistConfig,
    ) -> Self {
        VerifierConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            denylist,
            leeway: Duration::from_secs(5),
            algorithms: vec![Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256],
            jwks_refetch_floor: Duration::from_secs(10),
            jwks_max_age: Duration::from_secs(300),
            http_timeout: Duration::from_secs(2),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.issuer.is_empty() {
            return Err(ConfigError("issuer must not be empty".into()));
        }
        if self.audience.is_empty() {
            return Err(ConfigError("audience must not be empty".into()));
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError("algorithms must not be empty".into()));
        }
        if let Some(alg) = self.algorithms.iter().find(|alg| is_symmetric(**alg)) {
            return Err(ConfigError(format!(
                "{alg:?} is symmetric: a resource server must never accept HMAC tokens"
            )));
        }
        if self.http_timeout.is_zero() {
            return Err(ConfigError("http_timeout must not be zero".into()));
        }
        self.denylist.validate()
    }
}

pub(crate) fn is_symmetric(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// How revocation is checked (docs/resource-servers.md compares them).
#[derive(Clone, Debug)]
pub enum DenylistConfig {
    /// One round trip to ciam's Redis per check (`MGET` in contract v2, `EXISTS` in v1).
    Redis(RedisConfig),
    /// An in-memory copy of ciam's Redis denylist, kept current by its events: no I/O per
    /// check.
    Synced(SyncedConfig),
    /// RFC 7662 introspection at ciam, for resource servers that cannot reach Redis.
    Introspection(IntrospectionConfig),
    /// A set the application keeps current itself (or a test or benchmark fills): checked
    /// as is, never stale, never unavailable.
    Memory(Arc<RevocationSet>),
}

impl DenylistConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        match self {
            DenylistConfig::Redis(redis) => {
                non_empty("redis prefix", &redis.prefix)?;
                non_zero("redis timeout", redis.timeout)?;
                if redis.pool_size == 0 {
                    return Err(ConfigError("redis pool_size must be at least 1".into()));
                }
                check_redis_url(&redis.url)
            }
            DenylistConfig::Synced(synced) => {
                non_empty("redis prefix", &synced.prefix)?;
                non_zero("redis timeout", synced.timeout)?;
                non_zero("staleness", synced.staleness)?;
                non_zero("resync_interval", synced.resync_interval)?;
                non_zero("sweep_interval", synced.sweep_interval)?;
                check_redis_url(&synced.url)
            }
            DenylistConfig::Introspection(introspection) => {
                non_empty("introspection client_id", &introspection.client_id)?;
                non_empty("introspection client_secret", &introspection.client_secret)
            }
            DenylistConfig::Memory(_) => Ok(()),
        }
    }
}

fn non_empty(what: &str, value: &str) -> Result<(), ConfigError> {
    if value.is_empty() {
        return Err(ConfigError(format!("{what} must not be empty")));
    }
    Ok(())
}

fn non_zero(what: &str, value: Duration) -> Result<(), ConfigError> {
    if value.is_zero() {
        return Err(ConfigError(format!("{what} must not be zero")));
    }
    Ok(())
}

fn check_redis_url(url: &str) -> Result<(), ConfigError> {
    crate::denylist::check_redis_url(url)
        .map_err(|e| ConfigError(format!("bad redis url {}: {e}", redact(url))))
}

/// One Redis round trip per check.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host[:port][/db]`, or
    /// `redis+cluster://[user:password@]host:port,host:port,…` for a Redis Cluster: ciam's
    /// `CIAM_REDIS_URL`.
    pub url: String,
    /// ciam's `CIAM_REDIS_PREFIX`. Default `ciam`.
    pub prefix: String,
    /// The bound on one check: waiting for a connection, connecting, sending, reading.
    /// Past it the check is [`DenylistUnavailable`](crate::Rejection::DenylistUnavailable).
    /// Default 500 ms.
    pub timeout: Duration,
    /// The most connections open at once. Default 8.
    pub pool_size: usize,
    /// Also check `{prefix}:{version}:complete` (in the same round trip) and answer
    /// `DenylistUnavailable` while it is missing: after a Redis flush or restart, until ciam
    /// has rebuilt the denylist, a revoked token could pass. Default true.
    pub require_complete: bool,
    /// Which version of the Redis contract to read (docs/redis-denylist.md). Default
    /// [`ContractVersion::V2`]: `MGET` of the `jti`, `gid`, subject and client keys, so that
    /// cut-offs (every token of a user or a client issued before a time) are refused too.
    /// `V1` reads only the `jti` and `gid` keys (`EXISTS`), for a ciam that does not write
    /// v2 yet; it does not see cut-offs.
    pub contract: ContractVersion,
}

impl RedisConfig {
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            prefix: "ciam".into(),
            timeout: Duration::from_millis(500),
            pool_size: 8,
            require_complete: true,
            contract: ContractVersion::V2,
        }
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("pool_size", &self.pool_size)
            .field("require_complete", &self.require_complete)
            .field("contract", &self.contract)
            .finish()
    }
}

/// An in-memory copy of the Redis denylist.
#[derive(Clone)]
pub struct SyncedConfig {
    /// ciam's `CIAM_REDIS_URL`.
    pub url: String,
    /// ciam's `CIAM_REDIS_PREFIX`. Default `ciam`.
    pub prefix: String,
    /// The bound on each Redis call (connecting, each `SCAN`/`MGET` batch, the heartbeat
    /// `PING`). Default 1 s.
    pub timeout: Duration,
    /// How long checks keep answering from memory after the subscription was last known to
    /// be live. Past it they fail closed with
    /// [`DenylistStale`](crate::Rejection::DenylistStale) until the subscription is back and
    /// the copy reloaded. A revocation made meanwhile is missed for at most this long.
    /// The subscription is probed (`PING`) every quarter of it, at most every second.
    /// Default 5 s.
    pub staleness: Duration,
    /// A full reload (`SCAN` + `MGET`) this often, whatever the events said. Default 300 s.
    pub resync_interval: Duration,
    /// Entries past their `until` are removed this often (checks ignore them anyway).
    /// Default 60 s.
    pub sweep_interval: Duration,
    /// Which version of the Redis contract to copy: its keys, channel and completeness
    /// marker (docs/redis-denylist.md). Default [`ContractVersion::V2`], with subject and
    /// client cut-offs. `V1`, for a ciam that does not write v2 yet, sees no cut-offs.
    pub contract: ContractVersion,
}

impl SyncedConfig {
    pub fn new(url: impl Into<String>) -> Self {
        SyncedConfig {
            url: url.into(),
            prefix: "ciam".into(),
            timeout: Duration::from_secs(1),
            staleness: Duration::from_secs(5),
            resync_interval: Duration::from_secs(300),
            sweep_interval: Duration::from_secs(60),
            contract: ContractVersion::V2,
        }
    }
}

impl fmt::Debug for SyncedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncedConfig")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("staleness", &self.staleness)
            .field("resync_interval", &self.resync_interval)
            .field("sweep_interval", &self.sweep_interval)
            .field("contract", &self.contract)
            .finish()
    }
}

/// RFC 7662 introspection at ciam, authenticated as a confidential client
/// (`client_secret_basic`).
#[derive(Clone)]
pub struct IntrospectionConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The introspection endpoint. Default: the discovery document's
    /// `introspection_endpoint`.
    pub endpoint: Option<String>,
    /// How long an `active: true` answer is reused for the same token (by `jti`). A token
    /// revoked meanwhile is still accepted for up to this long. Zero: never cached.
    /// Inactive answers are never cached (they are final anyway). Default 5 s.
    pub cache_ttl: Duration,
    /// The most cached answers kept. Default 100,000.
    pub cache_capacity: usize,
}

impl IntrospectionConfig {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        IntrospectionConfig {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            endpoint: None,
            cache_ttl: Duration::from_secs(5),
            cache_capacity: 100_000,
        }
    }
}

impl fmt::Debug for IntrospectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("endpoint", &self.endpoint)
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_capacity", &self.cache_capacity)
            .finish()
    }
}

/// A configuration that cannot work; says which field and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ciam-resource configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// A URL with its password (if any) replaced, for logs and `Debug`.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(denylist: DenylistConfig) -> VerifierConfig {
        VerifierConfig::new("http://issuer", "http://issuer", denylist)
    }

    #[test]
    fn hmac_is_never_accepted() {
        let mut config = config(DenylistConfig::Memory(Arc::default()));
        config.algorithms.push(Algorithm::HS256);
        assert!(config.validate().is_err());
    }

    #[test]
    fn bad_denylist_settings_are_refused() {
        assert!(
            config(DenylistConfig::Redis(RedisConfig::new("http://nope")))
                .validate()
                .is_err()
        );
        let mut synced = SyncedConfig::new("redis://127.0.0.1:1");
        synced.staleness = Duration::ZERO;
        assert!(config(DenylistConfig::Synced(synced)).validate().is_err());
        assert!(
            config(DenylistConfig::Introspection(IntrospectionConfig::new(
                "id", ""
            )))
            .validate()
            .is_err()
        );
        assert!(config(DenylistConfig::Redis(RedisConfig::new(
            "redis://127.0.0.1:1"
        )))
        .validate()
        .is_ok());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let shown = format!(
            "{:?} {:?}",
            RedisConfig::new("redis://rs:hunter2@redis:6379"),
            IntrospectionConfig::new("id", "hunter2")
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redis://***@redis:6379"), "{shown}");
    }
}
