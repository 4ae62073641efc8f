//! The token service: every OAuth operation, written against the ports only.

mod admin;
mod authenticate;
mod client_cache;
mod introspect;
mod issue;
mod key_cache;
mod prune;
mod revoke;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::ports::{
    AccessTokenCodec, ClientStore, Clock, Denylist, GrantStore, KeyStore, PasswordHasher, Random,
    RevocationStore, UserStore,
};

pub use admin::{AdminError, NewClient};
pub use authenticate::ClientCredentials;
pub use introspect::Introspection;
pub use issue::{GrantRequest, IssuedTokens};
pub use revoke::TokenTypeHint;

use client_cache::ClientCache;
use key_cache::KeyCache;

/// Everything the service reaches through a port. The binary builds one from adapters;
/// tests build one from fakes.
#[derive(Clone)]
pub struct Ports {
    pub clients: Arc<dyn ClientStore>,
    pub users: Arc<dyn UserStore>,
    pub grants: Arc<dyn GrantStore>,
    pub revocations: Arc<dyn RevocationStore>,
    pub keys: Arc<dyn KeyStore>,
    pub denylist: Arc<dyn Denylist>,
    pub codec: Arc<dyn AccessTokenCodec>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
}

#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// The `iss` of every token and the discovery `issuer` (RFC 8414 §2).
    pub issuer: String,
    /// The `aud` of access tokens (RFC 9068 §2.2).
    pub audience: String,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    /// Seconds during which a just-rotated refresh token may be presented again without
    /// counting as reuse (a client retrying after a lost response). 0 disables it.
    pub refresh_reuse_grace: i64,
    /// How often the signing key ring is re-read from the store, so that a key rotated on
    /// another node (or by `ciam keys rotate`) is picked up.
    pub key_refresh_interval: i64,
    /// Seconds a registered client is served from memory. A client deleted through another
    /// process keeps authenticating here for at most this long. 0 disables the cache.
    pub client_cache_ttl: i64,
    /// Seconds a row is kept past its expiry before `prune_expired` deletes it: clock skew
    /// between nodes, so that no node still treats a deleted token as live.
    pub prune_margin: i64,
}

impl ServiceConfig {
    pub fn new(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            audience: issuer.clone(),
            issuer,
            access_token_ttl: 300,
            refresh_token_ttl: 14 * 24 * 3600,
            refresh_reuse_grace: 0,
            key_refresh_interval: 30,
            client_cache_ttl: 5,
            prune_margin: 60,
        }
    }
}

/// Random bytes for tokens and ids: 32 bytes (256 bits) for bearer secrets
/// (RFC 6749 §10.10 requires them to be infeasible to guess), 16 for identifiers.
const SECRET_BYTES: usize = 32;
const ID_BYTES: usize = 16;

pub struct TokenService {
    ports: Ports,
    config: ServiceConfig,
    keys: KeyCache,
    clients: ClientCache,
    /// Set when a denylist write failed after its store commit: the denylist is behind the
    /// store until the next rebuild.
    denylist_behind: AtomicBool,
}

impl TokenService {
    pub fn new(ports: Ports, config: ServiceConfig) -> Self {
        Self {
            ports,
            config,
            keys: KeyCache::default(),
            clients: ClientCache::default(),
            denylist_behind: AtomicBool::new(false),
        }
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    fn now(&self) -> crate::time::UnixTime {
        self.ports.clock.now()
    }

    fn random_string(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.ports.random.fill(&mut buf);
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// Whether the store and the denylist answer: what `/readyz` reports.
    pub fn readiness(&self) -> Readiness {
        Readiness {
            store: self.ports.revocations.ping().map_err(|e| e.to_string()),
            denylist: self.ports.denylist.ping().map_err(|e| e.to_string()),
        }
    }

    /// Writes every live revocation from the store into the denylist. Run at start (the
    /// in-process denylist starts empty) and whenever the denylist may have lost entries.
    pub fn reconcile_denylist(&self) -> Result<usize, crate::error::OAuthError> {
        // Cleared before the store is read: a write that fails during the rebuild sets it
        // again and is picked up by the next one.
        self.denylist_behind.store(false, Ordering::SeqCst);
        self.ports.denylist.mark_complete()?;
        let now = self.now();
        let live = self.ports.revocations.live_revocations(now)?;
        self.ports.denylist.deny(&live, now)?;
        Ok(live.len())
    }

    /// Rebuilds the denylist only if it may be missing entries: it reports a loss (a Redis
    /// restart or flush), or a write to it failed here since the last rebuild. Cheap enough
    /// to run every second: one round trip when nothing was lost.
    pub fn reconcile_denylist_if_incomplete(
        &self,
    ) -> Result<Option<usize>, crate::error::OAuthError> {
        if !self.denylist_behind.load(Ordering::SeqCst) && self.ports.denylist.is_complete()? {
            return Ok(None);
        }
        self.reconcile_denylist().map(Some)
    }

    /// Writes committed revocations to the denylist, remembering a failure so that the
    /// reconciler catches up. Callers answer 503 on `Err` (rule 9).
    fn deny(
        &self,
        entries: &[crate::revocation::Revocation],
        now: crate::time::UnixTime,
    ) -> Result<(), crate::error::DenylistError> {
        self.ports.denylist.deny(entries, now).inspect_err(|_| {
            self.denylist_behind.store(true, Ordering::SeqCst);
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub store: Result<(), String>,
    pub denylist: Result<(), String>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.store.is_ok() && self.denylist.is_ok()
    }
}
