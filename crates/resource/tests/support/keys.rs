//! Local signing keys (Ed25519, RSA-2048, P-256), an in-memory JWKS of their public halves,
//! and a minter of tokens with any header and claims: for the checks that need tokens ciam
//! would never issue, and for the benchmarks. TEST KEYS ONLY: the private keys are public.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ciam_resource::{Algorithm, JwkSet};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{json, Value};

pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "https://api.test";

/// PKCS#8 DER, base64.
const ED25519_PKCS8: &str = "MC4CAQAwBQYDK2VwBCIEIDYhdP3eV3mV2db6G7OYyKF2AknOeZkNRSTPWWmD0Evb";
/// Its public key, base64url (the JWK's `x`).
pub const ED25519_X: &str = "qi-f6TLL0b1WXSoRSis3Q3ib3KIaPXmx2qZ80d99nyc";
/// PKCS#1 DER, base64.
const RSA_PKCS1: &str = "MIIEpQIBAAKCAQEAp6e/VbanKD1FUijlRBXj3FCpmsEsTmM6bpfqr0vmN97wHVpHkqtc/ssZboMm4FiDmM9jXa28OsOF27byqsEzSutXXvlrebX0l3tIIsDbYVCO8BpIZ1vQ8s62TtutvjgDkaNX910+ojWZjVuNhgaFxrbBLhhGSztJate75JBvuVjTXyF69C35rJm5+c1jRG0mKwHHHOu3VH54W3a8XEADWVa4/EJZGyPLhwCtTOF1g0xIPCfYj8aC/1rQlLPeX2QpVemDMefe5L5/Q33q1c96H74MDC5opMJ9cD1WqRFqmqTBdLMEis8x9BukNb0giamNIXlgigu7jgof5Fx+QpxbiwIDAQABAoIBAE3OQTMXocrAaJ/g/8lRuV4hBx0dQiEc1tzFXvI8cJqEOX39zFKKeY17lxFdB1k9atErietLOhwxajlV1ZeeMt41iuY2LYUeBuWYHpmWVBl9B+Dw6aIiD73nZd8B/0dUen+HxUa0vOENq/XYw7yr4UCfxtZMCK9YU9GkTfwcdeUXTd8r6MqK4W7CjEGh1FrFhDfUS0QghCyIlSg47zQvOsesPtm4QR++S5fQnNuzGm9Kr0SYn1x3FJcDvReE0TsHsX+9EWsJTlu7L0IxqVz5lfGGvRXHnSMaFGUo4Wp6KVrx5g2ThI+yOvafN2y8ZTQ4OVvXQ/gHiiZbGmh1OkQvfmUCgYEA25Ted5gU3C7zf+mb7Xy68WTa2ihXMv+59kLLENhvtENJhVzKluIRf5BbD1dsUjQMNNNSwRwnXZy7WjMdd7FIUaxtNCKORfnsout8QdEU/C116dRX2d7y5Zqyj08JrOWavVss0pH4sOome62i0Q9tZ6KSOl5CaOgG/fWRk2bu3P0CgYEAw3YpGxVl0vcWF+N5BquL4iqTXIuA8MjDzcNSMGbvdwNfuwLigCuVdwuOrdw075M71DQfIeellajI2R13CGxWssVPzn9LcemS3Q1EoC3vPO+9ANgrG4iA60hpS4vyY3ARWfqcrh8cp453LzCfLqzhgLKu+bOLdMN8kBx952HyxScCgYEAsAdF2OYIQwM4nWBvahFF5GKPt7gDP5UWRT8Cf3yjAAW5GLpshkyw7myRM1lIMxYaeva2Lq0dOcR9xS+Y/e0XJrJt0Q+qsppKg8j4EeNFSWxATLW3v6clXb+ISa54+SwPwqEm65+tmFX9h8SI88PEVwJS64vI/USU5l5I17v63RkCgYEAidNUAOkBt9TLG2Um/fEQ3hWve15TOXYXu4uy9LZgvMcARdou5LnW1u6rWSUhnp1vXp6yJTI2rGUr2wzP1nyuVbiUIcPY6yYMjRrB/UDmpU1XNLU5EF0cqsuQk9jGvh9T3OK+gHknt27Z08ixNjRpflqAz0ovV9JQjz3H+dQzX5kCgYEAyP7/g9DHtSCBvtul/K6Yy/gw3poilDoedz4hjPmNHNi0n29gRL3LwkdzPC3hmp3wJm25UcfaPCSj/dvfgwmN2E5bI/vCR/Y+vyvZhlwHckh391Om6/16Tf8hrZcw6UQqZKNeCwNBCYT8ugrmF89xklCaApy90p0VMUqHFtB3BkY=";
/// PKCS#8 DER, base64.
const P256_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIW3fC/OCiwXKKIBfAK1iBZdavhSjXYRZ3KsW/g2sd76hRANCAARNxbgDrFS5ZfYoDixdm0cP5zWQZa/1szaIVtmGhom8AfgTTnoxR9LoJ1pOcgb+KyLiKTVHsmG4ntbfEXVHkLE0";

