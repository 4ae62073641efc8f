//! Domain errors. Adapters translate their driver errors into `StoreError`,
//! `DenylistError` and `CodecError`; the HTTP edge maps `OAuthError` to a response once.

/// The outcome of an OAuth request that did not succeed. Each variant is an RFC 6749 §5.2
/// (or RFC 7009 §2.2.1) error code, or `Unavailable` for a fault that is nobody's mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// Client authentication failed, or the client may not act on this token.
    #[error("invalid_client")]
    InvalidClient,
    #[error("invalid_grant")]
    InvalidGrant,
    #[error("unauthorized_client")]
    UnauthorizedClient,
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("invalid_scope")]
    InvalidScope,
    /// Too many failed sign-in attempts for this username or from this address: retry
    /// after that many seconds (RFC 6749 §4.3.2 brute-force protection).
    #[error("too many failed attempts; retry after {retry_after} s")]
    TooManyAttempts { retry_after: i64 },
    /// A dependency (store, denylist) failed: the caller must retry, and for revocation
    /// must assume the token is still valid (RFC 7009 §2.2.1).
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
}

impl OAuthError {
    /// The RFC 6749 §5.2 `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::TooManyAttempts { .. } | OAuthError::Unavailable(_) => {
                "temporarily_unavailable"
            }
        }
    }
}

/// A storage failure. `Unavailable` is an outage (retry later); it must never be read
/// as "not found".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store returned corrupt data: {0}")]
    Corrupt(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("denylist unavailable: {0}")]
pub struct DenylistError(pub String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Not a JWT we could parse, or not an access token (`typ` is not `at+jwt`).
    #[error("malformed token")]
    Malformed,
    /// Signed by a key we do not hold.
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
    #[error("signing failed: {0}")]
    Signing(String),
    /// Password hashing is saturated: as many hashes run as memory allows, and this one
    /// waited its limit for a turn.
    #[error("password hashing saturated")]
    Saturated,
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        OAuthError::Unavailable(error.to_string())
    }
}

impl From<DenylistError> for OAuthError {
    fn from(error: DenylistError) -> Self {
        OAuthError::Unavailable(error.to_string())
    }
}
