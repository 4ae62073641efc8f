//! What the codec's test modules sign: one shape of access-token claims and fresh keys.

use super::*;
use ciam_domain::{ClientId, Jti};

/// Claims of a `client_credentials` token, with no grant, named `jti`.
pub(super) fn claims_with_jti(jti: &str) -> AccessClaims {
    AccessClaims {
        iss: "http://issuer".into(),
        sub: "user".into(),
        aud: "http://issuer".into(),
        exp: UnixTime(2_000_000_000),
        iat: UnixTime(1_999_999_700),
        jti: Jti::new(jti),
        client_id: ClientId::new("client"),
        scope: "read".into(),
        gid: None,
    }
}

/// A new key of `alg` named `kid`.
pub(super) fn key(codec: &JwtCodec, kid: &str, alg: SigningAlg) -> SigningKey {
    codec
        .generate_key(Kid::new(kid), alg, UnixTime(0))
        .expect("key")
}
