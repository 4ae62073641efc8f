//! Secrets that cannot leak by accident.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A plaintext secret (client secret, refresh token, password) as presented by a caller
/// or generated once for its owner. `Debug` never prints the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The plaintext. Call only to hand the secret to its owner once, or to hash it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the secret. Client secrets and refresh tokens are at least 256 random bits,
    /// so a fast hash is safe for them; passwords go through the `PasswordHasher` port instead.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The lowercase hex SHA-256 of a high-entropy secret: what the store keeps instead of it.
///
/// INVARIANT: never derive or store anything from which the plaintext can be recovered.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn of(plaintext: &str) -> Self {
        let digest = Sha256::digest(plaintext.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self(hex)
    }

    /// Wraps a hash read back from the store.
    pub fn from_stored(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time check of a presented secret against this hash.
    pub fn matches(&self, presented: &Secret) -> bool {
        hex_matches(&self.0, presented)
    }
}

/// Constant-time check of a presented secret against a stored hex SHA-256.
pub(crate) fn hex_matches(stored: &str, presented: &Secret) -> bool {
    let presented = SecretHash::of(presented.expose());
    stored.as_bytes().ct_eq(presented.0.as_bytes()).into()
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_value() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{:?}", secret.hash()).contains(secret.hash().as_str()));
    }

    #[test]
    fn hash_matches_only_its_secret() {
        let hash = Secret::new("right").hash();
        assert!(hash.matches(&Secret::new("right")));
        assert!(!hash.matches(&Secret::new("wrong")));
        assert!(!hash.matches(&Secret::new("")));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            SecretHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
