//! Access tokens this process has already verified, so that a token presented again (a
//! resource server introspects the same token on each call it serves) costs a SHA-256 and a
//! lookup instead of a signature check: the largest CPU cost of introspection
//! (docs/performance.md).
//!
//! Reuse is sound because verification is a function of the token's bytes and of the key
//! that signed it, nothing else: an entry records that key's `kid` and public part, and is
//! used only while the ring passed in still holds that very key. So a key removed from the
//! ring stops its tokens at once, cached or not. Expiry, issuer and the denylist are the
//! domain's rules and run on every use, hit or miss. Failures are never cached.
//!
//! Entries are keyed by the SHA-256 of the token (32 bytes instead of the token's 400 or
//! so); serving one token's claims for another would take a SHA-256 collision.
//!
//! `ciam_verified_tokens_total{result="hit"|"miss"}` counts lookups (docs/operations.md), so
//! operators can size `CIAM_VERIFIED_TOKEN_CACHE` by its hit ratio.

use std::sync::Arc;

use ciam_domain::{AccessClaims, KeyRing, Kid, SigningKey};
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

/// What one verification established.
struct Verified {
    kid: Kid,
    /// The key's public part when it verified: `x` of an Ed25519 key (RFC 8037 §2), `n`
    /// and `e` of an RSA key (RFC 7518 §6.3.1).
    public: [Option<Box<str>>; 3],
    claims: AccessClaims,
}

/// A bounded cache of verified access tokens; `capacity` 0 turns it off.
pub(crate) struct VerifiedTokens {
    cache: Option<Cache<[u8; 32], Arc<Verified>>>,
}

impl VerifiedTokens {
    pub(crate) fn new(capacity: usize) -> Self {
        VerifiedTokens {
            cache: (capacity > 0).then(|| Cache::new(capacity)),
        }
    }

    /// The claims of `token` if it was verified before by a key `keys` still holds
    /// unchanged; otherwise `verify`'s answer, remembered when it is `Ok`.
    pub(crate) fn get_or_verify<E>(
        &self,
        token: &str,
        keys: &KeyRing,
        verify: impl FnOnce() -> Result<(AccessClaims, Kid), E>,
    ) -> Result<AccessClaims, E> {
        let Some(cache) = &self.cache else {
            return verify().map(|(claims, _)| claims);
        };
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(hit) = cache.get(&digest) {
            if keys
                .by_kid(hit.kid.as_str())
                .is_some_and(|key| public_parts(key) == hit.public.each_ref().map(|p| p.as_deref()))
            {
                counted("hit");
                return Ok(hit.claims.clone());
            }
        }
        counted("miss");
        let (claims, kid) = verify()?;
        if let Some(key) = keys.by_kid(kid.as_str()) {
            let verified = Verified {
                public: public_parts(key).map(|p| p.map(Box::from)),
                kid,
                claims: claims.clone(),
            };
            cache.insert(digest, Arc::new(verified));
        }
        Ok(claims)
    }
}

fn counted(result: &'static str) {
    metrics::counter!("ciam_verified_tokens_total", "result" => result).increment(1);
}

/// What identifies a key's public half.
fn public_parts(key: &SigningKey) -> [Option<&str>; 3] {
    let jwk = &key.public;
    [jwk.x.as_deref(), jwk.n.as_deref(), jwk.e.as_deref()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    use ciam_domain::{ClientId, Jti, PublicJwk, SigningAlg, UnixTime};

    fn signing_key(kid: &str, x: &str) -> SigningKey {
        SigningKey {
            kid: Kid::new(kid),
            algorithm: SigningAlg::EdDSA,
            private_der: Vec::new(),
            public: PublicJwk {
                kty: "OKP".into(),
                crv: Some("Ed25519".into()),
                x: Some(x.into()),
                y: None,
                n: None,
                e: None,
                kid: Kid::new(kid),
                alg: "EdDSA".into(),
                use_: "sig".into(),
            },
            created_at: UnixTime(0),
            retired_at: None,
        }
    }

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "i".into(),
            sub: "s".into(),
            aud: "a".into(),
            exp: UnixTime(10),
            iat: UnixTime(0),
            jti: Jti::new("j"),
            client_id: ClientId::new("c"),
            scope: String::new(),
            gid: None,
        }
    }

    /// Decodes `token` through `cache` and says whether the signature check ran.
    fn verified_anew(cache: &VerifiedTokens, token: &str, keys: &KeyRing) -> bool {
        let ran = Cell::new(false);
        let answer = cache.get_or_verify(token, keys, || {
            ran.set(true);
            Ok::<_, ()>((claims(), Kid::new("k1")))
        });
        assert_eq!(answer, Ok(claims()));
        ran.get()
    }

    #[test]
    fn a_hit_skips_the_check_only_while_the_same_key_is_in_the_ring() {
        let cache = VerifiedTokens::new(16);
        let ring = KeyRing::new(vec![signing_key("k1", "x1")]);
        assert!(verified_anew(&cache, "t", &ring), "first use");
        assert!(!verified_anew(&cache, "t", &ring), "remembered");
        assert!(verified_anew(&cache, "u", &ring), "another token");
        let rekeyed = KeyRing::new(vec![signing_key("k1", "x2")]);
        assert!(verified_anew(&cache, "t", &rekeyed), "other key material");
        assert!(verified_anew(&cache, "t", &KeyRing::default()), "key gone");
    }

    #[test]
    fn failures_are_not_remembered_and_capacity_zero_remembers_nothing() {
        let cache = VerifiedTokens::new(16);
        let ring = KeyRing::new(vec![signing_key("k1", "x1")]);
        assert_eq!(
            cache.get_or_verify("t", &ring, || Err::<(AccessClaims, Kid), _>("bad")),
            Err("bad")
        );
        assert!(verified_anew(&cache, "t", &ring));
        let off = VerifiedTokens::new(0);
        assert!(verified_anew(&off, "t", &ring));
        assert!(verified_anew(&off, "t", &ring));
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = VerifiedTokens::new(100);
        let ring = KeyRing::new(vec![signing_key("k1", "x1")]);
        for i in 0..10_000 {
            verified_anew(&cache, &format!("token {i}"), &ring);
        }
        let held = cache.cache.as_ref().map_or(0, |c| c.len());
        assert!(held <= 200, "{held} entries for a capacity of 100");
    }
}
