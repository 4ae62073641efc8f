//! Introspection mode: ask ciam (RFC 7662) whether the token is active, for resource
//! servers that cannot reach Redis. The signature and claims are still checked locally
//! first, so only genuine, unexpired tokens for this audience cost a call.
//!
//! An `active: true` answer is reused for `cache_ttl` (by `jti`): a token revoked in that
//! window is accepted until the entry expires. `active: false` is final (revocation is
//! never undone) and answers `Revoked`; it is not cached because the token is refused
//! anyway and would only fill the cache. Any failure is `IssuerUnavailable`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ciam_contract::AccessTokenClaims;

use crate::config::IntrospectionConfig;
use crate::http::IssuerClient;
use crate::throttle::Throttle;
use crate::Rejection;

pub(crate) struct Introspector {
    issuer: Arc<IssuerClient>,
    client_id: String,
    client_secret: String,
    endpoint: Option<String>,
    ttl: Duration,
    capacity: usize,
    /// `jti` → when the `active: true` answer stops being reused.
    active: Mutex<HashMap<String, Instant>>,
    warnings: Throttle,
}

impl Introspector {
    pub fn new(config: &IntrospectionConfig, issuer: Arc<IssuerClient>) -> Self {
        Introspector {
            issuer,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            endpoint: config.endpoint.clone(),
            ttl: config.cache_ttl,
            capacity: config.cache_capacity.max(1),
            active: Mutex::new(HashMap::new()),
            warnings: Throttle::default(),
        }
    }

    /// `Some(Ok)` if a recent answer said active; `None` if ciam must be asked.
    pub fn cached(&self, claims: &AccessTokenClaims) -> Option<Result<(), Rejection>> {
        let cache = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .get(&claims.jti)
            .filter(|until| **until > Instant::now())
            .map(|_| Ok(()))
    }

    /// Asks ciam.
    pub fn check(&self, token: &str, claims: &AccessTokenClaims) -> Result<(), Rejection> {
        let endpoint = match &self.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => self
                .issuer
                .metadata()
                .ok()
                .and_then(|metadata| metadata.introspection_endpoint)
                .ok_or_else(|| {
                    if self.warnings.ready() {
                        tracing::warn!("no introspection endpoint: discovery failed or names none");
                    }
                    Rejection::IssuerUnavailable
                })?,
        };
        let answer = self
            .issuer
            .introspect(&endpoint, &self.client_id, &self.client_secret, token)
            .map_err(|e| {
                if self.warnings.ready() {
                    tracing::warn!(error = %e.0, "introspection failed");
                }
                Rejection::IssuerUnavailable
            })?;
        if !answer.active {
            return Err(Rejection::Revoked);
        }
        if answer.jti.as_deref().is_some_and(|jti| jti != claims.jti) {
            tracing::warn!("introspection answered for another token");
            return Err(Rejection::IssuerUnavailable);
        }
        self.remember(&claims.jti);
        Ok(())
    }

    fn remember(&self, jti: &str) {
        if self.ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut cache = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= self.capacity {
            cache.retain(|_, until| *until > now);
            if cache.len() >= self.capacity {
                cache.clear();
            }
        }
        cache.insert(jti.to_owned(), now + self.ttl);
    }
}
