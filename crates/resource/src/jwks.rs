//! The issuer's public keys: which `alg` each may verify, and when to fetch them again.
//!
//! A key verifies only the algorithms its JWK allows: its `alg` if it has one, else those of
//! its key type and curve; intersected with the configured ones. Symmetric (`oct`) keys and
//! keys for encryption are ignored. So a token whose header says `HS256`, or `RS256` for an
//! Ed25519 key, is refused before any signature is computed (RFC 8725 §3.1, §2.1).
//!
//! Known keys are served from memory with no I/O. An unknown `kid` causes one refetch, at
//! most once per `refetch_floor` however many such tokens arrive; known keys are refetched
//! after `max_age`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::http::IssuerClient;
use crate::Rejection;

/// One verification key and the algorithms it may verify.
pub(crate) struct Key {
    pub key: DecodingKey,
    pub algorithms: Vec<Algorithm>,
}

/// Keys by `kid`.
#[derive(Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, Arc<Key>>,
}

impl KeySet {
    /// The usable keys of a JWKS; the others are left out (and logged).
    pub fn from_jwks<'a>(jwks: impl IntoIterator<Item = &'a Jwk>, allowed: &[Algorithm]) -> Self {
        let mut keys = HashMap::new();
        for jwk in jwks {
            let Some(kid) = jwk.common.key_id.clone() else {
                tracing::debug!("JWK without kid ignored");
                continue;
            };
            match usable(jwk, allowed) {
                Some(key) => {
                    keys.insert(kid, Arc::new(key));
                }
                None => tracing::debug!(kid, "JWK not usable for verification, ignored"),
            }
        }
        KeySet { keys }
    }

    fn from_json(values: &[serde_json::Value], allowed: &[Algorithm]) -> Self {
        let jwks: Vec<Jwk> = values
            .iter()
            .filter_map(|value| serde_json::from_value(value.clone()).ok())
            .collect();
        KeySet::from_jwks(&jwks, allowed)
    }

    fn get(&self, kid: &str) -> Option<Arc<Key>> {
        self.keys.get(kid).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The key and the algorithms it may verify, or `None` if it may verify nothing here.
fn usable(jwk: &Jwk, allowed: &[Algorithm]) -> Option<Key> {
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    if let Some(ops) = &jwk.common.key_operations {
        if !ops.contains(&KeyOperations::Verify) {
            return None;
        }
    }
    let by_type: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => &[
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => &[Algorithm::ES256],
            EllipticCurve::P384 => &[Algorithm::ES384],
            _ => &[],
        },
        AlgorithmParameters::OctetKeyPair(okp) => match okp.curve {
            EllipticCurve::Ed25519 => &[Algorithm::EdDSA],
            _ => &[],
        },
        // A shared secret has no business in a public key set.
        AlgorithmParameters::OctetKey(_) => &[],
    };
    let algorithms: Vec<Algorithm> = match jwk.common.key_algorithm {
        None => by_type.to_vec(),
        Some(declared) => {
            let declared = algorithm_of(declared)?;
            by_type
                .contains(&declared)
                .then_some(declared)
                .into_iter()
                .collect()
        }
    };
    let algorithms: Vec<Algorithm> = algorithms
        .into_iter()
        .filter(|alg| allowed.contains(alg))
        .collect();
    if algorithms.is_empty() {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key { key, algorithms })
}

