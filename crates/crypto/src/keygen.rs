//! New signing keys and their public JWKs, one function per algorithm. Private keys are
//! stored as PKCS#8 DER whatever the algorithm, so the store needs no knowledge of them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_domain::ports::Random;
use ciam_domain::{CodecError, Kid, PublicJwk, SigningAlg, SigningKey, UnixTime};
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey};

use crate::OsRandom;

/// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used" with RS256. 2048 is
/// what every verifier accepts and signs fastest; keys are rotated rather than grown.
pub(crate) const RSA_BITS: usize = 2048;

pub(crate) fn generate(kid: Kid, alg: SigningAlg, now: UnixTime) -> Result<SigningKey, CodecError> {
    let (private_der, public) = match alg {
        SigningAlg::EdDSA => ed25519(&kid)?,
        SigningAlg::RS256 => rsa_2048(&kid)?,
    };
    Ok(SigningKey {
        kid,
        algorithm: alg,
        private_der,
        public,
        created_at: now,
        retired_at: None,
    })
}

/// An Ed25519 key; its JWK is an `OKP` key with the 32-byte public key as `x` (RFC 8037 §2).
fn ed25519(kid: &Kid) -> Result<(Vec<u8>, PublicJwk), CodecError> {
    let mut seed = [0u8; 32];
    OsRandom.fill(&mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let der = key
        .to_pkcs8_der()
        .map_err(|e| CodecError::Signing(format!("encoding an Ed25519 key: {e}")))?;
    let public = PublicJwk {
        kty: "OKP".into(),
        crv: Some("Ed25519".into()),
        x: Some(URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes())),
        ..jwk(kid, SigningAlg::EdDSA)
    };
    Ok((der.as_bytes().to_vec(), public))
}

/// An RSA key of [`RSA_BITS`] (public exponent 65537) from the OS's random source; its JWK
/// is an `RSA` key with modulus `n` and exponent `e` (RFC 7518 §6.3.1). Takes from about a
/// hundred milliseconds to a second: prime search.
fn rsa_2048(kid: &Kid) -> Result<(Vec<u8>, PublicJwk), CodecError> {
    let key = RsaPrivateKey::new(&mut OsRng, RSA_BITS)
        .map_err(|e| CodecError::Signing(format!("generating an RSA key: {e}")))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| CodecError::Signing(format!("encoding an RSA key: {e}")))?;
    let public = PublicJwk {
        kty: "RSA".into(),
        n: Some(base64url_uint(key.n())),
        e: Some(base64url_uint(key.e())),
        ..jwk(kid, SigningAlg::RS256)
    };
    Ok((der.as_bytes().to_vec(), public))
}

/// RFC 7518 §2 "Base64urlUInt": the unsigned big-endian octets, as few as represent the
/// value (no leading zero octet), base64url without padding.
fn base64url_uint(value: &BigUint) -> String {
    URL_SAFE_NO_PAD.encode(value.to_bytes_be())
}

/// The parameters every JWK of ours has: its `kid`, its one `alg`, and `use: sig`.
fn jwk(kid: &Kid, alg: SigningAlg) -> PublicJwk {
    PublicJwk {
        kty: String::new(),
        crv: None,
        x: None,
        y: None,
        n: None,
        e: None,
        kid: kid.clone(),
        alg: alg.as_str().into(),
        use_: "sig".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(value: Option<&str>) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(value.unwrap_or_default())
            .unwrap_or_default()
    }

    #[test]
    fn an_rsa_jwk_has_kty_n_and_e_and_no_curve_parameters() {
        let key = generate(Kid::new("r1"), SigningAlg::RS256, UnixTime(7)).expect("key");
        assert_eq!(key.algorithm, SigningAlg::RS256);
        assert_eq!(key.created_at, UnixTime(7));
        let jwk = &key.public;
        assert_eq!(
            (jwk.kty.as_str(), jwk.alg.as_str(), jwk.use_.as_str()),
            ("RSA", "RS256", "sig")
        );
        assert_eq!(jwk.kid.as_str(), "r1");
        assert_eq!((&jwk.crv, &jwk.x, &jwk.y), (&None, &None, &None));
        assert_eq!(
            jwk.e.as_deref(),
            Some("AQAB"),
            "65537, big-endian, 3 octets"
        );
        let n = decoded(jwk.n.as_deref());
        assert_eq!(n.len(), RSA_BITS / 8, "no leading zero octet, full size");
        assert!(n[0] & 0x80 != 0, "the top bit of a 2048-bit modulus is set");
        assert!(!jwk.n.as_deref().unwrap_or("=").contains('='), "no padding");
    }

    #[test]
    fn an_ed25519_jwk_is_an_okp_key() {
        let key = generate(Kid::new("e1"), SigningAlg::EdDSA, UnixTime(0)).expect("key");
        let jwk = &key.public;
        assert_eq!(
            (jwk.kty.as_str(), jwk.crv.as_deref(), jwk.alg.as_str()),
            ("OKP", Some("Ed25519"), "EdDSA")
        );
        assert_eq!(decoded(jwk.x.as_deref()).len(), 32);
        assert_eq!((&jwk.n, &jwk.e), (&None, &None));
    }

    #[test]
    fn leading_zero_octets_are_dropped() {
        assert_eq!(base64url_uint(&BigUint::from(65_537u32)), "AQAB");
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(base64url_uint(&BigUint::from(0x00ff_u32)))
                .unwrap_or_default(),
            vec![0xff]
        );
    }
}
