//! The one place errors become responses (RFC 6749 §5.2, RFC 6750 §3, RFC 7009 §2.2.1).

mod challenge;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use ciam_domain::{OAuthError, Scope};
use serde::Serialize;

use challenge::Challenge;

/// An error answer. Built from a domain `OAuthError` or from a request the edge could not
/// parse; rendered as `{"error": ..., "error_description": ...}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    /// `None` only for a Bearer challenge to a request that carried no credentials at all,
    /// which gets no error information (RFC 6750 §3.1).
    code: Option<&'static str>,
    description: Option<&'static str>,
    challenge: Challenge,
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
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", None)
            .with_basic_challenge(basic_challenge)
    }

    /// RFC 6750 §3.1: a request for a protected resource that carries no access token (or
    /// authenticates some other way) gets a 401 with a bare `Bearer realm="ciam"`, and no
    /// error code or other error information: no body either.
    pub fn bearer_required() -> Self {
        Self {
            challenge: Challenge::Bearer {
                error: None,
                scope: None,
            },
            ..Self::blank(StatusCode::UNAUTHORIZED)
        }
    }

    /// RFC 6750 §3.1 `invalid_request` (400): a malformed Bearer request, the code in both
    /// the challenge and the body.
    pub fn bearer_invalid_request(description: &'static str) -> Self {
        Self::bearer(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(description),
            None,
        )
    }

    /// RFC 6750 §3.1 `invalid_token` (401): expired, revoked, malformed or foreign.
    pub fn invalid_token() -> Self {
        Self::bearer(StatusCode::UNAUTHORIZED, "invalid_token", None, None)
    }

    /// RFC 6750 §3.1 `insufficient_scope` (403), naming the scope the resource needs (§3).
    pub fn insufficient_scope(required: &Scope) -> Self {
        let scope = Some(required.to_string()).filter(|s| !s.is_empty());
        Self::bearer(StatusCode::FORBIDDEN, "insufficient_scope", None, scope)
    }

    fn bearer(
        status: StatusCode,
        code: &'static str,
        description: Option<&'static str>,
        scope: Option<String>,
    ) -> Self {
        Self {
            challenge: Challenge::Bearer {
                error: Some(code),
                scope,
            },
            ..Self::new(status, code, description)
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
            code: Some(code),
            description,
            ..Self::blank(status)
        }
    }

    /// A status and nothing else: no code, no description, no challenge.
    fn blank(status: StatusCode) -> Self {
        Self {
            status,
            code: None,
            description: None,
            challenge: Challenge::None,
            allow: None,
            retry_after: None,
        }
    }

    /// Marks an `invalid_client` as answering a Basic attempt: a 401 then carries the Basic
    /// challenge (RFC 6749 §5.2); `false`, or any other status, carries no Basic challenge.
    pub fn with_basic_challenge(mut self, basic: bool) -> Self {
        if basic && self.status == StatusCode::UNAUTHORIZED {
            self.challenge = Challenge::Basic;
        } else if self.challenge == Challenge::Basic {
            self.challenge = Challenge::None;
        }
        self
    }

    /// The OAuth error code; `None` for [`ApiError::bearer_required`].
    pub fn code(&self) -> Option<&'static str> {
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
        f.write_str(self.code.unwrap_or("no credentials"))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(challenge) = self.challenge.header_value() {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
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
        match self.code {
            Some(error) => response.json(ErrorBody {
                error,
                error_description: self.description,
            }),
            // RFC 6750 §3.1: no error information at all.
            None => response.finish(),
        }
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

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    /// Status, `WWW-Authenticate`, and body of an error's response.
    async fn rendered(error: ApiError) -> (u16, Option<String>, String) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = to_bytes(response.into_body()).await.expect("a body");
        let body = String::from_utf8(body.to_vec()).expect("UTF-8");
        (status, challenge, body)
    }

    #[actix_web::test]
    async fn basic_challenge_only_on_a_401_and_only_when_asked() {
        assert_eq!(
            rendered(ApiError::invalid_client(true)).await,
            (
                401,
                Some(r#"Basic realm="ciam""#.into()),
                r#"{"error":"invalid_client"}"#.into()
            )
        );
        assert_eq!(rendered(ApiError::invalid_client(false)).await.1, None);
        let not_401 = ApiError::invalid_request("x").with_basic_challenge(true);
        assert_eq!(rendered(not_401).await.1, None);
    }

    #[actix_web::test]
    async fn no_credentials_get_a_bare_bearer_challenge_and_no_error_information() {
        assert_eq!(
            rendered(ApiError::bearer_required()).await,
            (401, Some(r#"Bearer realm="ciam""#.into()), String::new())
        );
    }

    #[actix_web::test]
    async fn bearer_errors_carry_their_code_in_the_challenge_and_the_body() {
        assert_eq!(
            rendered(ApiError::bearer_invalid_request("malformed")).await,
            (
                400,
                Some(r#"Bearer realm="ciam", error="invalid_request""#.into()),
                r#"{"error":"invalid_request","error_description":"malformed"}"#.into()
            )
        );
        assert_eq!(
            rendered(ApiError::invalid_token()).await,
            (
                401,
                Some(r#"Bearer realm="ciam", error="invalid_token""#.into()),
                r#"{"error":"invalid_token"}"#.into()
            )
        );
        let scope = Scope::parse("profile email").expect("valid scope");
        assert_eq!(
            rendered(ApiError::insufficient_scope(&scope)).await,
            (
                403,
                Some(
                    r#"Bearer realm="ciam", error="insufficient_scope", scope="email profile""#
                        .into()
                ),
                r#"{"error":"insufficient_scope"}"#.into()
            )
        );
    }
}
