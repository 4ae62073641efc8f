//! JWT access tokens (RFC 9068): minting them, recognising ours, and the signing keys they
//! are signed with (rotation, the JWKS of RFC 7517). ID tokens (OpenID Connect Core 1.0 §2)
//! are signed here too, with the same key ring: each algorithm has its own active key.

pub mod alg;
pub mod at_hash;
pub mod claims;
pub mod keys;
pub mod ports;
mod recent_cutoffs;
mod ring;

#[cfg(test)]
mod tests;

use crate::audit::{AuditAction, Initiator};
use std::sync::Arc;

use crate::client::Client;
use crate::error::{CodecError, Fault};
use crate::ids::{ClientId, GrantId, Jti, Kid};
use crate::kernel::{Core, ID_BYTES};
use crate::revocation::model::Cutoff;
use crate::scope::Scope;
use crate::time::UnixTime;
use alg::SigningAlg;
use claims::{AccessClaims, IdTokenClaims, LogoutTokenClaims};
use keys::{KeyRing, PublicJwk, SigningKey};
use recent_cutoffs::RecentCutoffs;
use ring::RingCache;

/// Tokens longer than this are not ours, whatever they are: ours are well under 1 KiB.
pub(crate) const MAX_TOKEN_LEN: usize = 4096;

pub struct AccessTokens {
    core: Arc<Core>,
    ring: RingCache,
    recent_cutoffs: RecentCutoffs,
}

impl AccessTokens {
    pub(crate) fn new(core: Arc<Core>) -> AccessTokens {
        AccessTokens {
            core,
            ring: RingCache::default(),
            recent_cutoffs: RecentCutoffs::default(),
        }
    }

    /// The `iat` of a token of `subject` for `client` issued now: `now`, unless this node
    /// has just made a cut-off that would cover it (see `recent_cutoffs`).
    pub(crate) fn issue_time(&self, subject: &str, client: &ClientId, now: UnixTime) -> UnixTime {
        self.recent_cutoffs.issue_time(subject, client, now)
    }

    /// The second a cut-off made now must name (see `RecentCutoffs::cutoff_time`).
    pub(crate) fn cutoff_time(&self, now: UnixTime) -> UnixTime {
        self.recent_cutoffs.cutoff_time(now)
    }

    /// Remembers a cut-off just committed, for `issue_time`.
    pub(crate) fn note_cutoff(&self, cutoff: &Cutoff, now: UnixTime) {
        self.recent_cutoffs.note(cutoff, now);
    }

    /// A signed access token for `subject`, valid for `access_token_ttl` from `now`, which
    /// callers take from [`issue_time`](Self::issue_time).
    pub(crate) fn mint(
        &self,
        client: &Client,
        subject: &str,
        scope: &Scope,
        gid: Option<GrantId>,
        now: UnixTime,
    ) -> Result<String, Fault> {
        let ring = self.key_ring()?;
        self.mint_with(&ring, client, subject, scope, gid, now)
    }

    /// [`AccessTokens::mint`] for a caller that must not wait (an event loop): `None` when
    /// it would need a store read (the key ring is due for a re-read) or a long computation
    /// (RS256 signing takes milliseconds; EdDSA, microseconds).
    pub(crate) fn mint_from_memory(
        &self,
        client: &Client,
        subject: &str,
        scope: &Scope,
        now: UnixTime,
    ) -> Option<Result<String, Fault>> {
        if self.core.config.access_token_alg != SigningAlg::EdDSA {
            return None;
        }
        let ring = self.fresh_key_ring()?;
        Some(self.mint_with(&ring, client, subject, scope, None, now))
    }

