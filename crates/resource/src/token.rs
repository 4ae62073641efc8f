//! The checks that need no key and no I/O: the JWS header before the signature, the claims
//! after it.

use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_contract::{AccessTokenClaims, ACCESS_TOKEN_TYP};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::config::is_symmetric;
use crate::Rejection;

/// Longer tokens are refused before any decoding. ciam's are about 500 bytes.
pub(crate) const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The header fields that decide how a token is checked.
#[derive(Debug)]
pub(crate) struct Header {
    pub alg: Algorithm,
    pub kid: Option<String>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Parses and checks the header: compact form, an allowed asymmetric `alg` (never `none`,
/// never `HS*`: RFC 8725 §3.1), `typ` `at+jwt` (RFC 9068 §4: compared case-insensitively,
/// `application/` prefix optional, RFC 7515 §4.1.9), no `crit` (RFC 7515 §4.1.11: no
/// extension is understood here).
pub(crate) fn parse_header(token: &str, allowed: &[Algorithm]) -> Result<Header, Rejection> {
    if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
        return Err(Rejection::Malformed);
    }
    let encoded = token.split('.').next().unwrap_or_default();
    let json = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| Rejection::Malformed)?;
    let raw: RawHeader = serde_json::from_slice(&json).map_err(|_| Rejection::Malformed)?;
    let alg = Algorithm::from_str(&raw.alg).map_err(|_| Rejection::UnsupportedAlgorithm)?;
    if is_symmetric(alg) || !allowed.contains(&alg) {
        return Err(Rejection::UnsupportedAlgorithm);
    }
    let typ = raw.typ.as_deref().unwrap_or_default().to_ascii_lowercase();
    let typ = typ.strip_prefix("application/").unwrap_or(&typ);
    if typ != ACCESS_TOKEN_TYP {
        return Err(Rejection::WrongType);
    }
    if raw.crit.is_some() {
        return Err(Rejection::Malformed);
    }
    Ok(Header { alg, kid: raw.kid })
}

/// The claims, and `nbf`, which RFC 9068 allows and the contract's struct leaves out.
#[derive(Deserialize)]
struct Wire {
    #[serde(flatten)]
    claims: AccessTokenClaims,
    #[serde(default)]
    nbf: Option<i64>,
}

/// Verifies the signature with `key` for exactly `alg`, then decodes the claims.
pub(crate) fn verify_signature(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
) -> Result<(AccessTokenClaims, Option<i64>), Rejection> {
    let mut validation = Validation::new(alg);
    // Expiry, issuer and audience are checked by `check_claims`, with typed answers.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Wire>(token, key, &validation)
        .map(|data| (data.claims.claims, data.claims.nbf))
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::InvalidSignature => Rejection::BadSignature,
                ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidAlgorithmName
                | ErrorKind::InvalidKeyFormat => Rejection::UnsupportedAlgorithm,
                // An unparsable key (e.g. a malformed JWK) cannot verify anything.
                ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) => Rejection::BadSignature,
                _ => Rejection::Malformed,
            }
        })
}

/// What the claims must say.
#[derive(Clone, Debug)]
pub(crate) struct ClaimRules {
    pub issuer: String,
    pub audience: String,
    pub leeway: i64,
}

impl ClaimRules {
    /// `iss` exact, `aud` exact, `now < exp + leeway`, `nbf <= now + leeway`.
    pub fn check(
        &self,
        claims: &AccessTokenClaims,
        nbf: Option<i64>,
        now: i64,
    ) -> Result<(), Rejection> {
        if claims.iss != self.issuer {
            return Err(Rejection::WrongIssuer);
        }
        if claims.aud != self.audience {
            return Err(Rejection::WrongAudience);
        }
        if now >= claims.exp.saturating_add(self.leeway) {
            return Err(Rejection::Expired);
        }
        if nbf.is_some_and(|nbf| nbf > now.saturating_add(self.leeway)) {
            return Err(Rejection::NotYetValid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> String {
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(json))
    }

    const ALLOWED: &[Algorithm] = &[Algorithm::EdDSA, Algorithm::RS256];

    #[test]
    fn typ_is_at_jwt_in_any_case_with_or_without_application() {
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/AT+JWT",
        ] {
            let parsed = parse_header(
                &header(&format!(r#"{{"alg":"EdDSA","typ":"{typ}","kid":"k"}}"#)),
                ALLOWED,
            );
            assert!(parsed.is_ok(), "{typ}: {parsed:?}");
        }
        for typ in [r#""JWT""#, r#""at+jwt+x""#, "null"] {
            assert_eq!(
                parse_header(
                    &header(&format!(r#"{{"alg":"EdDSA","typ":{typ}}}"#)),
                    ALLOWED
                )
                .map(|_| ()),
                Err(Rejection::WrongType),
                "{typ}"
            );
        }
    }

    #[test]
    fn none_hmac_and_unlisted_algorithms_are_refused() {
        for alg in ["none", "HS256", "HS512", "ES256", "XYZ", ""] {
            assert_eq!(
                parse_header(
                    &header(&format!(r#"{{"alg":"{alg}","typ":"at+jwt"}}"#)),
                    ALLOWED
                )
                .map(|_| ()),
                Err(Rejection::UnsupportedAlgorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn malformed_headers() {
        for token in [
            "",
            "a.b",
            "a.b.c.d",
            "!!!.e30.sig",
            &format!("{}.e30.sig", URL_SAFE_NO_PAD.encode("not json")),
            &header(r#"{"alg":"EdDSA","typ":"at+jwt","crit":["exp"]}"#),
            &"a".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert_eq!(
                parse_header(token, ALLOWED).map(|_| ()),
                Err(Rejection::Malformed),
                "{token}"
            );
        }
    }

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "http://issuer".into(),
            sub: "alice".into(),
            aud: "http://api".into(),
            exp: 1_000,
            iat: 700,
            jti: "j".into(),
            client_id: "c".into(),
            scope: None,
            gid: None,
        }
    }

    #[test]
    fn claim_rules_with_leeway() {
        let rules = ClaimRules {
            issuer: "http://issuer".into(),
            audience: "http://api".into(),
            leeway: 5,
        };
        assert_eq!(rules.check(&claims(), None, 999), Ok(()));
        assert_eq!(rules.check(&claims(), None, 1_004), Ok(()));
        assert_eq!(rules.check(&claims(), None, 1_005), Err(Rejection::Expired));
        assert_eq!(rules.check(&claims(), Some(905), 900), Ok(()));
        assert_eq!(
            rules.check(&claims(), Some(906), 900),
            Err(Rejection::NotYetValid)
        );
        let mut other = claims();
        other.iss = "http://issuer/".into();
        assert_eq!(rules.check(&other, None, 900), Err(Rejection::WrongIssuer));
        let mut other = claims();
        other.aud = "http://other".into();
        assert_eq!(
            rules.check(&other, None, 900),
            Err(Rejection::WrongAudience)
        );
    }
}
