//! Each use case's error as an answer: mapped here, once. Faults become a 503 whose log
//! line carries the whole cause; the answer carries none of it.

use actix_web::http::StatusCode;
use ciam_domain::{
    AdminAuthError, AdminOpError, AuthError, Chain, Fault, IntrospectError, InvalidScope,
    RevokeError, Scope, TokenError, ADMIN_SCOPE,
};

use super::ApiError;

impl ApiError {
    /// A 503 for a failure of the edge itself (no domain fault behind it).
    pub fn unavailable(what: &'static str) -> Self {
        tracing::error!(what, "unavailable");
        Self::temporarily_unavailable()
    }

    fn temporarily_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            None,
        )
    }
}

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> Self {
        // The cause names internals: logged here, once, with its whole chain; never sent.
        if fault.is_saturation() {
            tracing::warn!(error = %Chain(&fault), "at capacity");
        } else {
            tracing::error!(error = %Chain(&fault), "dependency unavailable");
        }
        Self::temporarily_unavailable()
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidClient => ApiError::invalid_client(false),
            AuthError::Unavailable(fault) => fault.into(),
        }
    }
}

impl From<RevokeError> for ApiError {
    fn from(error: RevokeError) -> Self {
        match error {
            // RFC 7009 §2.1: the token was issued to another client.
            RevokeError::ForeignToken => ApiError::invalid_client(false),
            RevokeError::Unavailable(fault) => fault.into(),
        }
    }
}

impl From<IntrospectError> for ApiError {
    fn from(error: IntrospectError) -> Self {
        match error {
            IntrospectError::PublicClient => ApiError::invalid_client(false),
            IntrospectError::Unavailable(fault) => fault.into(),
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::InvalidRequest(description) => ApiError::invalid_request(description),
            TokenError::Unavailable(fault) => fault.into(),
            TokenError::TooManyAttempts { retry_after } => Self {
                retry_after: Some(retry_after.max(1)),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "temporarily_unavailable",
                    Some("too many failed attempts; retry after the time in Retry-After"),
                )
            },
            other => Self::new(StatusCode::BAD_REQUEST, other.code(), None),
        }
    }
}

impl From<InvalidScope> for ApiError {
    fn from(error: InvalidScope) -> Self {
        TokenError::from(error).into()
    }
}

/// The admin API answers in problem details (RFC 9457), with the Bearer challenge of
/// RFC 6750 §3 on a 401 or 403.
impl From<AdminAuthError> for ApiError {
    fn from(error: AdminAuthError) -> Self {
        match error {
            AdminAuthError::InvalidToken => ApiError::invalid_token(),
            // RFC 6750 §3: the challenge names the scope the API needs.
            AdminAuthError::InsufficientScope => {
                ApiError::insufficient_scope(&Scope::parse(ADMIN_SCOPE).unwrap_or_default())
            }
            AdminAuthError::Unavailable(fault) => fault.into(),
        }
        .as_problem()
    }
}

impl From<AdminOpError> for ApiError {
    fn from(error: AdminOpError) -> Self {
        match error {
            AdminOpError::NotFound => ApiError::not_found_problem("no user or client with this id"),
            // RFC 9110 §15.5.21: the body was understood, a value in it is not acceptable.
            AdminOpError::InvalidUser(invalid) => {
                ApiError::problem(StatusCode::UNPROCESSABLE_ENTITY, invalid.detail())
            }
            AdminOpError::InvalidQuery(detail) => {
                ApiError::problem(StatusCode::BAD_REQUEST, detail)
            }
            // RFC 9110 §15.5.10: the request conflicts with the current state (a username
            // is unique).
            AdminOpError::UsernameTaken => {
                ApiError::problem(StatusCode::CONFLICT, "a user with this username exists")
            }
            AdminOpError::Unavailable(fault) => ApiError::from(fault).as_problem(),
        }
    }
}
