//! The one place errors become responses (RFC 6749 §5.2, RFC 6750 §3, RFC 7009 §2.2.1).

mod challenge;
mod from_domain;
pub(crate) mod json;
mod page;
pub(crate) mod problem;
mod redirect;

use std::borrow::Cow;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use ciam_domain::Scope;

use challenge::Challenge;
pub use redirect::RedirectTarget;

/// An error answer. Built from a use case's error (see `from_domain`) or from a request the edge could not
/// parse; rendered as `{"error": ..., "error_description": ...}`, or as a page or a redirect
/// when the caller is a browser ([`ApiError::shown_as_page`], [`ApiError::redirected_to`]).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    /// `None` only for a Bearer challenge to a request that carried no credentials at all,
    /// which gets no error information (RFC 6750 §3.1).
    code: Option<&'static str>,
    description: Option<Cow<'static, str>>,
    challenge: Challenge,
    allow: Option<&'static str>,
    /// Seconds for `Retry-After` on a 429.
    retry_after: Option<i64>,
    shape: Shape,
}

/// How the error reaches the caller: one responder per shape, each in its own file.
#[derive(Debug)]
enum Shape {
    Json,
    Page,
    /// RFC 9457 problem details: the admin API's errors.
    Problem,
    /// Boxed: a rare shape, and every `Result<_, ApiError>` carries the size of the largest.
    Redirect(Box<RedirectTarget>),
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

    /// An authorization endpoint error (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6),
    /// to be redirected to the client or shown.
    pub fn authorization(code: &'static str, description: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, Some(description))
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
            challenge: Challenge::Bearer { scope: None },
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
        let scope = Some(required.to_string().into_boxed_str()).filter(|s| !s.is_empty());
        Self::bearer(StatusCode::FORBIDDEN, "insufficient_scope", None, scope)
    }

