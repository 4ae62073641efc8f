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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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

use crate::throttle::{SignInPolicy, SignInThrottle};
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
    /// Seconds after a rotation during which the rotated token presented again is taken
    /// for a request that lost the race to rotate it (concurrent refreshes with one token)
    /// and refused with `invalid_grant` without revoking the grant. Later, it is reuse
    /// and revokes the grant (RFC 9700 §4.14.2). Times are whole seconds, so 2 covers
    /// requests that arrive up to one to two seconds after the winner committed.
    pub refresh_race_window: i64,
    /// How often the signing key ring is re-read from the store, so that a key rotated on
    /// another node (or by `ciam keys rotate`) is picked up.
    pub key_refresh_interval: i64,
    /// Seconds a registered client is served from memory. A client deleted through another
    /// process keeps authenticating here for at most this long. 0 disables the cache.
    pub client_cache_ttl: i64,
    /// Back-off after failed sign-ins (the password grant).
    pub sign_in: SignInPolicy,
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
            refresh_race_window: 2,
            key_refresh_interval: 30,
            client_cache_ttl: 5,
            sign_in: SignInPolicy::default(),
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
    sign_in: SignInThrottle,
    /// Counts denylist writes that failed after their store commit. The denylist is behind
    /// the store while this is above `denylist_caught_up`.
    denylist_failures: AtomicU64,
    /// The `denylist_failures` count read before the store by the last rebuild that
    /// finished: every failure up to it is in the denylist now.
    denylist_caught_up: AtomicU64,
    /// The entries of failed denylist writes, each with its failure's number, so that the
    /// next rebuild writes them first, in one round trip, before it rewrites every live
    /// revocation (which takes seconds with hundreds of thousands). Bounded: past
    /// `MAX_PENDING` the full rebuild alone catches up.
    pending: Mutex<Vec<(u64, crate::revocation::Revocation)>>,
}

/// Failed denylist writes remembered for a fast catch-up.
const MAX_PENDING: usize = 10_000;

impl TokenService {
    pub fn new(ports: Ports, config: ServiceConfig) -> Self {
        let sign_in = SignInThrottle::new(config.sign_in);
        Self {
            ports,
            config,
            keys: KeyCache::default(),
            clients: ClientCache::default(),
            sign_in,
            denylist_failures: AtomicU64::new(0),
            denylist_caught_up: AtomicU64::new(0),
            pending: Mutex::new(Vec::new()),
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

    /// Writes every live revocation from the store into the denylist, then marks it
    /// complete. Run at start (the in-process denylist starts empty) and whenever the
    /// denylist may have lost entries.
    ///
    /// The completeness marker is set only once everything is written (resource servers
    /// trust it), and only if nothing was lost meanwhile; otherwise this fails and the
    /// next check runs it again.
    pub fn reconcile_denylist(&self) -> Result<usize, crate::error::OAuthError> {
        // Read before the store: a failure counted after this may belong to a revocation
        // the store read below misses, so it stays pending for the next rebuild.
        let failures_before = self.denylist_failures.load(Ordering::SeqCst);
        let now = self.now();
        // What failed here first: visible within one round trip of the denylist answering
        // again, instead of after the whole rebuild.
        let pending: Vec<_> = self.pending_denies().into_iter().map(|(_, r)| r).collect();
        if !pending.is_empty() {
            self.ports.denylist.deny(&pending, now)?;
        }
        let rebuild_id = self.random_string(ID_BYTES);
        self.ports.denylist.begin_rebuild(&rebuild_id)?;
        let live = self.ports.revocations.live_revocations(now)?;
        self.ports.denylist.deny(&live, now)?;
        if !self.ports.denylist.finish_rebuild(&rebuild_id)? {
            return Err(crate::error::OAuthError::Unavailable(
                "the denylist lost entries while it was rebuilt; rebuilding again".into(),
            ));
        }
        self.denylist_caught_up
            .fetch_max(failures_before, Ordering::SeqCst);
        if let Ok(mut pending) = self.pending.lock() {
            pending.retain(|(failure, _)| *failure > failures_before);
        }
        Ok(live.len())
    }

    fn pending_denies(&self) -> Vec<(u64, crate::revocation::Revocation)> {
        self.pending.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Whether a denylist write failed here since the last rebuild that succeeded began.
    fn denylist_behind(&self) -> bool {
        self.denylist_failures.load(Ordering::SeqCst)
            > self.denylist_caught_up.load(Ordering::SeqCst)
    }

    /// Rebuilds the denylist only if it may be missing entries: it reports a loss (a Redis
    /// restart or flush), or a write to it failed here and no rebuild has succeeded since
    /// (whatever the marker says: a Redis restarted from an old dump has the marker and
    /// lacks what was written while it was down). Cheap enough to run every second: one
    /// round trip when nothing was lost.
    pub fn reconcile_denylist_if_incomplete(
        &self,
    ) -> Result<Option<usize>, crate::error::OAuthError> {
        if !self.denylist_behind() && self.ports.denylist.is_complete()? {
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
            let failure = self.denylist_failures.fetch_add(1, Ordering::SeqCst) + 1;
            if let Ok(mut pending) = self.pending.lock() {
                if pending.len() + entries.len() <= MAX_PENDING {
                    pending.extend(entries.iter().map(|entry| (failure, entry.clone())));
                }
            }
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
