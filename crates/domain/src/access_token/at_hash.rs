//! `at_hash`, the ID token's binding to the access token issued with it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256, Sha512};

use super::alg::SigningAlg;

/// OpenID Connect Core 1.0 §3.1.3.6: the base64url encoding (no padding) of the left-most
/// half of the hash of the ASCII octets of `access_token`, with the hash of the ID token's
/// `alg`: SHA-256 for RS256.
///
/// EdDSA names no hash of its own; for Ed25519 keys (the only EdDSA keys we make) it is
/// SHA-512, the hash of Ed25519's signature scheme (RFC 8032 §5.1), as the OpenID Connect
/// working group resolved for the Core errata (openid/connect issue #1125, "_hash algorithm
/// for EdDSA ID Tokens"). The left half is then 32 bytes.
pub fn at_hash(access_token: &str, alg: SigningAlg) -> String {
    match alg {
        SigningAlg::RS256 => left_half(&Sha256::digest(access_token.as_bytes())),
        SigningAlg::EdDSA => left_half(&Sha512::digest(access_token.as_bytes())),
    }
}

fn left_half(digest: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's own example: Core 1.0 Appendix A.4, an RS256 ID token issued
    /// with this access token carries this `at_hash`.
    #[test]
    fn rs256_is_the_left_half_of_sha256() {
        assert_eq!(
            at_hash(
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
                SigningAlg::RS256
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn eddsa_is_the_left_half_of_sha512() {
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        let full = Sha512::digest(token.as_bytes());
        let expected = URL_SAFE_NO_PAD.encode(&full[..32]);
        assert_eq!(at_hash(token, SigningAlg::EdDSA), expected);
        assert_eq!(expected.len(), 43, "32 bytes, base64url without padding");
        assert!(!expected.contains('='));
    }
}
