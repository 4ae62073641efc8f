//! The access token a request to a protected resource presents (RFC 6750 §2.1):
//! `Authorization: Bearer <b64token>`, the only method accepted.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use ciam_contract::bearer::is_b64token;
use ciam_domain::Secret;

use crate::ApiError;

/// Longest token accepted: our access tokens are far shorter, and a longer one is refused
/// before anything parses it.
pub const MAX_BEARER_TOKEN_BYTES: usize = 4096;

/// An access token from the `Authorization` header, not yet verified. Held as a
/// [`Secret`], so no `Debug` or log line can print it.
///
/// Refused, before any handler runs:
/// - no `Authorization` header, or another scheme: `401`, `WWW-Authenticate: Bearer
///   realm="ciam"` and no error information (RFC 6750 §3.1);
/// - a malformed or oversized token, several `Authorization` headers, or an
///   `access_token` in the query: `400 invalid_request`, with
///   `Bearer realm="ciam", error="invalid_request"`.
#[derive(Debug)]
pub struct BearerToken(Secret);

impl BearerToken {
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    pub fn into_secret(self) -> Secret {
        self.0
    }

    fn from_request_head(req: &HttpRequest) -> Result<Self, ApiError> {
        // RFC 6750 §2.3 (URI query) is not supported: a URI is logged and cached, and a
        // credential in it leaks (RFC 6749 §2.3.1 MUST NOT, for the client's). Refused even
        // beside a header, which RFC 6750 §3.1 calls invalid_request anyway.
        if has_access_token_in_query(req.query_string()) {
            return Err(ApiError::bearer_invalid_request(
                "access tokens must not be sent in the URI",
            ));
        }
        let mut headers = req.headers().get_all(header::AUTHORIZATION);
        let Some(value) = headers.next() else {
            return Err(ApiError::bearer_required());
        };
        if headers.next().is_some() {
            return Err(ApiError::bearer_invalid_request(
                "more than one Authorization header",
            ));
        }
        let value = value.as_bytes();
        let (scheme, credentials) = match value.iter().position(|&b| b == b' ' || b == b'\t') {
            Some(end) => (&value[..end], &value[end..]),
            None => (value, &[][..]),
        };
        // RFC 9110 §11.1: the scheme is case-insensitive. Another scheme is no Bearer
        // credential at all: the bare challenge tells the client what to send.
        if !scheme.eq_ignore_ascii_case(b"Bearer") {
            return Err(ApiError::bearer_required());
        }
        // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
        let spaces = credentials.iter().take_while(|&&b| b == b' ').count();
        let token = &credentials[spaces..];
        if spaces == 0 || token.is_empty() {
            return Err(ApiError::bearer_invalid_request("malformed Bearer token"));
        }
        if token.len() > MAX_BEARER_TOKEN_BYTES {
            return Err(ApiError::bearer_invalid_request("Bearer token too long"));
        }
        match std::str::from_utf8(token) {
            Ok(token) if is_b64token(token) => Ok(BearerToken(Secret::new(token))),
            _ => Err(ApiError::bearer_invalid_request("malformed Bearer token")),
        }
    }
}

impl FromRequest for BearerToken {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::from_request_head(req))
    }
}

/// Whether the query names `access_token`, however its name is percent-encoded.
fn has_access_token_in_query(query: &str) -> bool {
    crate::query::names(query).any(|name| name == "access_token")
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::test::TestRequest;
    use actix_web::ResponseError;

    use super::*;

    async fn extract(req: TestRequest) -> Result<BearerToken, ApiError> {
        BearerToken::extract(&req.to_http_request()).await
    }

    async fn token(authorization: &str) -> Result<BearerToken, ApiError> {
        extract(TestRequest::default().insert_header((header::AUTHORIZATION, authorization))).await
    }

    /// The status and `WWW-Authenticate` of a refusal.
    fn refusal(result: Result<BearerToken, ApiError>) -> (StatusCode, String) {
        let Err(error) = result else {
            panic!("accepted");
        };
        let response = error.error_response();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status(), challenge)
    }

    fn bare() -> (StatusCode, String) {
        (StatusCode::UNAUTHORIZED, r#"Bearer realm="ciam""#.into())
    }

    fn invalid_request() -> (StatusCode, String) {
        (
            StatusCode::BAD_REQUEST,
            r#"Bearer realm="ciam", error="invalid_request""#.into(),
        )
    }

    #[actix_web::test]
    async fn a_well_formed_token_is_taken_whatever_the_scheme_case() {
        for header in [
            "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln-_~+/==",
            "bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln-_~+/==",
            "BEARER   eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln-_~+/==",
        ] {
            let token = token(header).await.expect("accepted");
            assert_eq!(
                token.secret().expose(),
                "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln-_~+/=="
            );
        }
        let long = "a".repeat(MAX_BEARER_TOKEN_BYTES);
        let token = token(&format!("Bearer {long}")).await.expect("accepted");
        assert_eq!(token.into_secret().expose(), long);
    }

    #[actix_web::test]
    async fn the_token_never_appears_in_debug() {
        let token = token("Bearer s3cr3t").await.expect("accepted");
        assert!(!format!("{token:?}").contains("s3cr3t"));
    }

    #[actix_web::test]
    async fn no_bearer_credentials_get_the_bare_challenge() {
        assert_eq!(refusal(extract(TestRequest::default()).await), bare());
        for other in ["Basic Y2xpZW50OnNlY3JldA==", "Bearerx abc", "Token abc", ""] {
            assert_eq!(refusal(token(other).await), bare(), "{other:?}");
        }
    }

    #[actix_web::test]
    async fn malformed_tokens_are_invalid_requests() {
        let too_long = format!("Bearer {}", "a".repeat(MAX_BEARER_TOKEN_BYTES + 1));
        for malformed in [
            "Bearer",
            "Bearer ",
            "Bearer\tabc",
            "Bearer a=b",
            "Bearer ===",
            "Bearer abc def",
            "Bearer abc,def",
            "Bearer \"abc\"",
            too_long.as_str(),
        ] {
            assert_eq!(
                refusal(token(malformed).await),
                invalid_request(),
                "{malformed:?}"
            );
        }
        let non_ascii = header::HeaderValue::from_bytes(b"Bearer ab\xc3\xa9").expect("opaque");
        let req = TestRequest::default().insert_header((header::AUTHORIZATION, non_ascii));
        assert_eq!(refusal(extract(req).await), invalid_request());
    }

    #[actix_web::test]
    async fn two_authorization_headers_are_an_invalid_request() {
        let req = TestRequest::default()
            .append_header((header::AUTHORIZATION, "Bearer abc"))
            .append_header((header::AUTHORIZATION, "Bearer def"));
        assert_eq!(refusal(extract(req).await), invalid_request());
    }

    #[actix_web::test]
    async fn a_token_in_the_query_is_refused_even_beside_a_header() {
        for uri in [
            "/userinfo?access_token=abc",
            "/userinfo?x=1&access%5Ftoken=abc",
            "/userinfo?access_token",
        ] {
            let req = TestRequest::with_uri(uri);
            assert_eq!(refusal(extract(req).await), invalid_request(), "{uri}");
            let req = TestRequest::with_uri(uri).insert_header((header::AUTHORIZATION, "Bearer a"));
            assert_eq!(refusal(extract(req).await), invalid_request(), "{uri}");
        }
        let other = TestRequest::with_uri("/userinfo?not_access_token=1")
            .insert_header((header::AUTHORIZATION, "Bearer a"));
        assert!(extract(other).await.is_ok());
    }
}
