//! The codec on RSA keys: RS256 beside EdDSA, algorithm confusion, ID tokens.

use super::fixtures::{claims_with_jti, key};
use super::*;
use jsonwebtoken::{EncodingKey, Header};

fn claims() -> AccessClaims {
    claims_with_jti("jti")
}

fn header_of(token: &str) -> serde_json::Value {
    let segment = token.split('.').next().unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap_or_default()).unwrap_or_default()
}

/// `token` with its protected header replaced by `header`, payload and signature kept.
fn with_header(token: &str, header: &str) -> String {
    let rest: Vec<&str> = token.split('.').skip(1).collect();
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header), rest.join("."))
}

#[test]
fn rs256_tokens_round_trip_and_verify_with_an_independent_jwt_library() {
    let codec = JwtCodec::default();
    let key = key(&codec, "r1", SigningAlg::RS256);
    let token = codec.sign(&key, &claims()).expect("signed");
    assert_eq!(
        header_of(&token),
        serde_json::json!({"alg": "RS256", "typ": "at+jwt", "kid": "r1"})
    );
    let ring = KeyRing::new(vec![key.clone()]);
    assert_eq!(codec.decode(&token, &ring), Ok(claims()));

    // The published JWK alone verifies it, through jsonwebtoken's own RSA path.
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(serde_json::to_value(&key.public).expect("json"))
            .expect("a JWK jsonwebtoken reads");
    let decoding = DecodingKey::from_jwk(&jwk).expect("RSA public key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.set_audience(&["http://issuer"]);
    let data =
        jsonwebtoken::decode::<AccessClaims>(&token, &decoding, &validation).expect("verifies");
    assert_eq!(data.claims, claims());
    let signature = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(2).unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(signature.len(), 256, "an RSA-2048 signature");
}

#[test]
fn both_algorithms_verify_side_by_side_in_one_ring() {
    let codec = JwtCodec::default();
    let ed = key(&codec, "ed", SigningAlg::EdDSA);
    let rsa = key(&codec, "rsa", SigningAlg::RS256);
    let ring = KeyRing::new(vec![ed.clone(), rsa.clone()]);
    for key in [&ed, &rsa] {
        let token = codec.sign(key, &claims()).expect("signed");
        assert_eq!(codec.decode(&token, &ring), Ok(claims()), "{}", key.kid);
    }
}

/// RFC 8725 §2.1, §3.1: the algorithm is the key's; a header that names another one,
/// `none` or an HMAC keyed with the public key is refused.
#[test]
fn a_header_alg_other_than_the_keys_is_refused() {
    let codec = JwtCodec::default();
    let rsa = key(&codec, "rsa", SigningAlg::RS256);
    let ed = key(&codec, "ed", SigningAlg::EdDSA);
    let ring = KeyRing::new(vec![rsa.clone(), ed.clone()]);
    let genuine = codec.sign(&rsa, &claims()).expect("signed");

    let says_eddsa = with_header(&genuine, r#"{"alg":"EdDSA","typ":"at+jwt","kid":"rsa"}"#);
    assert_eq!(
        codec.decode(&says_eddsa, &ring),
        Err(CodecError::BadSignature)
    );

    // An Ed25519 signature under the RSA key's kid: a real signature, the wrong key type.
    let ed_signed = codec.sign(&ed, &claims()).expect("signed");
    let ed_as_rsa = with_header(&ed_signed, r#"{"alg":"EdDSA","typ":"at+jwt","kid":"rsa"}"#);
    assert!(codec.decode(&ed_as_rsa, &ring).is_err());
    let rsa_named = with_header(&ed_signed, r#"{"alg":"RS256","typ":"at+jwt","kid":"rsa"}"#);
    assert_eq!(
        codec.decode(&rsa_named, &ring),
        Err(CodecError::BadSignature)
    );

    let none = with_header(&genuine, r#"{"alg":"none","typ":"at+jwt","kid":"rsa"}"#);
    assert!(codec.decode(&none, &ring).is_err());
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"rsa"}"#),
        genuine.split('.').nth(1).unwrap_or_default()
    );
    assert!(codec.decode(&unsigned, &ring).is_err());

    // The classic confusion: HS256 with the RSA public key's modulus as the secret.
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    header.kid = Some("rsa".into());
    let secret = rsa.public.n.clone().unwrap_or_default();
    let hmac = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("signed");
    assert_eq!(codec.decode(&hmac, &ring), Err(CodecError::BadSignature));
}

#[test]
fn id_tokens_are_plain_jwts_that_are_not_access_tokens() {
    let codec = JwtCodec::default();
    let rsa = key(&codec, "rsa", SigningAlg::RS256);
    let claims = IdTokenClaims {
        iss: "http://issuer".into(),
        sub: "user".into(),
        aud: "client".into(),
        exp: UnixTime(2_000_000_000),
        iat: UnixTime(1_999_998_200),
        auth_time: None,
        nonce: Some("n-0S6_WzA2Mj".into()),
        at_hash: Some(ciam_domain::at_hash("token", SigningAlg::RS256)),
        sid: None,
    };
    let token = codec.sign_id_token(&rsa, &claims).expect("signed");
    assert_eq!(
        header_of(&token),
        serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "rsa"})
    );
    let payload: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap_or_default())
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let names: Vec<&str> = payload
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        vec!["at_hash", "aud", "exp", "iat", "iss", "nonce", "sub"],
        "absent claims are left out, never null"
    );
    let ring = KeyRing::new(vec![rsa.clone()]);
    assert_eq!(codec.decode(&token, &ring), Err(CodecError::Malformed));
    // What a relying party does (Core §3.1.3.7): verify RS256 with the JWKS key.
    let decoding = rsa_decoding_key(&rsa).expect("key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["client"]);
    validation.validate_exp = false;
    let verified =
        jsonwebtoken::decode::<IdTokenClaims>(&token, &decoding, &validation).expect("verifies");
    assert_eq!(verified.claims, claims);
}

#[test]
fn rsa_keys_under_2048_bits_never_sign() {
    use rsa::pkcs8::EncodePrivateKey as _;
    let small = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("key");
    let mut key = key(&JwtCodec::default(), "small", SigningAlg::RS256);
    key.private_der = small.to_pkcs8_der().expect("der").as_bytes().to_vec();
    assert!(matches!(
        JwtCodec::default().sign(&key, &claims()),
        Err(CodecError::Signing(_))
    ));
}

#[test]
fn a_key_stored_under_the_wrong_algorithm_does_not_sign() {
    let codec = JwtCodec::default();
    let mut ed = key(&codec, "ed", SigningAlg::EdDSA);
    ed.algorithm = SigningAlg::RS256;
    assert!(matches!(
        codec.sign(&ed, &claims()),
        Err(CodecError::Signing(_))
    ));
}
