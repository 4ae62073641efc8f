//! [`Verifier`]: every check, in order, with one typed answer.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ciam_contract::AccessTokenClaims;
use jsonwebtoken::jwk::JwkSet;

use crate::config::VerifierConfig;
use crate::denylist::{Denylist, RevocationSet};
use crate::http::IssuerClient;
use crate::jwks::{Found, KeySet, KeySource, RemoteKeys};
use crate::token::{parse_header, verify_signature, ClaimRules};
use crate::{ConfigError, Rejection};

/// Verifies ciam access tokens. Cheap to clone (one `Arc`); share one per process: it owns
/// the key cache and, in synced mode, the subscription (stopped when the last clone drops).
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    rules: ClaimRules,
    algorithms: Vec<jsonwebtoken::Algorithm>,
    keys: KeySource,
    denylist: Denylist,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.rules.issuer)
            .field("audience", &self.inner.rules.audience)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `config.issuer`'s tokens, with keys from its JWKS (found through its
    /// discovery document). Tries to fetch the keys once before returning, without failing
    /// if the issuer is down: verification answers `IssuerUnavailable` until it is up. In
    /// synced mode the copy of the denylist loads in the background; see
    /// [`wait_ready`](Verifier::wait_ready).
    pub fn new(config: VerifierConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let issuer = Arc::new(IssuerClient::new(&config.issuer, config.http_timeout));
        let keys = KeySource::Remote(RemoteKeys::new(
            Arc::clone(&issuer),
            config.algorithms.clone(),
            config.jwks_refetch_floor,
            config.jwks_max_age,
        ));
        if let Err(rejection) = keys.prefetch() {
            tracing::warn!(issuer = %config.issuer, %rejection, "no keys from the issuer yet");
        }
        Self::build(config, keys, &issuer)
    }

    /// A verifier with fixed keys, which never calls the issuer for them: for tests,
    /// benchmarks, and deployments that distribute keys themselves. Introspection mode
    /// still calls the issuer (give `IntrospectionConfig::endpoint` to skip discovery).
    pub fn with_jwks(config: VerifierConfig, jwks: &JwkSet) -> Result<Self, ConfigError> {
        config.validate()?;
        let keys = KeySet::from_jwks(&jwks.keys, &config.algorithms);
        if keys.is_empty() {
            return Err(ConfigError("no key of the JWKS can verify tokens".into()));
        }
        let issuer = Arc::new(IssuerClient::new(&config.issuer, config.http_timeout));
        Self::build(config, KeySource::Static(keys), &issuer)
    }

    fn build(
        config: VerifierConfig,
        keys: KeySource,
        issuer: &Arc<IssuerClient>,
    ) -> Result<Self, ConfigError> {
        let denylist = Denylist::start(&config.denylist, issuer)?;
        Ok(Verifier {
            inner: Arc::new(Inner {
                rules: ClaimRules {
                    issuer: config.issuer,
                    audience: config.audience,
                    leeway: i64::try_from(config.leeway.as_secs()).unwrap_or(i64::MAX),
                },
                algorithms: config.algorithms,
                keys,
                denylist,
            }),
        })
    }

    /// Verifies `token` (the bearer string, without `Bearer `). May block on I/O: fetching
    /// keys for an unknown `kid`, and in Redis and introspection modes on every check (run
    /// it off async executors, or use [`verify_nonblocking`](Verifier::verify_nonblocking)
    /// first).
    pub fn verify(&self, token: &str) -> Result<AccessTokenClaims, Rejection> {
        match self.run(token, true) {
            Found::Done(answer) => answer,
            // `run` with I/O allowed always answers.
            Found::NeedsIo => Err(Rejection::IssuerUnavailable),
        }
    }

    /// Verifies `token` if that needs no I/O: `None` means "call [`verify`](Verifier::verify)
    /// where blocking is fine". In synced mode with known keys this always answers.
    pub fn verify_nonblocking(&self, token: &str) -> Option<Result<AccessTokenClaims, Rejection>> {
        match self.run(token, false) {
            Found::Done(answer) => Some(answer),
            Found::NeedsIo => None,
        }
    }

    fn run(&self, token: &str, may_block: bool) -> Found<Result<AccessTokenClaims, Rejection>> {
        let inner = &*self.inner;
        let header = match parse_header(token, &inner.algorithms) {
            Ok(header) => header,
            Err(rejection) => return Found::Done(Err(rejection)),
        };
        let key = match inner.keys.key(header.kid.as_deref(), header.alg, may_block) {
            Found::Done(Ok(key)) => key,
            Found::Done(Err(rejection)) => return Found::Done(Err(rejection)),
            Found::NeedsIo => return Found::NeedsIo,
        };
        let (claims, nbf) = match verify_signature(token, &key.key, header.alg) {
            Ok(decoded) => decoded,
            Err(rejection) => return Found::Done(Err(rejection)),
        };
        let now = unix_now();
        if let Err(rejection) = inner.rules.check(&claims, nbf, now) {
            return Found::Done(Err(rejection));
        }
        match inner.denylist.check(token, &claims, now, may_block) {
            Found::Done(Ok(())) => Found::Done(Ok(claims)),
            Found::Done(Err(rejection)) => Found::Done(Err(rejection)),
            Found::NeedsIo => Found::NeedsIo,
        }
    }

    /// Blocks until keys are fetched and the denylist can answer (synced mode: subscribed
    /// and loaded), or `timeout` passes; the error says what is still missing.
    pub fn wait_ready(&self, timeout: Duration) -> Result<(), Rejection> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.inner.keys.prefetch() {
                Ok(()) => break,
                Err(rejection) if Instant::now() >= deadline => return Err(rejection),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        self.inner.denylist.wait_ready(remaining)
    }

    /// The in-memory revocations (synced and memory modes), e.g. for metrics.
    pub fn revocations(&self) -> Option<&RevocationSet> {
        self.inner.denylist.set()
    }

    pub fn issuer(&self) -> &str {
        &self.inner.rules.issuer
    }

    pub fn audience(&self) -> &str {
        &self.inner.rules.audience
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
