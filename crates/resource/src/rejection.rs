//! Why a token was not accepted.

use std::fmt;

/// Why [`Verifier::verify`](crate::Verifier::verify) did not accept a token.
///
/// The first group says the token is bad (answer `401 invalid_token`); the last three say
/// this server cannot tell right now and fails closed (answer `503`, see
/// [`is_unavailable`](Rejection::is_unavailable)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a JWS in compact form, undecodable, a `crit` header, or claims missing.
    Malformed,
    /// The header's `typ` is not `at+jwt` (RFC 9068 §4): e.g. an ID token.
    WrongType,
    /// `alg` is `none`, HMAC, not allowed by the configuration, or not the algorithm of the
    /// key named by `kid` (RFC 8725 §3.1).
    UnsupportedAlgorithm,
    /// No key of the issuer has this `kid` (after a refetch, when one was allowed).
    UnknownKey,
    /// The signature does not verify with the key.
    BadSignature,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` is not the configured audience.
    WrongAudience,
    /// `exp` has passed (beyond the leeway).
    Expired,
    /// `nbf` is still ahead (beyond the leeway).
    NotYetValid,
    /// The token, or its grant, is revoked.
    Revoked,
    /// The denylist did not answer (Redis down or too slow, or the synced copy not loaded
    /// yet, or Redis's denylist known to be incomplete).
    DenylistUnavailable,
    /// The synced copy lost its subscription longer ago than the staleness bound.
    DenylistStale,
    /// The issuer did not answer: discovery, JWKS or introspection failed.
    IssuerUnavailable,
}

impl Rejection {
    /// Whether the token may well be valid and this server could not tell: a `503` with
    /// `Retry-After`, never a `401`.
    pub fn is_unavailable(self) -> bool {
        matches!(
            self,
            Rejection::DenylistUnavailable
                | Rejection::DenylistStale
                | Rejection::IssuerUnavailable
        )
    }

    /// Words for the client (`error_description`): what is wrong with the token, nothing
    /// about this server's insides.
    pub fn description(self) -> &'static str {
        match self {
            Rejection::Malformed => "The access token is malformed",
            Rejection::WrongType => "The token is not an access token",
            Rejection::UnsupportedAlgorithm
            | Rejection::UnknownKey
            | Rejection::BadSignature
            | Rejection::WrongIssuer => "The access token is not valid",
            Rejection::WrongAudience => "The access token is not for this resource",
            Rejection::Expired => "The access token expired",
            Rejection::NotYetValid => "The access token is not valid yet",
            Rejection::Revoked => "The access token was revoked",
            Rejection::DenylistUnavailable
            | Rejection::DenylistStale
            | Rejection::IssuerUnavailable => "The token cannot be checked now; retry later",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self {
            Rejection::Malformed => "malformed token",
            Rejection::WrongType => "typ is not at+jwt",
            Rejection::UnsupportedAlgorithm => "algorithm not accepted for this key",
            Rejection::UnknownKey => "unknown signing key",
            Rejection::BadSignature => "bad signature",
            Rejection::WrongIssuer => "wrong issuer",
            Rejection::WrongAudience => "wrong audience",
            Rejection::Expired => "expired",
            Rejection::NotYetValid => "not yet valid",
            Rejection::Revoked => "revoked",
            Rejection::DenylistUnavailable => "denylist unavailable",
            Rejection::DenylistStale => "denylist stale",
            Rejection::IssuerUnavailable => "issuer unavailable",
        };
        f.write_str(reason)
    }
}

impl std::error::Error for Rejection {}