/// The `kid`s of the three keys.
pub const ED_KID: &str = "ed-1";
pub const RSA_KID: &str = "rsa-1";
pub const EC_KID: &str = "ec-1";

fn der(base64: &str) -> Vec<u8> {
    STANDARD.decode(base64).expect("test key is base64")
}

pub fn encoding_key(alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::EdDSA => EncodingKey::from_ed_der(&der(ED25519_PKCS8)),
        Algorithm::RS256 | Algorithm::PS256 => EncodingKey::from_rsa_der(&der(RSA_PKCS1)),
        Algorithm::ES256 => EncodingKey::from_ec_der(&der(P256_PKCS8)),
        other => panic!("no test key for {other:?}"),
    }
}

pub fn kid_of(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::EdDSA => ED_KID,
        Algorithm::RS256 | Algorithm::PS256 => RSA_KID,
        Algorithm::ES256 => EC_KID,
        other => panic!("no test key for {other:?}"),
    }
}

fn public_jwk(alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk: Value = match alg {
        Algorithm::EdDSA => json!({"kty": "OKP", "crv": "Ed25519", "x": ED25519_X, "alg": "EdDSA"}),
        _ => serde_json::to_value(
            Jwk::from_encoding_key(&encoding_key(alg), alg).expect("public JWK"),
        )
        .expect("JWK as JSON"),
    };
    jwk["kid"] = json!(kid);
    jwk["use"] = json!("sig");
    serde_json::from_value(jwk).expect("JWK")
}

/// The public JWKS of the three keys, each with its `alg`.
pub fn jwks() -> JwkSet {
    JwkSet {
        keys: vec![
            public_jwk(Algorithm::EdDSA, ED_KID),
            public_jwk(Algorithm::RS256, RSA_KID),
            public_jwk(Algorithm::ES256, EC_KID),
        ],
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .expect("clock after 1970")
}

/// Claims as ciam issues them, for `ISSUER`/`AUDIENCE`, valid for 5 minutes, with a fresh
/// `jti` and the given `gid`.
pub fn claims(gid: Option<&str>) -> Value {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let now = now();
    let mut claims = json!({
        "iss": ISSUER,
        "sub": "alice",
        "aud": AUDIENCE,
        "exp": now + 300,
        "iat": now,
        "jti": format!("jti-{}", NEXT.fetch_add(1, Ordering::Relaxed)),
        "client_id": "client-1",
        "scope": "read write",
    });
    if let Some(gid) = gid {
        claims["gid"] = json!(gid);
    }
    claims
}

/// A token signed with the test key of `alg`, `typ: at+jwt`.
pub fn mint(alg: Algorithm, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid_of(alg).into());
    mint_with(&header, claims, &encoding_key(alg))
}

pub fn mint_with(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).expect("signed")
}

/// A token with a hand-written header and no valid signature: `{header}.{claims}.{sig}`.
pub fn raw(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}