    fn bearer(
        status: StatusCode,
        code: &'static str,
        description: Option<&'static str>,
        scope: Option<Box<str>>,
    ) -> Self {
        Self {
            challenge: Challenge::Bearer { scope },
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
            description: description.map(Cow::Borrowed),
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
            shape: Shape::Json,
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

    /// The same error with another status (a page that refuses a forged form: 403).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Answers with a small HTML page instead of JSON, for a person at a browser when
    /// there is no trusted client to send the error to (RFC 6749 §4.1.2.1).
    pub fn shown_as_page(mut self) -> Self {
        self.shape = Shape::Page;
        self
    }

    /// Answers with RFC 9457 problem details (`application/problem+json`) instead of the
    /// OAuth JSON, keeping the status and headers (challenge, `Allow`, `Retry-After`).
    pub fn as_problem(mut self) -> Self {
        self.shape = Shape::Problem;
        self
    }

    /// A problem with this status and `detail` (one of the fixed sentences of
    /// docs/admin-api.md).
    pub fn problem(status: StatusCode, detail: &'static str) -> Self {
        Self::new(status, "invalid_request", Some(detail)).as_problem()
    }

    /// A 404 problem: what an admin path names does not exist, or cannot.
    pub fn not_found_problem(detail: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", Some(detail)).as_problem()
    }

    /// Answers by sending the browser back to the client with the error in the query
    /// (`303 See Other`, RFC 6749 §4.1.2.1, RFC 9207), once the client and its redirect URI
    /// are trusted. If the URI cannot be a `Location`, the error is shown as a page instead.
    pub fn redirected_to(mut self, target: RedirectTarget) -> Self {
        self.shape = Shape::Redirect(Box::new(target));
        self
    }

    /// The `Location` of a redirect, if the error is one and its URI is usable.
    fn location(&self) -> Option<header::HeaderValue> {
        let Shape::Redirect(target) = &self.shape else {
            return None;
        };
        // RFC 6749 §4.1.2.1: `error` is REQUIRED. Only `bearer_required` has no code, and
        // a resource's challenge is never redirected.
        target.location(
            self.code.unwrap_or("invalid_request"),
            self.description.as_deref(),
        )
    }

    /// The status and the headers every non-redirect shape carries.
    fn head(&self) -> HttpResponseBuilder {
        let mut response = HttpResponse::build(self.status);
        if let Some(challenge) = self.challenge.header_value(self.code) {
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
        response
    }

    /// The OAuth error code; `None` for [`ApiError::bearer_required`].
    pub fn code(&self) -> Option<&'static str> {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code.unwrap_or("no credentials"))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        if self.location().is_some() {
            StatusCode::SEE_OTHER
        } else {
            self.status
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(location) = self.location() {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        match self.shape {
            Shape::Json => json::respond(self.head(), self.code, self.description.as_deref()),
            Shape::Problem => problem::respond(
                self.head(),
                self.status,
                self.code,
                self.description.as_deref(),
            ),
            Shape::Page | Shape::Redirect(_) => page::respond(
                self.head(),
                self.status,
                self.code,
                self.description.as_deref(),
            ),
        }
    }
}

pub(crate) async fn not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", None).error_response()
}

fn method_not_allowed(allow: &'static str) -> ApiError {
    ApiError {
        allow: Some(allow),
        ..ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            Some("method not allowed"),
        )
    }
}

/// The admin API's 404 for a path it does not have.
pub(crate) async fn problem_not_found() -> HttpResponse {
    ApiError::not_found_problem("no such endpoint").error_response()
}

pub(crate) async fn problem_method_not_allowed_post() -> HttpResponse {
    method_not_allowed("POST").as_problem().error_response()
}

pub(crate) async fn problem_method_not_allowed_get_head() -> HttpResponse {
    method_not_allowed("GET, HEAD")
        .as_problem()
        .error_response()
}

pub(crate) async fn problem_method_not_allowed_user() -> HttpResponse {
    method_not_allowed("GET, HEAD, PATCH, DELETE")
        .as_problem()
        .error_response()
}

pub(crate) async fn problem_method_not_allowed_get() -> HttpResponse {
    method_not_allowed("GET, HEAD")
        .as_problem()
        .error_response()
}

pub(crate) async fn problem_method_not_allowed_delete() -> HttpResponse {
    method_not_allowed("DELETE").as_problem().error_response()
}

pub(crate) async fn problem_method_not_allowed_users() -> HttpResponse {
    method_not_allowed("GET, HEAD, POST")
        .as_problem()
        .error_response()
}

pub(crate) async fn method_not_allowed_post() -> HttpResponse {
    method_not_allowed("POST").error_response()
}

pub(crate) async fn method_not_allowed_get() -> HttpResponse {
    method_not_allowed("GET, HEAD").error_response()
}

pub(crate) async fn method_not_allowed_get_post() -> HttpResponse {
    method_not_allowed("GET, POST").error_response()
}

pub(crate) async fn method_not_allowed_get_post_patch() -> HttpResponse {
    method_not_allowed("GET, POST, PATCH").error_response()
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

    #[actix_web::test]
    async fn a_problem_is_rfc_9457_json_keeping_the_challenge_and_headers() {
        let scope = Scope::parse("ciam:admin").expect("valid scope");
        let response = ApiError::insufficient_scope(&scope)
            .as_problem()
            .error_response();
        assert_eq!(
            header(&response, header::CONTENT_TYPE),
            Some("application/problem+json")
        );
        assert_eq!(
            rendered(ApiError::insufficient_scope(&scope).as_problem()).await,
            (
                403,
                Some(
                    r#"Bearer realm="ciam", error="insufficient_scope", scope="ciam:admin""#
                        .into()
                ),
                r#"{"type":"about:blank","title":"Forbidden","status":403,"detail":"the access token lacks the scope ciam:admin"}"#
                    .into()
            )
        );
        // No credentials: the challenge stays bare (RFC 6750 §3.1), the body says what to send.
        let (status, challenge, body) = rendered(ApiError::bearer_required().as_problem()).await;
        assert_eq!(
            (status, challenge.as_deref()),
            (401, Some(r#"Bearer realm="ciam""#))
        );
        assert!(
            body.starts_with(
                r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"#
            ),
            "{body}"
        );
        let unavailable = ApiError::from(ciam_domain::Fault::RebuildInterrupted).as_problem();
        let response = unavailable.error_response();
        assert_eq!(header(&response, header::RETRY_AFTER), Some("5"));
        let body = rendered(ApiError::from(ciam_domain::Fault::RebuildInterrupted).as_problem())
            .await
            .2;
        assert!(!body.contains("rebuil"), "no internals: {body}");
        let wrong_method = method_not_allowed("POST").as_problem().error_response();
        assert_eq!(header(&wrong_method, header::ALLOW), Some("POST"));
    }

    fn header(response: &HttpResponse, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[actix_web::test]
    async fn a_page_is_html_that_loads_nothing_and_leaks_no_referrer() {
        let error = ApiError::invalid_request("unknown client").shown_as_page();
        assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            header(&response, header::CONTENT_TYPE),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            header(&response, header::CONTENT_SECURITY_POLICY),
            Some("default-src 'none'; style-src 'self'; frame-ancestors 'none'")
        );
        assert_eq!(
            header(&response, header::REFERRER_POLICY),
            Some("no-referrer")
        );
        let body = rendered(ApiError::invalid_request("unknown client").shown_as_page())
            .await
            .2;
        assert!(body.contains("<html lang=\"en\">"), "{body}");
        assert!(body.contains("<p>unknown client</p>"), "{body}");
    }

    #[actix_web::test]
    async fn a_redirect_is_a_303_to_the_client_with_the_error_in_the_query() {
        let target = RedirectTarget {
            redirect_uri: "https://app.example/cb?tenant=7".into(),
            state: Some("xyz".into()),
            issuer: "https://id.example.com".into(),
        };
        let error = ApiError::invalid_request("bad scope").redirected_to(target);
        assert_eq!(error.status_code(), StatusCode::SEE_OTHER);
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            header(&response, header::LOCATION),
            Some(
                "https://app.example/cb?tenant=7&error=invalid_request\
                 &error_description=bad%20scope&state=xyz&iss=https%3A%2F%2Fid.example.com"
            )
        );
    }

    #[actix_web::test]
    async fn a_redirect_uri_that_cannot_be_a_location_shows_a_page_instead() {
        let target = RedirectTarget {
            redirect_uri: "https://app.example/cb\nx".into(),
            state: None,
            issuer: "https://id.example.com".into(),
        };
        let error = ApiError::invalid_request("bad scope").redirected_to(target);
        assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(header(&response, header::LOCATION), None);
        assert_eq!(
            header(&response, header::CONTENT_TYPE),
            Some("text/html; charset=utf-8")
        );
    }
}
