//! Each use case's error as an answer: mapped here, once. Faults become a 503 whose log
//! line carries the whole cause; the answer carries none of it.

use actix_web::http::StatusCode;
use ciam_domain::{
    AdminAuthError, AdminOpError, AuthError, Chain, ChangePasswordError, Fault, IntrospectError,
    InvalidScope, PasswordRejected, ProfileError, ResetPasswordError, ResetRequestError,
    RevokeError, Scope, SelfServiceAuthError, TokenError, ADMIN_SCOPE, PROFILE_WRITE_SCOPE,
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
        crate::metrics::record_fault(&fault);
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
            TokenError::TooManyAttempts { retry_after } => Self::too_many_attempts(retry_after),
            other => Self::new(StatusCode::BAD_REQUEST, other.code(), None),
        }
    }
}

impl ApiError {
    /// 429 (RFC 6585 §4) with `Retry-After`: the sign-in throttle, and the ones like it.
    fn too_many_attempts(retry_after: i64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                Some("too many failed attempts; retry after the time in Retry-After"),
            )
        }
    }

    /// A new password the policy refused: 400 with an extension error code (RFC 6749
    /// §8.5), so a client can tell it from a malformed request, and the rule in the
    /// description (NIST SP 800-63B §5.1.1.2: the verifier SHALL say why), which never
    /// repeats the password.
    fn password_rejected(why: PasswordRejected) -> Self {
        Self {
            description: Some(why.to_string().into()),
            ..Self::new(StatusCode::BAD_REQUEST, "password_rejected", None)
        }
    }
}

/// A self-service caller's token: the Bearer challenge of RFC 6750 §3.1, as UserInfo.
impl From<SelfServiceAuthError> for ApiError {
    fn from(error: SelfServiceAuthError) -> Self {
        match error {
            SelfServiceAuthError::InvalidToken => ApiError::invalid_token(),
            SelfServiceAuthError::InsufficientScope => {
                ApiError::insufficient_scope(&Scope::parse(PROFILE_WRITE_SCOPE).unwrap_or_default())
            }
            SelfServiceAuthError::Unavailable(fault) => fault.into(),
        }
    }
}

impl From<ChangePasswordError> for ApiError {
    fn from(error: ChangePasswordError) -> Self {
        match error {
            // 403, not 401: the access token is good (a 401 would tell the client to drop
            // it, RFC 6750 §3.1), the request is understood and refused (RFC 9110
            // §15.5.4); `invalid_grant` as the token endpoint says of a wrong password.
            ChangePasswordError::WrongPassword => Self::new(
                StatusCode::FORBIDDEN,
                "invalid_grant",
                Some("the current password is wrong"),
            ),
            ChangePasswordError::TooManyAttempts { retry_after } => {
                Self::too_many_attempts(retry_after)
            }
            ChangePasswordError::Rejected(why) => Self::password_rejected(why),
            ChangePasswordError::UnknownUser => ApiError::invalid_token(),
            ChangePasswordError::Unavailable(fault) => fault.into(),
        }
    }
}

impl From<ResetRequestError> for ApiError {
    fn from(error: ResetRequestError) -> Self {
        match error {
            ResetRequestError::TooManyRequests { retry_after } => Self {
                description: Some(
                    "too many reset requests; retry after the time in Retry-After".into(),
                ),
                ..Self::too_many_attempts(retry_after)
            },
        }
    }
}

impl From<ResetPasswordError> for ApiError {
    fn from(error: ResetPasswordError) -> Self {
        match error {
            // As the token endpoint answers an unknown, expired or used authorization
            // code (RFC 6749 §5.2): one answer for each.
            ResetPasswordError::InvalidCode => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                Some("the reset code is invalid, expired or already used"),
            ),
            ResetPasswordError::Rejected(why) => Self::password_rejected(why),
            ResetPasswordError::Unavailable(fault) => fault.into(),
        }
    }
}

impl From<ProfileError> for ApiError {
    fn from(error: ProfileError) -> Self {
        match error {
            ProfileError::Invalid(why) => Self {
                description: Some(why.into()),
                ..Self::new(StatusCode::BAD_REQUEST, "invalid_request", None)
            },
            ProfileError::UnknownUser => ApiError::invalid_token(),
            ProfileError::Unavailable(fault) => fault.into(),
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
            // The same answer for an unknown id and another user's: nothing tells them apart.
            AdminOpError::NoSuchSession => {
                ApiError::not_found_problem("no session of this user with this id")
            }
            AdminOpError::NoSuchGrant => {
                ApiError::not_found_problem("no grant of this user with this id")
            }
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
            AdminOpError::InvalidClient(invalid) => {
                ApiError::problem(StatusCode::UNPROCESSABLE_ENTITY, invalid.detail())
            }
            // RFC 9110 §15.5.10: the client's current state (public) is what forbids it.
            AdminOpError::PublicClient => ApiError::problem(
                StatusCode::CONFLICT,
                "a public client has no secret to rotate",
            ),
            AdminOpError::Unavailable(fault) => ApiError::from(fault).as_problem(),
        }
    }
}
