//! The shared kernel every use case stands on: the ports, the configuration, and the clock
//! and randomness helpers. Use-case services each hold an `Arc<Core>`.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::access_token::alg::SigningAlg;
use crate::accounts::password_policy::PasswordPolicy;
use crate::accounts::throttle::{SignInPolicy, ThrottlePolicy};
use crate::audit::{AuditAction, AuditEvent, Initiator};
use crate::error::Fault;
use crate::ports::{
    AccessTokenCodec, Clock, Denylist, LogoutNotifier, Mailer, PasswordHasher, Random, Store,
};
use crate::time::UnixTime;

/// Everything the domain reaches through a port. The composition root builds one from
/// adapters; unit tests build one from fakes. The store is one value behind every store
/// port (see `ports::Store`), so a new store port needs no new field here.
#[derive(Clone)]
pub struct Ports {
    pub store: Arc<dyn Store>,
    pub denylist: Arc<dyn Denylist>,
    pub codec: Arc<dyn AccessTokenCodec>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    /// Tells clients of logouts (Back-Channel Logout).
    pub logout_notifier: Arc<dyn LogoutNotifier>,
    /// Sends password reset codes.
    pub mailer: Arc<dyn Mailer>,
}

#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// The `iss` of every token and the discovery `issuer` (RFC 8414 §2).
    pub issuer: String,
    /// The `aud` of access tokens (RFC 9068 §2.2).
    pub audience: String,
    pub access_token_ttl: i64,
    /// What access tokens are signed with: EdDSA (fast) unless a peer only verifies RS256.
    pub access_token_alg: SigningAlg,
    /// What ID tokens are signed with: RS256, which every relying party can verify
    /// (OpenID Connect Core 1.0 §15.1: OPs MUST support it).
    pub id_token_alg: SigningAlg,
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
    /// Seconds a browser session lasts at most, however active.
    pub session_lifetime: i64,
    /// Seconds without activity after which a session no longer signs its browser in.
    pub session_idle_timeout: i64,
    /// Seconds an authorization code may be exchanged (at most `MAX_CODE_TTL`).
    pub code_ttl: i64,
    /// What a new password must be (a change or a reset), its history length included.
    pub password_policy: PasswordPolicy,
    /// Seconds a password reset code may be redeemed.
    pub password_reset_ttl: i64,
    /// How often a reset may be asked for one username and from one address: each request
    /// counts as a failure of this throttle.
    pub password_reset_throttle: SignInPolicy,
    /// Seconds audit entries are kept; 0 keeps them for ever.
    pub audit_retention: i64,
    /// How long a revocation waits to be durable and visible before it is answered 503.
    pub durable_wait: std::time::Duration,
}

impl ServiceConfig {
    pub fn new(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            audience: issuer.clone(),
            issuer,
            access_token_ttl: 300,
            access_token_alg: SigningAlg::EdDSA,
            id_token_alg: SigningAlg::RS256,
            refresh_token_ttl: 14 * 24 * 3600,
            refresh_reuse_grace: 0,
            refresh_race_window: 2,
            key_refresh_interval: 30,
            client_cache_ttl: 5,
            sign_in: SignInPolicy::default(),
            prune_margin: 60,
            session_lifetime: 12 * 3600,
            session_idle_timeout: 3600,
            code_ttl: 60,
            password_policy: PasswordPolicy::default(),
            password_reset_ttl: 900,
            password_reset_throttle: default_reset_throttle(),
            audit_retention: 400 * 24 * 3600,
            durable_wait: std::time::Duration::from_secs(10),
        }
    }

    /// The algorithms something is signed with, each once: each needs an active key.
    pub fn signing_algs(&self) -> Vec<SigningAlg> {
        let mut algs = vec![self.access_token_alg, self.id_token_alg];
        algs.dedup();
        algs
    }
}

/// Three reset requests per username and ten per address (the last of them starts the
/// wait), then one more after 60 s, doubling to 1 h: a user who lost one mail may ask again
/// at once, a mail bomb may not.
fn default_reset_throttle() -> SignInPolicy {
    let policy = |free_failures| ThrottlePolicy {
        free_failures,
        base_delay: 60,
        max_delay: 3600,
    };
    SignInPolicy {
        per_username: policy(2),
        per_address: policy(9),
    }
}

/// Random bytes for tokens and ids: 32 bytes (256 bits) for bearer secrets
/// (RFC 6749 §10.10 requires them to be infeasible to guess), 16 for identifiers.
pub(crate) const SECRET_BYTES: usize = 32;
pub(crate) const ID_BYTES: usize = 16;

pub(crate) struct Core {
    pub(crate) ports: Ports,
    pub(crate) config: ServiceConfig,
}

impl Core {
    pub(crate) fn now(&self) -> UnixTime {
        self.ports.clock.now()
    }

    /// `bytes` random bytes, base64url without padding: tokens and most ids.
    pub(crate) fn random_string(&self, bytes: usize) -> String {
        URL_SAFE_NO_PAD.encode(self.random_bytes(bytes))
    }

    /// `bytes` random bytes in lower-case hex: ids people type (client and user ids).
    pub(crate) fn random_hex(&self, bytes: usize) -> String {
        self.random_bytes(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// An audit entry of `action` by `by`, dated now.
    pub(crate) fn audit(&self, by: &Initiator, action: AuditAction) -> AuditEvent {
        by.event(self.now(), action)
    }

    /// Appends the entry of a refusal, which changes nothing else. A refusal that cannot be
    /// recorded is answered as unavailable, like any change that cannot be made durable.
    pub(crate) fn record_refusal(&self, event: AuditEvent) -> Result<(), Fault> {
        self.ports.store.append_audit(&event)?;
        Ok(())
    }

    fn random_bytes(&self, bytes: usize) -> Vec<u8> {
        let mut buf = vec![0u8; bytes];
        self.ports.random.fill(&mut buf);
        buf
    }
}
