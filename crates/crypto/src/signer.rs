//! A stored signing key parsed once into what signs: the key, and the encoded protected
//! headers of the two kinds of token it signs (RFC 7515 §7.1 compact serialization).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_contract::ACCESS_TOKEN_TYP;
use ciam_domain::{CodecError, SigningAlg, SigningKey};
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use ed25519_dalek::Signer as _;
use rsa::rand_core::OsRng;
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPrivateKey;
use sha2::Sha256;

use crate::keygen::RSA_BITS;

/// The `typ` of an ID token (OpenID Connect Core 1.0 §2 uses plain JWTs; RFC 7519 §5.1).
const ID_TOKEN_TYP: &str = "JWT";

pub(crate) enum SignatureKey {
    Ed25519(ed25519_dalek::SigningKey),
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    Rs256(rsa::pkcs1v15::SigningKey<Sha256>),
}

pub(crate) struct ParsedSigner {
    key: SignatureKey,
    /// BASE64URL of `{"alg":…,"typ":"at+jwt","kid":…}` (RFC 9068 §2.1).
    pub(crate) access_header: String,
    /// BASE64URL of `{"alg":…,"typ":"JWT","kid":…}`.
    pub(crate) id_header: String,
    /// BASE64URL of `{"alg":…,"typ":"logout+jwt","kid":…}` (Back-Channel Logout 1.0 §2.4).
    pub(crate) logout_header: String,
}

#[derive(serde::Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

impl ParsedSigner {
    /// Parses the stored PKCS#8 key as the algorithm the key says it is for.
    pub(crate) fn parse(key: &SigningKey) -> Result<ParsedSigner, CodecError> {
        let bad = |e: &dyn std::fmt::Display| {
            CodecError::Signing(format!("signing key {} ({}): {e}", key.kid, key.algorithm))
        };
        let parsed = match key.algorithm {
            SigningAlg::EdDSA => SignatureKey::Ed25519(
                ed25519_dalek::SigningKey::from_pkcs8_der(&key.private_der).map_err(|e| bad(&e))?,
            ),
            SigningAlg::RS256 => {
                let rsa = RsaPrivateKey::from_pkcs8_der(&key.private_der).map_err(|e| bad(&e))?;
                // RFC 7518 §3.3: never sign RS256 with a key under 2048 bits.
                if rsa.size() * 8 < RSA_BITS {
                    return Err(bad(&format!("{} bits, under {RSA_BITS}", rsa.size() * 8)));
                }
                SignatureKey::Rs256(rsa::pkcs1v15::SigningKey::new(rsa))
            }
        };
        let header = |typ| {
            serde_json::to_vec(&Header {
                alg: key.algorithm.as_str(),
                typ,
                kid: key.kid.as_str(),
            })
            .map(|json| URL_SAFE_NO_PAD.encode(json))
            .map_err(|e| CodecError::Signing(e.to_string()))
        };
        Ok(ParsedSigner {
            key: parsed,
            access_header: header(ACCESS_TOKEN_TYP)?,
            id_header: header(ID_TOKEN_TYP)?,
            logout_header: header("logout+jwt")?,
        })
    }

    /// The signature of the JWS signing input.
    pub(crate) fn sign(&self, input: &[u8]) -> Result<Vec<u8>, CodecError> {
        match &self.key {
            SignatureKey::Ed25519(key) => Ok(key.sign(input).to_bytes().to_vec()),
            // Blinded with fresh randomness, so the private-key operation's timing does not
            // depend on the key alone.
            SignatureKey::Rs256(key) => key
                .try_sign_with_rng(&mut OsRng, input)
                .map(|signature| signature.to_vec())
                .map_err(|e| CodecError::Signing(format!("RS256: {e}"))),
        }
    }
}
