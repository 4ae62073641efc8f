//! The one place errors become responses (RFC 6749 §5.2, RFC 7009 §2.2.1).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use ciam_domain::OAuthError;
use serde::Serialize;

/// An error answer. Built from a domain `OAuthError` or from a request the edge could not
/// parse; rendered as `{"error": ..., "error_description": ...}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: Option<&'static str>,
    /// RFC 6749 §5.2: a client that tried HTTP Basic gets a 401 with `WWW-Authenticate`.
    basic_challenge: bool,
    allow: Option<&'static str>,
    /// Seconds for `Retry-After` on a 429.
    retry_after: Option<i64>,
}

/// Seconds a client is asked to wait after a 503 (RFC 7009 §2.2.1).
const RETRY_AFTER_SECONDS: &str = "5";

impl ApiError {
    pub fn invalid_request(description: &'static str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(description),
        )
    }

    pub fn invalid_client(basic_challenge: bool) -> Self {
        Self {
            basic_challenge,
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_client", None)
        }
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            Some("request body too large"),
        )
    }

    /// The body did not arrive within [`BODY_DEADLINE`](crate::BODY_DEADLINE).
    pub fn body_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "invalid_request",
            Some("request body not received in time"),
        )
    }

    fn new(status: StatusCode, code: &'static str, description: Option<&'static str>) -> Self {
        Self {
            status,
            code,
            description,
            basic_challenge: false,
            allow: None,
            retry_after: None,
        }
    }

    /// Marks an `invalid_client` as answering a Basic attempt.
    pub fn with_basic_challenge(mut self, basic: bool) -> Self {
        self.basic_challenge = basic && self.status == StatusCode::UNAUTHORIZED;
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<OAuthError> for ApiError {
    fn from(error: OAuthError) -> Self {
        match error {
            OAuthError::InvalidRequest(description) => ApiError::invalid_request(description),
            OAuthError::InvalidClient => ApiError::invalid_client(false),
            OAuthError::Unavailable(detail) => {
                // The detail names internals: logged here, once, never sent.
                tracing::error!(%detail, "dependency unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    None,
                )
            }
            OAuthError::TooManyAttempts { retry_after } => Self {
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

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'static str>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.basic_challenge {
            response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"ciam\""));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still be on its way: the connection cannot be reused.
            response.insert_header((header::CONNECTION, "close"));
        }
        if let Some(allow) = self.allow {
            response.insert_header((header::ALLOW, allow));
        }
        response.json(ErrorBody {
            error: self.code,
            error_description: self.description,
        })
    }
}

pub(crate) async fn not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", None).error_response()
}

fn method_not_allowed(allow: &'static str) -> HttpResponse {
    ApiError {
        allow: Some(allow),
        ..ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            Some("method not allowed"),
        )
    }
    .error_response()
}

pub(crate) async fn method_not_allowed_post() -> HttpResponse {
    method_not_allowed("POST")
}

pub(crate) async fn method_not_allowed_get() -> HttpResponse {
    method_not_allowed("GET, HEAD")
}
