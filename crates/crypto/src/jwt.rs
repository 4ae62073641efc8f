//! RFC 9068 JWT access tokens and OpenID Connect ID tokens, signed with Ed25519
//! (`alg: EdDSA`, RFC 8037) or RSA (`alg: RS256`, RFC 7518 §3.3), whichever the key is for.
//!
//! Ed25519 is the default for access tokens: a signature costs tens of microseconds instead
//! of about a millisecond for RSA-2048, and keys are 32 bytes. RS256 is there for ID tokens
//! (OpenID Connect Core 1.0 §15.1 requires it) and for peers that verify nothing else.
//!
//! Signing does not go through `jsonwebtoken`: `jsonwebtoken::encode` parses the PKCS#8 key
//! and re-derives its public key on every call, as much CPU as the signature itself
//! (docs/performance.md). Here each key is parsed once (`signers`) and the JWS compact
//! serialization (RFC 7515 §7.1: three base64url parts joined by dots) is written directly,
//! with `ed25519_dalek` or `rsa` doing the signature. The unit tests decode what it writes
//! with `jsonwebtoken`, and the resource SDK's tests verify it independently. Verification
//! of an EdDSA token likewise uses its key decompressed once (`verifiers`, `ed25519_jws`);
//! RS256 goes through `jsonwebtoken`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_contract::ACCESS_TOKEN_TYP;
use ciam_domain::ports::AccessTokenCodec;
use ciam_domain::{
    AccessClaims, CodecError, IdTokenClaims, KeyRing, Kid, LogoutTokenClaims, SigningAlg,
    SigningKey, UnixTime,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Serialize;

use crate::ed25519_jws;
use crate::key_cache::KeyCache;
use crate::signer::ParsedSigner;
use crate::verified_tokens::VerifiedTokens;

/// Signs and verifies access tokens, and signs ID tokens. Keep one per process, so the
/// parsed signing keys and the verified tokens are reused.
pub struct JwtCodec {
    signers: KeyCache<ParsedSigner>,
    /// Ed25519 public keys, decompressed once per `kid`.
    verifiers: KeyCache<ed25519_dalek::VerifyingKey>,
    verified: VerifiedTokens,
}

/// Access tokens remembered as verified, unless configured otherwise: about 700 bytes each
/// (claims, `kid`, key, digest; `examples/verified_token_memory.rs`), 44 MiB when full.
pub const DEFAULT_VERIFIED_TOKENS: usize = 65_536;

impl Default for JwtCodec {
    fn default() -> Self {
        JwtCodec::with_verified_tokens(DEFAULT_VERIFIED_TOKENS)
    }
}

/// Which protected header a token gets.
enum Kind {
    Access,
    Id,
    Logout,
}

impl JwtCodec {
    /// A codec that remembers up to `capacity` verified access tokens (0: none), so a token
    /// presented again skips the signature check (`verified_tokens`).
    pub fn with_verified_tokens(capacity: usize) -> Self {
        JwtCodec {
            signers: KeyCache::default(),
            verifiers: KeyCache::default(),
            verified: VerifiedTokens::new(capacity),
        }
    }

    /// The stored key, parsed once per `kid` (and again only if the stored bytes change).
    fn signer(&self, key: &SigningKey) -> Result<std::sync::Arc<ParsedSigner>, CodecError> {
        self.signers
            .get_or_parse(&key.kid, &key.private_der, || ParsedSigner::parse(key))
    }

    fn sign_jws(
        &self,
        key: &SigningKey,
        kind: Kind,
        claims: &impl Serialize,
    ) -> Result<String, CodecError> {
        let signer = self.signer(key)?;
        let header = match kind {
            Kind::Access => &signer.access_header,
            Kind::Id => &signer.id_header,
            Kind::Logout => &signer.logout_header,
        };
        let claims = serde_json::to_vec(claims).map_err(|e| CodecError::Signing(e.to_string()))?;
        // RFC 7515 §5.1: the signing input is ASCII(BASE64URL(header) '.' BASE64URL(payload)).
        // 342 characters hold an RSA-2048 signature in base64url.
        let mut token = String::with_capacity(header.len() + claims.len() * 4 / 3 + 346);
        token.push_str(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        let signature = signer.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// The `jsonwebtoken` name of one of our algorithms.
fn jwt_algorithm(alg: SigningAlg) -> Algorithm {
    match alg {
        SigningAlg::EdDSA => Algorithm::EdDSA,
        SigningAlg::RS256 => Algorithm::RS256,
    }
}

impl AccessTokenCodec for JwtCodec {
    fn generate_key(
        &self,
        kid: Kid,
        alg: SigningAlg,
        now: UnixTime,
    ) -> Result<SigningKey, CodecError> {
        crate::keygen::generate(kid, alg, now)
    }

    fn sign(&self, key: &SigningKey, claims: &AccessClaims) -> Result<String, CodecError> {
        self.sign_jws(key, Kind::Access, claims)
    }

    fn sign_id_token(
        &self,
        key: &SigningKey,
        claims: &IdTokenClaims,
    ) -> Result<String, CodecError> {
        self.sign_jws(key, Kind::Id, claims)
    }

    fn sign_logout_token(
        &self,
        key: &SigningKey,
        claims: &LogoutTokenClaims,
    ) -> Result<String, CodecError> {
        self.sign_jws(key, Kind::Logout, claims)
    }

    fn decode(&self, token: &str, keys: &KeyRing) -> Result<AccessClaims, CodecError> {
        // RFC 9068 §4: resource servers MUST verify `typ` is at+jwt (case-insensitively,
        // RFC 7515 §4.1.9, with the optional "application/" prefix).
        self.verified.get_or_verify(token, keys, || {
            self.verify_jws(token, keys, |typ| {
                typ == ACCESS_TOKEN_TYP || typ == "application/at+jwt"
            })
        })
    }

    fn decode_id_token(&self, token: &str, keys: &KeyRing) -> Result<IdTokenClaims, CodecError> {
        // Ours carry `typ: JWT`; never an access token presented as an ID token.
        self.verify_jws(token, keys, |typ| typ == "jwt")
            .map(|(claims, _)| claims)
    }
}

impl JwtCodec {
    /// A JWS signed by a key of the ring, with a `typ` that `typ_ok` accepts (lower-cased):
    /// its claims, and the `kid` of the key that verified it. Time and issuer rules are the
    /// domain's, not the codec's.
    fn verify_jws<C: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        keys: &KeyRing,
        typ_ok: impl Fn(&str) -> bool,
    ) -> Result<(C, Kid), CodecError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| CodecError::Malformed)?;
        let typ = header
            .typ
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !typ_ok(&typ) {
            return Err(CodecError::Malformed);
        }
        // Only algorithms we sign with; `none` (which the header parser already refuses) and
        // HMAC can never verify (RFC 8725 §3.1). Checked before the `kid`, so that a forged
        // header never costs a reload of the key ring.
        if !SigningAlg::ALL
            .into_iter()
            .any(|alg| jwt_algorithm(alg) == header.alg)
        {
            return Err(CodecError::BadSignature);
        }
        let kid = header.kid.ok_or(CodecError::UnknownKey)?;
        let key = keys.by_kid(&kid).ok_or(CodecError::UnknownKey)?;
        // The key decides the algorithm, never the header (RFC 8725 §2.1): an EdDSA header on
        // an RSA key's token is refused, whatever its signature.
        let alg = jwt_algorithm(key.algorithm);
        if header.alg != alg {
            return Err(CodecError::BadSignature);
        }
        match key.algorithm {
            SigningAlg::EdDSA => {
                let verifying = self.verifiers.get_or_parse(
                    &key.kid,
                    key.public.x.as_deref().unwrap_or_default().as_bytes(),
                    || ed25519_jws::verifying_key(key),
                )?;
                ed25519_jws::verify(token, &verifying)
            }
            SigningAlg::RS256 => verify_rs256(token, key),
        }
        .map(|claims| (claims, key.kid.clone()))
    }
}

/// The RSA public key of `key` as its JWK publishes it (RFC 7518 §6.3.1).
fn rsa_decoding_key(key: &SigningKey) -> Result<DecodingKey, CodecError> {
    let jwk = &key.public;
    DecodingKey::from_rsa_components(
        jwk.n.as_deref().unwrap_or_default(),
        jwk.e.as_deref().unwrap_or_default(),
    )
    .map_err(|_| CodecError::UnknownKey)
}

/// An RS256 JWS through `jsonwebtoken` (its signature costs far more than the key's parsing).
fn verify_rs256<C: serde::de::DeserializeOwned>(
    token: &str,
    key: &SigningKey,
) -> Result<C, CodecError> {
    let decoding = rsa_decoding_key(key)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<C>(token, &decoding, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => CodecError::BadSignature,
            _ => CodecError::Malformed,
        })
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod rs256_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod verified_tests;
