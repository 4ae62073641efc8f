use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;
use ciam_domain::ports::{PasswordHasher, Random};
use ciam_domain::CodecError;

use crate::OsRandom;

/// argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1: OWASP's recommendation),
/// stored as a PHC string so parameters can be raised later without breaking old hashes.
#[derive(Clone, Default)]
pub struct Argon2idHasher {
    argon2: Argon2<'static>,
}

impl PasswordHasher for Argon2idHasher {
    fn hash(&self, password: &str) -> Result<String, CodecError> {
        let mut salt = [0u8; 16];
        OsRandom.fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| CodecError::Signing(e.to_string()))?;
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| CodecError::Signing(e.to_string()))
    }

    fn verify(&self, password: &str, hash: &str) -> bool {
        PasswordHash::new(hash)
            .map(|parsed| {
                self.argon2
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let hasher = Argon2idHasher::default();
        let a = hasher.hash("correct horse").expect("hash");
        let b = hasher.hash("correct horse").expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert!(hasher.verify("correct horse", &a));
        assert!(!hasher.verify("wrong", &a));
        assert!(!hasher.verify("correct horse", "not a phc string"));
    }
}
