//! The token endpoint's errors (RFC 6749 §5.2).

use crate::error::{faults_become, Fault};
use crate::scope::InvalidScope;

/// Why a token request was refused. Each variant but the last two is an RFC 6749 §5.2
/// error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
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
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(TokenError::Unavailable);

impl From<InvalidScope> for TokenError {
    fn from(_: InvalidScope) -> Self {
        TokenError::InvalidScope
    }
}

impl TokenError {
    /// The RFC 6749 §5.2 `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidGrant => "invalid_grant",
            TokenError::UnauthorizedClient => "unauthorized_client",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::InvalidScope => "invalid_scope",
            TokenError::TooManyAttempts { .. } | TokenError::Unavailable(_) => {
                "temporarily_unavailable"
            }
        }
    }
}
