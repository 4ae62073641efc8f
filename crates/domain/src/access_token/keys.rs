//! Signing keys and the key ring the JWKS is built from.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::alg::SigningAlg;
use crate::ids::Kid;
use crate::time::UnixTime;

/// A public key as published in the JWKS (RFC 7517 §4). Built by the codec adapter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    pub kid: Kid,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}

/// A signing key pair as stored. `private_der` is PKCS#8 DER and never leaves the server.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: Kid,
    /// What the key signs with: the `alg` of its tokens and of its JWK.
    pub algorithm: SigningAlg,
    pub private_der: Vec<u8>,
    pub public: PublicJwk,
    pub created_at: UnixTime,
    /// Set when a newer key took over signing. The key stays published until every
    /// token it signed has expired.
    pub retired_at: Option<UnixTime>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Every key the store holds, with the rules for which one signs and which are published.
/// Each algorithm has a ring of its own within it: rotating RS256 keys leaves EdDSA's alone.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: Vec<SigningKey>,
}

impl KeyRing {
    pub fn new(mut keys: Vec<SigningKey>) -> Self {
        keys.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.kid.cmp(&a.kid))
        });
        Self { keys }
    }

    /// The newest key of `alg` that has not been retired: the one that signs with `alg`.
    pub fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|key| key.algorithm == alg && key.retired_at.is_none())
    }

    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|key| key.kid.as_str() == kid)
    }

    /// Keys a verifier may still meet, of every algorithm: the active ones, and retired ones
    /// whose tokens (at most `access_ttl` seconds old at retirement) may not have expired yet.
    pub fn published(&self, now: UnixTime, access_ttl: i64) -> impl Iterator<Item = &SigningKey> {
        self.keys.iter().filter(move |key| match key.retired_at {
            None => true,
            Some(retired) => retired.plus_seconds(access_ttl) > now,
        })
    }

    pub fn all(&self) -> &[SigningKey] {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, created: i64, retired: Option<i64>) -> SigningKey {
        key_of(SigningAlg::EdDSA, kid, created, retired)
    }

    fn key_of(alg: SigningAlg, kid: &str, created: i64, retired: Option<i64>) -> SigningKey {
        SigningKey {
            kid: Kid::new(kid),
            algorithm: alg,
            private_der: vec![],
            public: PublicJwk {
                kty: "OKP".into(),
                crv: None,
                x: None,
                y: None,
                n: None,
                e: None,
                kid: Kid::new(kid),
                alg: alg.as_str().into(),
                use_: "sig".into(),
            },
            created_at: UnixTime(created),
            retired_at: retired.map(UnixTime),
        }
    }

    #[test]
    fn newest_unretired_key_signs() {
        let ring = KeyRing::new(vec![key("old", 1, Some(10)), key("new", 10, None)]);
        assert_eq!(
            ring.active(SigningAlg::EdDSA).map(|k| k.kid.as_str()),
            Some("new")
        );
    }

    #[test]
    fn each_algorithm_has_its_own_active_key() {
        let ring = KeyRing::new(vec![
            key_of(SigningAlg::EdDSA, "ed-old", 1, Some(5)),
            key_of(SigningAlg::EdDSA, "ed", 5, None),
            key_of(SigningAlg::RS256, "rsa", 2, None),
            // Newer than every EdDSA key, yet it signs only RS256.
            key_of(SigningAlg::RS256, "rsa-new", 9, None),
        ]);
        let active = |alg| ring.active(alg).map(|k| k.kid.as_str().to_owned());
        assert_eq!(active(SigningAlg::EdDSA).as_deref(), Some("ed"));
        assert_eq!(active(SigningAlg::RS256).as_deref(), Some("rsa-new"));
        let only_ed = KeyRing::new(vec![key_of(SigningAlg::EdDSA, "ed", 1, None)]);
        assert!(only_ed.active(SigningAlg::RS256).is_none());
    }

    #[test]
    fn both_algorithms_are_published() {
        let ring = KeyRing::new(vec![
            key_of(SigningAlg::EdDSA, "ed", 100, None),
            key_of(SigningAlg::RS256, "rsa-old", 1, Some(100)),
            key_of(SigningAlg::RS256, "rsa", 100, None),
        ]);
        let kids = |now| {
            let mut kids: Vec<String> = ring
                .published(UnixTime(now), 300)
                .map(|k| k.kid.as_str().to_owned())
                .collect();
            kids.sort();
            kids
        };
        assert_eq!(kids(399), vec!["ed", "rsa", "rsa-old"]);
        assert_eq!(kids(400), vec!["ed", "rsa"]);
    }

    #[test]
    fn retired_keys_stay_published_until_their_tokens_expire() {
        let ring = KeyRing::new(vec![key("old", 1, Some(100)), key("new", 100, None)]);
        let kids = |now| {
            ring.published(UnixTime(now), 300)
                .map(|k| k.kid.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(kids(399), vec!["new", "old"]);
        assert_eq!(kids(400), vec!["new"]);
    }
}
