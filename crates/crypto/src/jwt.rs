//! RFC 9068 JWT access tokens signed with Ed25519 (`alg: EdDSA`, RFC 8037).
//!
//! Ed25519 rather than the reference's RS256: a signature costs tens of microseconds
//! instead of about a millisecond for RSA-2048, and keys are 32 bytes. `alg` travels in
//! every token and key, so another algorithm can be added without breaking verifiers.
//!
//! Verification goes through `jsonwebtoken`. Signing does not: `jsonwebtoken::encode` parses
//! the PKCS#8 key and re-derives its public key on every call, as much CPU as the signature
//! itself (docs/performance.md). Here each key is parsed once (`signers`) and the JWS compact
//! serialization (RFC 7515 §7.1: three base64url parts joined by dots) is written directly,
//! with `ed25519_dalek` doing the signature. The unit tests decode what it writes with
//! `jsonwebtoken`, and the resource SDK's tests verify it independently.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_domain::ports::{AccessTokenCodec, Random};
use ciam_domain::{AccessClaims, CodecError, KeyRing, Kid, PublicJwk, SigningKey, UnixTime};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::Signer;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::signer_cache::{ParsedSigner, SignerCache};
use crate::OsRandom;

use ciam_contract::ACCESS_TOKEN_TYP;
const ALG_EDDSA: &str = "EdDSA";

/// Signs and verifies access tokens. Cheap to create; keep one per process so the parsed
/// signing keys are reused.
#[derive(Default)]
pub struct JwtCodec {
    signers: SignerCache,
}

/// The protected header of every access token (RFC 9068 §2.1).
#[derive(serde::Serialize)]
struct AccessTokenHeader<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

impl JwtCodec {
    /// The stored key, parsed once per `kid` (and again only if the stored bytes change).
    fn signer(&self, key: &SigningKey) -> Result<std::sync::Arc<ParsedSigner>, CodecError> {
        self.signers.get_or_parse(&key.kid, &key.private_der, || {
            let parsed = ed25519_dalek::SigningKey::from_pkcs8_der(&key.private_der)
                .map_err(|e| CodecError::Signing(format!("signing key {}: {e}", key.kid)))?;
            let header = serde_json::to_vec(&AccessTokenHeader {
                alg: ALG_EDDSA,
                typ: ACCESS_TOKEN_TYP,
                kid: key.kid.as_str(),
            })
            .map_err(|e| CodecError::Signing(e.to_string()))?;
            Ok(ParsedSigner {
                key: parsed,
                encoded_header: URL_SAFE_NO_PAD.encode(header),
            })
        })
    }
}

