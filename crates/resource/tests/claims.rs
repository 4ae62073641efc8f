//! Every header and claim check, each with the `Rejection` it must give: on tokens signed
//! by local keys (an in-memory JWKS), and on a real ciam's tokens.

use std::sync::Arc;
use std::time::Duration;

use ciam_resource::{
    Algorithm, DenylistConfig, EventKind, JwkSet, Rejection, RevocationSet, Verifier,
    VerifierConfig,
};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use crate::support::ciam::Ciam;
use crate::support::keys::{self, claims, mint, mint_with, raw, AUDIENCE, ED_KID, ISSUER};
use crate::support::Mode;

fn local(set: Arc<RevocationSet>) -> Verifier {
    local_with(|_| {}, set)
}

fn local_with(change: impl FnOnce(&mut VerifierConfig), set: Arc<RevocationSet>) -> Verifier {
    let mut config = VerifierConfig::new(ISSUER, AUDIENCE, DenylistConfig::Memory(set));
    change(&mut config);
    Verifier::with_jwks(config, &keys::jwks()).expect("verifier")
}

fn verdict(verifier: &Verifier, token: &str) -> Result<(), Rejection> {
    verifier.verify(token).map(|_| ())
}

#[test]
fn eddsa_rs256_and_es256_tokens_verify_with_their_keys() {
    let verifier = local(Arc::default());
    for alg in [Algorithm::EdDSA, Algorithm::RS256, Algorithm::ES256] {
        let claims = claims(Some("g"));
        let verified = verifier
            .verify(&mint(alg, &claims))
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(verified.jti, claims["jti"].as_str().expect("jti"));
        assert_eq!(verified.gid.as_deref(), Some("g"));
        assert!(verified.has_scope("write"));
    }
}

#[test]
fn expiry_and_not_before_honour_the_leeway() {
    let verifier = local(Arc::default());
    let now = keys::now();
    let at = |exp: i64, nbf: Option<i64>| {
        let mut claims = claims(None);
        claims["exp"] = json!(exp);
        if let Some(nbf) = nbf {
            claims["nbf"] = json!(nbf);
        }
        verdict(&verifier, &mint(Algorithm::EdDSA, &claims))
    };
    // Default leeway: 5 s.
    assert_eq!(at(now - 60, None), Err(Rejection::Expired));
    assert_eq!(at(now - 6, None), Err(Rejection::Expired));
    assert_eq!(at(now - 2, None), Ok(()));
    assert_eq!(at(now + 300, Some(now + 60)), Err(Rejection::NotYetValid));
    assert_eq!(at(now + 300, Some(now + 2)), Ok(()));

    let strict = local_with(|c| c.leeway = Duration::ZERO, Arc::default());
    let mut claims = claims(None);
    claims["exp"] = json!(now - 1);
    assert_eq!(
        verdict(&strict, &mint(Algorithm::EdDSA, &claims)),
        Err(Rejection::Expired)
    );
}

#[test]
fn issuer_and_audience_must_match_exactly() {
    let verifier = local(Arc::default());
    for (claim, value, expected) in [
        ("iss", "https://evil.test", Rejection::WrongIssuer),
        ("iss", "https://issuer.test/", Rejection::WrongIssuer),
        ("aud", "https://other-api.test", Rejection::WrongAudience),
        ("aud", "https://API.test", Rejection::WrongAudience),
    ] {
        let mut claims = claims(None);
        claims[claim] = json!(value);
        assert_eq!(
            verdict(&verifier, &mint(Algorithm::EdDSA, &claims)),
            Err(expected),
            "{claim}={value}"
        );
    }
    let mut missing = claims(None);
    missing.as_object_mut().expect("object").remove("jti");
    assert_eq!(
        verdict(&verifier, &mint(Algorithm::EdDSA, &missing)),
        Err(Rejection::Malformed)
    );
}