    fn mint_with(
        &self,
        ring: &KeyRing,
        client: &Client,
        subject: &str,
        scope: &Scope,
        gid: Option<GrantId>,
        now: UnixTime,
    ) -> Result<String, Fault> {
        let config = &self.core.config;
        let alg = config.access_token_alg;
        let key = ring.active(alg).ok_or(Fault::NoActiveKey(alg))?;
        let claims = AccessClaims {
            iss: config.issuer.clone(),
            sub: subject.to_owned(),
            aud: config.audience.clone(),
            exp: now.plus_seconds(config.access_token_ttl),
            iat: now,
            jti: Jti::new(self.core.random_string(ID_BYTES)),
            client_id: client.id.clone(),
            scope: scope.to_string(),
            gid,
        };
        Ok(self.core.ports.codec.sign(key, &claims)?)
    }

    /// An ID token with these claims, signed by the active key of `id_token_alg` (RS256 by
    /// default: OpenID Connect Core 1.0 §15.1 requires it). The claims are the caller's: this
    /// only signs.
    pub fn sign_id_token(&self, claims: &IdTokenClaims) -> Result<String, Fault> {
        let ring = self.key_ring()?;
        let alg = self.core.config.id_token_alg;
        let key = ring.active(alg).ok_or(Fault::NoActiveKey(alg))?;
        Ok(self.core.ports.codec.sign_id_token(key, claims)?)
    }