impl AccessTokenCodec for JwtCodec {
    fn generate_key(&self, kid: Kid, now: UnixTime) -> Result<SigningKey, CodecError> {
        let mut seed = [0u8; 32];
        OsRandom.fill(&mut seed);
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let der = key
            .to_pkcs8_der()
            .map_err(|e| CodecError::Signing(e.to_string()))?;
        Ok(SigningKey {
            kid: kid.clone(),
            algorithm: ALG_EDDSA.into(),
            private_der: der.as_bytes().to_vec(),
            public: PublicJwk {
                kty: "OKP".into(),
                crv: Some("Ed25519".into()),
                x: Some(URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes())),
                y: None,
                n: None,
                e: None,
                kid,
                alg: ALG_EDDSA.into(),
                use_: "sig".into(),
            },
            created_at: now,
            retired_at: None,
        })
    }

    fn sign(&self, key: &SigningKey, claims: &AccessClaims) -> Result<String, CodecError> {
        if key.algorithm != ALG_EDDSA {
            return Err(CodecError::Signing(format!(
                "unsupported algorithm {}",
                key.algorithm
            )));
        }
        let signer = self.signer(key)?;
        let claims = serde_json::to_vec(claims).map_err(|e| CodecError::Signing(e.to_string()))?;
        // RFC 7515 §5.1: the signing input is ASCII(BASE64URL(header) '.' BASE64URL(payload)).
        let mut token =
            String::with_capacity(signer.encoded_header.len() + claims.len() * 4 / 3 + 92);
        token.push_str(&signer.encoded_header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        let signature = signer.key.sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut token);
        Ok(token)
    }

    fn decode(&self, token: &str, keys: &KeyRing) -> Result<AccessClaims, CodecError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| CodecError::Malformed)?;
        // RFC 9068 §4: resource servers MUST verify `typ` is at+jwt (case-insensitively,
        // RFC 7515 §4.1.9, with the optional "application/" prefix).
        let typ = header
            .typ
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if typ != ACCESS_TOKEN_TYP && typ != "application/at+jwt" {
            return Err(CodecError::Malformed);
        }
        // Only the algorithm we sign with; `none` and HMAC can never verify (RFC 8725 §3.1).
        if header.alg != Algorithm::EdDSA {
            return Err(CodecError::BadSignature);
        }
        let kid = header.kid.ok_or(CodecError::UnknownKey)?;
        let key = keys.by_kid(&kid).ok_or(CodecError::UnknownKey)?;
        let x = key.public.x.as_deref().ok_or(CodecError::UnknownKey)?;
        let decoding = DecodingKey::from_ed_components(x).map_err(|_| CodecError::UnknownKey)?;
        // Expiry, issuer and audience are the domain's rules, checked against its clock.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<AccessClaims>(token, &decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => CodecError::BadSignature,
                _ => CodecError::Malformed,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciam_domain::{ClientId, GrantId, Jti};
    use jsonwebtoken::{EncodingKey, Header};

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "http://issuer".into(),
            sub: "user".into(),
            aud: "http://issuer".into(),
            exp: UnixTime(2_000_000_000),
            iat: UnixTime(1_999_999_700),
            jti: Jti::new("jti"),
            client_id: ClientId::new("client"),
            scope: "read".into(),
            gid: Some(GrantId::new("grant")),
        }
    }

    /// The decoded JSON text of a token's header (0) or claims (1).
    fn part(token: &str, index: usize) -> String {
        let segment = token.split('.').nth(index).unwrap_or_default();
        String::from_utf8_lossy(&URL_SAFE_NO_PAD.decode(segment).unwrap_or_default()).into_owned()
    }

    #[test]
    fn signs_rfc9068_tokens_that_decode_with_the_ring() {
        let codec = JwtCodec::default();
        let key = codec
            .generate_key(Kid::new("k1"), UnixTime(0))
            .expect("key");
        let token = codec.sign(&key, &claims()).expect("signed");
        let header = part(&token, 0);
        assert!(header.contains(r#""typ":"at+jwt""#), "{header}");
        assert!(header.contains(r#""alg":"EdDSA""#), "{header}");
        assert!(header.contains(r#""kid":"k1""#), "{header}");
        let ring = KeyRing::new(vec![key]);
        assert_eq!(codec.decode(&token, &ring), Ok(claims()));
    }

    /// What `sign` writes directly is a JWS that `jsonwebtoken` accepts on its own terms.
    #[test]
    fn tokens_verify_with_an_independent_jwt_library() {
        let codec = JwtCodec::default();
        let key = codec
            .generate_key(Kid::new("k1"), UnixTime(0))
            .expect("key");
        let token = codec.sign(&key, &claims()).expect("signed");
        let x = key.public.x.as_deref().expect("x");
        let decoding = DecodingKey::from_ed_components(x).expect("public key");
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.set_audience(&["http://issuer"]);
        let data =
            jsonwebtoken::decode::<AccessClaims>(&token, &decoding, &validation).expect("verifies");
        assert_eq!(data.claims, claims());
        assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(data.header.kid.as_deref(), Some("k1"));
        assert_eq!(token.split('.').count(), 3);
        assert!(!token.contains('='), "base64url without padding: {token}");
    }

    /// A cached key is used only for the stored bytes it was parsed from.
    #[test]
    fn a_kid_with_new_key_material_signs_with_the_new_key() {
        let codec = JwtCodec::default();
        let first = codec
            .generate_key(Kid::new("k1"), UnixTime(0))
            .expect("key");
        let second = codec
            .generate_key(Kid::new("k1"), UnixTime(0))
            .expect("key");
        for key in [&first, &second, &first] {
            let token = codec.sign(key, &claims()).expect("signed");
            let ring = KeyRing::new(vec![key.clone()]);
            assert_eq!(codec.decode(&token, &ring), Ok(claims()));
        }
    }

    #[test]
    fn a_malformed_stored_key_is_a_signing_error() {
        let codec = JwtCodec::default();
        let mut key = codec
            .generate_key(Kid::new("k1"), UnixTime(0))
            .expect("key");
        key.private_der = vec![1, 2, 3];
        assert!(matches!(
            codec.sign(&key, &claims()),
            Err(CodecError::Signing(_))
        ));
    }

    #[test]
    fn refuses_other_keys_tampering_and_alg_none() {
        let codec = JwtCodec::default();
        let key = codec
            .generate_key(Kid::new("k1"), UnixTime(0))
            .expect("key");
        let mut impostor = codec
            .generate_key(Kid::new("k1"), UnixTime(0))
            .expect("key");
        impostor.kid = Kid::new("k1");
        let token = codec.sign(&impostor, &claims()).expect("signed");
        let ring = KeyRing::new(vec![key.clone()]);
        assert_eq!(codec.decode(&token, &ring), Err(CodecError::BadSignature));

        let genuine = codec.sign(&key, &claims()).expect("signed");
        let mut parts: Vec<&str> = genuine.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(
            String::from_utf8_lossy(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap_or_default())
                .replace("\"sub\":\"user\"", "\"sub\":\"admin\""),
        );
        parts[1] = &forged_claims;
        assert_eq!(
            codec.decode(&parts.join("."), &ring),
            Err(CodecError::BadSignature)
        );

        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"k1"}"#);
        let unsigned = format!(
            "{none_header}.{}.",
            genuine.split('.').nth(1).unwrap_or_default()
        );
        assert!(codec.decode(&unsigned, &ring).is_err());

        let unknown = KeyRing::new(vec![]);
        assert_eq!(
            codec.decode(&genuine, &unknown),
            Err(CodecError::UnknownKey)
        );
    }

    #[test]
    fn refuses_tokens_that_are_not_access_tokens() {
        let codec = JwtCodec::default();
        let key = codec
            .generate_key(Kid::new("k1"), UnixTime(0))
            .expect("key");
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("k1".into()); // typ: JWT, e.g. an ID token
        let id_token = jsonwebtoken::encode(
            &header,
            &claims(),
            &EncodingKey::from_ed_der(&key.private_der),
        )
        .expect("signed");
        assert_eq!(
            codec.decode(&id_token, &KeyRing::new(vec![key])),
            Err(CodecError::Malformed)
        );
    }
}
