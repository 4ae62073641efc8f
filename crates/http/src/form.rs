//! Strict parsing of `application/x-www-form-urlencoded` bodies (RFC 6749 §3.2, App. B).

use std::collections::HashMap;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::{ApiError, BODY_DEADLINE, MAX_BODY_BYTES};

/// The parameters of an OAuth form: each at most once, empty ones dropped.
#[derive(Debug, Default)]
pub(crate) struct Form {
    params: HashMap<String, String>,
}

impl Form {
    /// Reads and parses the body. Wrong content type, a malformed or oversized body, or a
    /// repeated parameter is `invalid_request`; never a 500, never a wait for a body that
    /// exceeds the limit.
    pub(crate) async fn read(req: &HttpRequest, mut payload: Payload) -> Result<Form, ApiError> {
        if !is_form(req) {
            return Err(ApiError::invalid_request(
                "content type must be application/x-www-form-urlencoded",
            ));
        }
        // RFC 6749 §2.3.1: credentials MUST NOT be included in the request URI.
        if crate::query::names(req.query_string()).any(|name| {
            matches!(
                name.as_ref(),
                "client_secret" | "password" | "refresh_token" | "token" | "code" | "code_verifier"
            )
        }) {
            return Err(ApiError::invalid_request(
                "credentials must not be sent in the URI",
            ));
        }
        let body = read_limited(req, &mut payload).await?;
        Form::parse(&body)
    }

    pub(crate) fn parse(body: &[u8]) -> Result<Form, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| ApiError::invalid_request("malformed form body"))?;
        let mut params = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            // RFC 6749 §3.2: parameters sent without a value MUST be treated as omitted.
            if value.is_empty() {
                continue;
            }
            // RFC 6749 §3.2: request parameters MUST NOT be included more than once.
            if params.insert(name, value).is_some() {
                return Err(ApiError::invalid_request("a parameter is repeated"));
            }
        }
        Ok(Form { params })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub(crate) fn take(&mut self, name: &str) -> Option<String> {
        self.params.remove(name)
    }
}

/// The whole body, at most `MAX_BODY_BYTES` (a larger declared length is refused before
/// reading), within `BODY_DEADLINE`.
pub(crate) async fn read_limited(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(ApiError::payload_too_large());
    }
    actix_web::rt::time::timeout(BODY_DEADLINE, read_body(payload))
        .await
        .map_err(|_| ApiError::body_timeout())?
}

/// The whole body, refused as soon as it passes `MAX_BODY_BYTES`.
pub(crate) async fn read_body(payload: &mut Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::invalid_request("could not read the request body"))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::payload_too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn is_form(req: &HttpRequest) -> bool {
    has_content_type(req, "application/x-www-form-urlencoded")
}

/// Whether the request's media type (without parameters) is `essence`.
pub(crate) fn has_content_type(req: &HttpRequest, essence: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|given| given.trim().eq_ignore_ascii_case(essence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_dropped() {
        assert_eq!(
            Form::parse(b"token=a&token=b").err().and_then(|e| e.code()),
            Some("invalid_request")
        );
        let form = Form::parse(b"token=a&token=&client_secret=").expect("valid");
        assert_eq!(form.get("token"), Some("a"));
        assert_eq!(form.get("client_secret"), None);
    }

    #[test]
    fn values_are_percent_and_plus_decoded() {
        let form = Form::parse(b"scope=read+write&x=%2B%26").expect("valid");
        assert_eq!(form.get("scope"), Some("read write"));
        assert_eq!(form.get("x"), Some("+&"));
    }
}
