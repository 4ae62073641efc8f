//! The verified-token cache seen through the codec: a token verified once is answered
//! from memory only while its key is in the ring unchanged; nothing unverified is ever
//! remembered.

use super::fixtures;
use super::*;

fn claims(jti: &str) -> AccessClaims {
    fixtures::claims_with_jti(jti)
}

fn key(codec: &JwtCodec, kid: &str) -> SigningKey {
    fixtures::key(codec, kid, SigningAlg::EdDSA)
}

#[test]
fn a_token_verified_once_decodes_again_to_the_same_claims() {
    let codec = JwtCodec::default();
    let key = key(&codec, "k1");
    let ring = KeyRing::new(vec![key.clone()]);
    let token = codec.sign(&key, &claims("a")).expect("signed");
    assert_eq!(codec.decode(&token, &ring), Ok(claims("a")));
    assert_eq!(
        codec.decode(&token, &ring),
        Ok(claims("a")),
        "from the cache"
    );
    let other = codec.sign(&key, &claims("b")).expect("signed");
    assert_eq!(codec.decode(&other, &ring), Ok(claims("b")), "per token");
}

#[test]
fn a_cached_token_is_refused_once_its_key_leaves_the_ring() {
    let codec = JwtCodec::default();
    let (k1, k2) = (key(&codec, "k1"), key(&codec, "k2"));
    let token = codec.sign(&k1, &claims("a")).expect("signed");
    assert!(codec.decode(&token, &KeyRing::new(vec![k1])).is_ok());
    assert_eq!(
        codec.decode(&token, &KeyRing::new(vec![k2])),
        Err(CodecError::UnknownKey)
    );
}

#[test]
fn a_cached_token_is_refused_when_its_kid_names_other_key_material() {
    let codec = JwtCodec::default();
    let k1 = key(&codec, "k1");
    let token = codec.sign(&k1, &claims("a")).expect("signed");
    assert!(codec.decode(&token, &KeyRing::new(vec![k1])).is_ok());
    let replaced = key(&codec, "k1");
    assert_eq!(
        codec.decode(&token, &KeyRing::new(vec![replaced])),
        Err(CodecError::BadSignature),
        "verified anew against the key the ring holds now"
    );
}

#[test]
fn refused_tokens_are_never_remembered() {
    let codec = JwtCodec::default();
    let (k1, stranger) = (key(&codec, "k1"), key(&codec, "k1"));
    let ring = KeyRing::new(vec![k1]);
    // Signed by a key the ring does not hold, under a `kid` it does.
    let forged = codec.sign(&stranger, &claims("a")).expect("signed");
    for _ in 0..2 {
        assert_eq!(codec.decode(&forged, &ring), Err(CodecError::BadSignature));
    }
}

#[test]
fn a_token_that_differs_by_one_character_is_verified_on_its_own() {
    let codec = JwtCodec::default();
    let k1 = key(&codec, "k1");
    let ring = KeyRing::new(vec![k1.clone()]);
    let token = codec.sign(&k1, &claims("a")).expect("signed");
    assert!(codec.decode(&token, &ring).is_ok());
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let mut tampered = signature.as_bytes().to_vec();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{signed}.{}", String::from_utf8_lossy(&tampered));
    assert_eq!(
        codec.decode(&tampered, &ring),
        Err(CodecError::BadSignature)
    );
}

#[test]
fn id_tokens_are_never_answered_from_the_access_token_cache() {
    let codec = JwtCodec::default();
    let k1 = key(&codec, "k1");
    let ring = KeyRing::new(vec![k1.clone()]);
    let token = codec.sign(&k1, &claims("a")).expect("signed");
    assert!(codec.decode(&token, &ring).is_ok());
    assert_eq!(
        codec.decode_id_token(&token, &ring),
        Err(CodecError::Malformed),
        "an access token is no ID token, cached or not"
    );
}

#[test]
fn with_no_capacity_every_decode_verifies() {
    let codec = JwtCodec::with_verified_tokens(0);
    let k1 = key(&codec, "k1");
    let token = codec.sign(&k1, &claims("a")).expect("signed");
    assert!(codec.decode(&token, &KeyRing::new(vec![k1])).is_ok());
    assert_eq!(
        codec.decode(&token, &KeyRing::default()),
        Err(CodecError::UnknownKey)
    );
}