    /// [`AccessTokens::live_claims`] from memory alone: `None` when it would need a store
    /// read (the key ring is due for a re-read, or the token names a key it lacks).
    pub(crate) fn live_claims_from_memory(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Option<Result<Option<AccessClaims>, Fault>> {
        if !looks_like_a_jws(token) {
            return Some(Ok(None));
        }
        let ring = self.fresh_key_ring()?;
        match self.core.ports.codec.decode(token, &ring) {
            Ok(claims) => Some(Ok(self.live(claims, now))),
            Err(CodecError::UnknownKey) => None,
            Err(_) => Some(Ok(None)),
        }
    }

    /// The claims of a token that is one of our access tokens, correctly signed, for our
    /// issuer and not expired. `None` for anything else: to revocation and introspection
    /// such a token is simply not a live access token. Whether it was revoked is not
    /// checked here.
    pub(crate) fn live_claims(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<Option<AccessClaims>, Fault> {
        let codec = &self.core.ports.codec;
        let Some(claims) = self.verified(token, |ring| codec.decode(token, ring))? else {
            return Ok(None);
        };
        Ok(self.live(claims, now))
    }

    /// The claims if they are for our issuer and not expired.
    fn live(&self, claims: AccessClaims, now: UnixTime) -> Option<AccessClaims> {
        (claims.iss == self.core.config.issuer && claims.exp > now).then_some(claims)
    }

    /// A logout token with these claims, signed like ID tokens (Back-Channel Logout 1.0
    /// §2.4: the same keys and algorithm the client verifies ID tokens with).
    pub fn sign_logout_token(&self, claims: &LogoutTokenClaims) -> Result<String, Fault> {
        let alg = self.core.config.id_token_alg;
        let ring = self.key_ring()?;
        let key = ring.active(alg).ok_or(Fault::NoActiveKey(alg))?;
        Ok(self.core.ports.codec.sign_logout_token(key, claims)?)
    }

    /// The claims of an `id_token_hint` (RP-Initiated Logout 1.0 §2): one of our ID
    /// tokens, correctly signed, for our issuer. Its expiry does not matter: a hint names
    /// a session, it grants nothing. `None` for anything else.
    pub fn read_id_token_hint(&self, token: &str) -> Result<Option<IdTokenClaims>, Fault> {
        let codec = &self.core.ports.codec;
        let Some(claims) = self.verified(token, |ring| codec.decode_id_token(token, ring))? else {
            return Ok(None);
        };
        Ok((claims.iss == self.core.config.issuer).then_some(claims))
    }

    /// What `decode` makes of `token` with the key ring, re-read once if the token names a
    /// key the cached ring lacks (a key rotated on another node). `None` for a token that
    /// is not a JWS of ours.
    fn verified<T>(
        &self,
        token: &str,
        decode: impl Fn(&KeyRing) -> Result<T, CodecError>,
    ) -> Result<Option<T>, Fault> {
        if !looks_like_a_jws(token) {
            return Ok(None);
        }
        let ring = self.key_ring()?;
        match decode(&ring) {
            Ok(claims) => Ok(Some(claims)),
            Err(CodecError::UnknownKey) => match self.key_ring_after_unknown_kid()? {
                Some(ring) => Ok(decode(&ring).ok()),
                None => Ok(None),
            },
            Err(_) => Ok(None),
        }
    }

    /// The public keys of the JWKS (RFC 7517 §5), of every algorithm: the active keys and the
    /// retired ones whose tokens may still be live.
    pub fn published_keys(&self) -> Result<Vec<PublicJwk>, Fault> {
        let ring = self.key_ring()?;
        Ok(ring
            .published(self.core.now(), self.core.config.access_token_ttl)
            .map(|key| key.public.clone())
            .collect())
    }

    pub fn list_keys(&self) -> Result<Vec<SigningKey>, Fault> {
        Ok(self.core.ports.store.list_keys()?)
    }

    /// Adds a new signing key of `alg` and retires the other keys of `alg` (those of other
    /// algorithms keep signing). Retired keys stay in the JWKS until the tokens they signed
    /// have expired. An RSA key takes up to about a second to generate. Audited as done by
    /// `by`.
    pub fn rotate_signing_key(&self, alg: SigningAlg, by: &Initiator) -> Result<SigningKey, Fault> {
        let now = self.core.now();
        let kid = Kid::new(self.core.random_string(ID_BYTES));
        let key = self.core.ports.codec.generate_key(kid, alg, now)?;
        let audit =
            by.event(now, AuditAction::KeyRotated)
                .target(format!("{} {}", key.kid, alg.as_str()));
        self.core
            .ports
            .store
            .add_key_retiring_others(&key, now, &audit)?;
        self.ring.invalidate();
        Ok(key)
    }

    /// Creates a key for each algorithm the configuration signs with (access tokens' and ID
    /// tokens') that has no active one: zero set-up on first start, and after the
    /// configuration names a new algorithm.
    pub fn ensure_signing_key(&self) -> Result<(), Fault> {
        let ring = KeyRing::new(self.core.ports.store.list_keys()?);
        for alg in self.core.config.signing_algs() {
            if ring.active(alg).is_none() {
                self.rotate_signing_key(alg, &Initiator::system())?;
            }
        }
        Ok(())
    }

    /// The cached key ring, unless it is due for a re-read.
    fn fresh_key_ring(&self) -> Option<Arc<KeyRing>> {
        let interval = self.core.config.key_refresh_interval;
        self.ring.fresh(self.core.now(), interval)
    }

    /// The key ring, re-read when older than `key_refresh_interval`.
    pub fn key_ring(&self) -> Result<Arc<KeyRing>, Fault> {
        match self.fresh_key_ring() {
            Some(ring) => Ok(ring),
            None => self.reload_key_ring(self.core.now()),
        }
    }

    /// Re-reads the ring after meeting an unknown `kid`, at most once a second so that
    /// tokens with forged `kid`s cannot turn into a store query each. A re-read for age
    /// in the same second does not count: it may have come before the rotation.
    fn key_ring_after_unknown_kid(&self) -> Result<Option<Arc<KeyRing>>, Fault> {
        let now = self.core.now();
        if !self.ring.may_reload_for_unknown_kid(now) {
            return Ok(None);
        }
        self.reload_key_ring(now).map(Some)
    }

    fn reload_key_ring(&self, now: UnixTime) -> Result<Arc<KeyRing>, Fault> {
        let ring = Arc::new(KeyRing::new(self.core.ports.store.list_keys()?));
        self.ring.store(Arc::clone(&ring), now);
        Ok(ring)
    }
}

/// Whether `token` may be a compact JWS of ours (three parts, not too long): anything else
/// is not decoded at all.
fn looks_like_a_jws(token: &str) -> bool {
    token.len() <= MAX_TOKEN_LEN && token.bytes().filter(|b| *b == b'.').count() == 2
}
