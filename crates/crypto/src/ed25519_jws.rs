//! Verification of an EdDSA JWS (RFC 8037 §3.1) with an Ed25519 key decompressed once, by
//! `ed25519_dalek`, the crate `jsonwebtoken` itself calls. `jsonwebtoken::decode` takes the
//! key as bytes and decompresses it on every token: 46.9 µs per token against 44.3 µs here
//! (docs/performance.md, "Issue 12, fifth step"). The check, `VerifyingKey::verify`, is the
//! same.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_domain::{CodecError, SigningKey};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

/// The Ed25519 public key of `key`, from its JWK's `x` (RFC 8037 §2).
pub(crate) fn verifying_key(key: &SigningKey) -> Result<VerifyingKey, CodecError> {
    let x = key.public.x.as_deref().ok_or(CodecError::UnknownKey)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(x)
        .map_err(|_| CodecError::UnknownKey)?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| CodecError::UnknownKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| CodecError::UnknownKey)
}

/// The claims of the compact JWS `token` (RFC 7515 §7.1: exactly three base64url parts)
/// once its signature verifies under `key` (RFC 7515 §5.2 steps 1–8; the header was checked
/// by the caller). The claims are not read before the signature holds.
pub(crate) fn verify<C: serde::de::DeserializeOwned>(
    token: &str,
    key: &VerifyingKey,
) -> Result<C, CodecError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CodecError::Malformed);
    };
    // RFC 7515 §5.2 step 8: the signing input is the first two parts with their dot.
    let signing_input = &token[..header.len() + 1 + payload.len()];
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| CodecError::Malformed)?;
    let signature = Signature::from_slice(&signature).map_err(|_| CodecError::BadSignature)?;
    key.verify(signing_input.as_bytes(), &signature)
        .map_err(|_| CodecError::BadSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| CodecError::Malformed)?;
    serde_json::from_slice(&payload).map_err(|_| CodecError::Malformed)
}
