//! The codec on Ed25519 keys: what it writes, and what it refuses.

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
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
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
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
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
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
        .expect("key");
    let second = codec
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
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
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
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
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
        .expect("key");
    let mut impostor = codec
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
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
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
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

#[test]
fn decodes_tokens_signed_by_an_independent_jwt_library() {
    let codec = JwtCodec::default();
    let key = codec
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
        .expect("key");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k1".into());
    header.typ = Some("at+jwt".into());
    let token = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_ed_der(&key.private_der),
    )
    .expect("signed");
    assert_eq!(codec.decode(&token, &KeyRing::new(vec![key])), Ok(claims()));
}

/// RFC 7515 §7.1: exactly three parts, the last a 64-byte Ed25519 signature over the first
/// two; claims are read only once the signature holds, and must then be JSON claims.
#[test]
fn refuses_compact_serializations_that_are_not_a_signed_jws() {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    use ed25519_dalek::Signer as _;
    let codec = JwtCodec::default();
    let key = codec
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
        .expect("key");
    let ring = KeyRing::new(vec![key.clone()]);
    let genuine = codec.sign(&key, &claims()).expect("signed");
    let (signing_input, signature) = genuine.rsplit_once('.').unwrap_or_default();

    let four_parts = format!("{genuine}.{signature}");
    assert_eq!(codec.decode(&four_parts, &ring), Err(CodecError::Malformed));
    let short = format!("{signing_input}.{}", &signature[..signature.len() - 4]);
    assert!(codec.decode(&short, &ring).is_err());
    let not_base64 = format!("{signing_input}.{}*", &signature[..signature.len() - 1]);
    assert!(codec.decode(&not_base64, &ring).is_err());

    let signer = ed25519_dalek::SigningKey::from_pkcs8_der(&key.private_der).expect("key");
    let header = genuine.split('.').next().unwrap_or_default();
    for payload in ["not json", r#"{"sub":"user"}"#] {
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
        let signature = URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes()).to_bytes());
        assert_eq!(
            codec.decode(&format!("{input}.{signature}"), &ring),
            Err(CodecError::Malformed),
            "{payload}"
        );
    }
}