#[test]
fn alg_none_is_refused() {
    let verifier = local(Arc::default());
    for alg in ["none", "None", "NONE"] {
        let token = raw(
            &json!({"alg": alg, "typ": "at+jwt", "kid": ED_KID}),
            &claims(None),
            "",
        );
        assert_eq!(
            verdict(&verifier, &token),
            Err(Rejection::UnsupportedAlgorithm),
            "{alg}"
        );
    }
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let verifier = local(Arc::default());
    let x = keys::ED25519_X;
    let raw_public = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, x)
        .expect("x is base64url");
    let jwks_text = serde_json::to_string(&keys::jwks()).expect("JSON");
    for secret in [raw_public.as_slice(), x.as_bytes(), jwks_text.as_bytes()] {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut header = Header::new(alg);
            header.typ = Some("at+jwt".into());
            header.kid = Some(ED_KID.into());
            let token = mint_with(&header, &claims(None), &EncodingKey::from_secret(secret));
            assert_eq!(
                verdict(&verifier, &token),
                Err(Rejection::UnsupportedAlgorithm),
                "{alg:?}"
            );
        }
    }
    // Nor can HMAC be configured in.
    let mut config = VerifierConfig::new(ISSUER, AUDIENCE, DenylistConfig::Memory(Arc::default()));
    config.algorithms.push(Algorithm::HS256);
    assert!(Verifier::with_jwks(config, &keys::jwks()).is_err());
    // And a symmetric key in a JWKS is never used.
    let oct: JwkSet = serde_json::from_value(json!({"keys": [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"}
    ]}))
    .expect("JWKS");
    let config = VerifierConfig::new(ISSUER, AUDIENCE, DenylistConfig::Memory(Arc::default()));
    assert!(Verifier::with_jwks(config, &oct).is_err(), "no usable key");
}

#[test]
fn the_algorithm_must_be_the_keys() {
    let verifier = local(Arc::default());
    // An RSA signature presented under the Ed25519 key's kid, and the other way round.
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("at+jwt".into());
    header.kid = Some(ED_KID.into());
    let token = mint_with(
        &header,
        &claims(None),
        &keys::encoding_key(Algorithm::RS256),
    );
    assert_eq!(
        verdict(&verifier, &token),
        Err(Rejection::UnsupportedAlgorithm)
    );
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("at+jwt".into());
    header.kid = Some(keys::RSA_KID.into());
    let token = mint_with(
        &header,
        &claims(None),
        &keys::encoding_key(Algorithm::ES256),
    );
    assert_eq!(
        verdict(&verifier, &token),
        Err(Rejection::UnsupportedAlgorithm)
    );
    // PS256 with the RSA key whose JWK says RS256, even when PS256 is allowed.
    let permissive = local_with(|c| c.algorithms.push(Algorithm::PS256), Arc::default());
    let mut header = Header::new(Algorithm::PS256);
    header.typ = Some("at+jwt".into());
    header.kid = Some(keys::RSA_KID.into());
    let token = mint_with(
        &header,
        &claims(None),
        &keys::encoding_key(Algorithm::PS256),
    );
    assert_eq!(
        verdict(&permissive, &token),
        Err(Rejection::UnsupportedAlgorithm)
    );
    // An algorithm the configuration leaves out.
    let eddsa_only = local_with(|c| c.algorithms = vec![Algorithm::EdDSA], Arc::default());
    assert_eq!(
        verdict(&eddsa_only, &mint(Algorithm::RS256, &claims(None))),
        Err(Rejection::UnsupportedAlgorithm)
    );
}

#[test]
fn tampered_tokens_and_other_keys_are_bad_signatures() {
    let verifier = local(Arc::default());
    let token = mint(Algorithm::EdDSA, &claims(None));
    let parts: Vec<&str> = token.split('.').collect();

    let mut forged = claims(None);
    forged["sub"] = json!("admin");
    let forged_payload = raw(&json!({}), &forged, "");
    let forged_payload = forged_payload.split('.').nth(1).expect("payload");
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(verdict(&verifier, &tampered), Err(Rejection::BadSignature));

    let mut signature = parts[2].to_owned().into_bytes();
    signature[10] = if signature[10] == b'A' { b'B' } else { b'A' };
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        String::from_utf8(signature).expect("ASCII")
    );
    assert_eq!(verdict(&verifier, &tampered), Err(Rejection::BadSignature));

    // Signed by another Ed25519 key claiming the known kid.
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".into());
    header.kid = Some(ED_KID.into());
    let other = EncodingKey::from_ed_der(&[
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
        24, 25, 26, 27, 28, 29, 30, 31, 32,
    ]);
    assert_eq!(
        verdict(&verifier, &mint_with(&header, &claims(None), &other)),
        Err(Rejection::BadSignature)
    );

    for malformed in ["", "abc", "a.b.c", &format!("{}.{}", parts[0], parts[1])] {
        assert_eq!(
            verdict(&verifier, malformed),
            Err(Rejection::Malformed),
            "{malformed}"
        );
    }
}