fn algorithm_of(declared: KeyAlgorithm) -> Option<Algorithm> {
    Some(match declared {
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

/// Whether answering needed I/O that the caller did not allow.
pub(crate) enum Found<T> {
    Done(T),
    NeedsIo,
}

/// Where keys come from.
pub(crate) enum KeySource {
    /// Given at construction; never refetched.
    Static(KeySet),
    Remote(RemoteKeys),
}

impl KeySource {
    /// The key named `kid`, if it may verify `alg`. With `may_block` false, answers
    /// `NeedsIo` instead of fetching.
    pub fn key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        may_block: bool,
    ) -> Found<Result<Arc<Key>, Rejection>> {
        let Some(kid) = kid else {
            return Found::Done(Err(Rejection::UnknownKey));
        };
        let found = match self {
            KeySource::Static(set) => set.get(kid).ok_or(Rejection::UnknownKey),
            KeySource::Remote(remote) => match remote.key(kid, may_block) {
                Found::Done(found) => found,
                Found::NeedsIo => return Found::NeedsIo,
            },
        };
        Found::Done(found.and_then(|key| {
            if key.algorithms.contains(&alg) {
                Ok(key)
            } else {
                Err(Rejection::UnsupportedAlgorithm)
            }
        }))
    }

    /// Fetches the keys if none are known yet.
    pub fn prefetch(&self) -> Result<(), Rejection> {
        match self {
            KeySource::Static(_) => Ok(()),
            KeySource::Remote(remote) => remote.ensure_loaded(),
        }
    }
}

/// The issuer's JWKS, cached.
pub(crate) struct RemoteKeys {
    issuer: Arc<IssuerClient>,
    allowed: Vec<Algorithm>,
    refetch_floor: Duration,
    max_age: Duration,
    current: RwLock<Arc<KeySet>>,
    fetches: Mutex<FetchState>,
}

/// The most time between fetches while no keys were ever fetched.
const INITIAL_RETRY: Duration = Duration::from_secs(1);

#[derive(Default)]
struct FetchState {
    /// When the last fetch was tried, and whether it worked.
    last_attempt: Option<(Instant, bool)>,
    /// When the keys in `current` were fetched.
    fetched_at: Option<Instant>,
}

impl FetchState {
    /// Whether the floor allows another fetch. Until keys were fetched once, a failed
    /// fetch is retried after at most a second.
    fn may_fetch(&self, floor: Duration) -> bool {
        let floor = match self.fetched_at {
            Some(_) => floor,
            None => floor.min(INITIAL_RETRY),
        };
        self.last_attempt
            .is_none_or(|(at, _)| at.elapsed() >= floor)
    }

    fn is_stale(&self, max_age: Duration) -> bool {
        self.fetched_at.is_none_or(|at| at.elapsed() >= max_age)
    }

    fn last_failed(&self) -> bool {
        matches!(self.last_attempt, Some((_, false)))
    }
}

impl RemoteKeys {
    pub fn new(
        issuer: Arc<IssuerClient>,
        allowed: Vec<Algorithm>,
        refetch_floor: Duration,
        max_age: Duration,
    ) -> Self {
        RemoteKeys {
            issuer,
            allowed,
            refetch_floor,
            max_age,
            current: RwLock::new(Arc::new(KeySet::default())),
            fetches: Mutex::new(FetchState::default()),
        }
    }

    fn current(&self) -> Arc<KeySet> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FetchState> {
        self.fetches.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key(&self, kid: &str, may_block: bool) -> Found<Result<Arc<Key>, Rejection>> {
        let set = self.current();
        let known = set.get(kid);
        // Cheap and usually uncontended: only fetches hold it long, and they happen at most
        // once per floor (or max_age).
        let due = {
            let state = self.state();
            let may_fetch = state.may_fetch(self.refetch_floor);
            match &known {
                Some(_) => may_fetch && state.is_stale(self.max_age),
                None => may_fetch,
            }
        };
        if !due {
            return Found::Done(known.ok_or_else(|| self.missing()));
        }
        if !may_block {
            return Found::NeedsIo;
        }
        self.refetch(known.is_some());
        Found::Done(match self.current().get(kid) {
            Some(key) => Ok(key),
            None => Err(self.missing()),
        })
    }

    /// An unknown `kid`: the issuer could not be asked, or was and does not know it.
    fn missing(&self) -> Rejection {
        let state = self.state();
        if state.last_failed() || state.fetched_at.is_none() {
            Rejection::IssuerUnavailable
        } else {
            Rejection::UnknownKey
        }
    }

    /// Fetches the JWKS unless another thread did while this one waited. A failed fetch
    /// keeps the keys known so far.
    fn refetch(&self, had_key: bool) {
        let mut state = self.state();
        let still_due =
            state.may_fetch(self.refetch_floor) && (!had_key || state.is_stale(self.max_age));
        if !still_due {
            return;
        }
        let result = self.issuer.jwks();
        let now = Instant::now();
        match result {
            Ok(values) => {
                let set = KeySet::from_json(&values, &self.allowed);
                if set.is_empty() {
                    tracing::warn!("the issuer's JWKS has no key usable for verification");
                }
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
                state.last_attempt = Some((now, true));
                state.fetched_at = Some(now);
            }
            Err(e) => {
                tracing::warn!(error = %e.0, "JWKS fetch failed; keeping the keys known");
                state.last_attempt = Some((now, false));
            }
        }
    }

    fn ensure_loaded(&self) -> Result<(), Rejection> {
        if self.state().fetched_at.is_none() {
            self.refetch(false);
        }
        if self.state().fetched_at.is_some() {
            Ok(())
        } else {
            Err(Rejection::IssuerUnavailable)
        }
    }
}