#[test]
fn only_access_tokens_and_known_keys() {
    let verifier = local(Arc::default());
    for (typ, expected) in [
        (Some("JWT"), Err(Rejection::WrongType)),
        (None, Err(Rejection::WrongType)),
        (Some("application/at+jwt"), Ok(())),
        (Some("AT+JWT"), Ok(())),
    ] {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = typ.map(str::to_owned);
        header.kid = Some(ED_KID.into());
        let token = mint_with(
            &header,
            &claims(None),
            &keys::encoding_key(Algorithm::EdDSA),
        );
        assert_eq!(verdict(&verifier, &token), expected, "{typ:?}");
    }
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".into());
    header.kid = Some("someone-else".into());
    let token = mint_with(
        &header,
        &claims(None),
        &keys::encoding_key(Algorithm::EdDSA),
    );
    assert_eq!(verdict(&verifier, &token), Err(Rejection::UnknownKey));
    header.kid = None;
    let token = mint_with(
        &header,
        &claims(None),
        &keys::encoding_key(Algorithm::EdDSA),
    );
    assert_eq!(verdict(&verifier, &token), Err(Rejection::UnknownKey));
}

#[test]
fn the_memory_denylist_refuses_by_jti_and_by_grant_until_until() {
    let set = Arc::new(RevocationSet::new());
    let verifier = local(Arc::clone(&set));
    let by_jti = claims(None);
    let by_grant = claims(Some("grant-7"));
    let mut expired_entry = claims(None);
    expired_entry["jti"] = json!("old");
    let now = keys::now();
    set.insert(
        EventKind::Jti,
        by_jti["jti"].as_str().expect("jti"),
        now + 300,
    );
    set.insert(EventKind::Gid, "grant-7", now + 300);
    set.insert(EventKind::Jti, "old", now - 1);
    assert_eq!(
        verdict(&verifier, &mint(Algorithm::EdDSA, &by_jti)),
        Err(Rejection::Revoked)
    );
    assert_eq!(
        verdict(&verifier, &mint(Algorithm::ES256, &by_grant)),
        Err(Rejection::Revoked)
    );
    assert_eq!(
        verdict(&verifier, &mint(Algorithm::EdDSA, &expired_entry)),
        Ok(())
    );
}

#[test]
fn a_real_ciams_token_for_another_audience_or_issuer_is_refused() {
    let ciam = Ciam::shared_embedded();
    let client = ciam.client();
    let token = ciam.client_token(&client);
    let mut config = crate::support::config(ciam, Mode::Introspection, &client);
    config.audience = "http://127.0.0.1:1/other-api".into();
    let verifier = Verifier::new(config).expect("verifier");
    assert_eq!(verdict(&verifier, &token), Err(Rejection::WrongAudience));

    // The same keys, served as a static JWKS, for a verifier expecting another issuer.
    let jwks: JwkSet = crate::support::ciam::agent()
        .get(&ciam.url("/oauth2/jwks"))
        .call()
        .map(|response| serde_json::from_reader(response.into_reader()).expect("JWKS JSON"))
        .expect("JWKS");
    let verifier = Verifier::with_jwks(
        VerifierConfig::new(
            "http://other-issuer.test",
            &ciam.issuer,
            DenylistConfig::Memory(Arc::default()),
        ),
        &jwks,
    )
    .expect("verifier");
    assert_eq!(verdict(&verifier, &token), Err(Rejection::WrongIssuer));
}
