//! Request bodies of the admin API: JSON (RFC 8259), at most `MAX_BODY_BYTES`, received
//! within `BODY_DEADLINE`, every member known. What does not parse is a 400 problem; a
//! media type other than JSON a 415 (RFC 9110 §15.5.16).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest};
use serde::de::DeserializeOwned;

use crate::form::read_body;
use crate::{ApiError, BODY_DEADLINE, MAX_BODY_BYTES};

pub(super) async fn read_json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    if !is_json(req) {
        return Err(ApiError::problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/json",
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(ApiError::payload_too_large().as_problem());
    }
    let mut payload = payload.into_inner();
    let body = actix_web::rt::time::timeout(BODY_DEADLINE, read_body(&mut payload))
        .await
        .map_err(|_| ApiError::body_timeout().as_problem())?
        .map_err(ApiError::as_problem)?;
    let not_ours = || {
        ApiError::problem(
            StatusCode::BAD_REQUEST,
            "the body is not the JSON object this endpoint takes (docs/admin-api.md)",
        )
    };
    // An object, never an array: serde would read a struct from one, by position.
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|_| not_ours())?;
    if !value.is_object() {
        return Err(not_ours());
    }
    T::deserialize(value).map_err(|_| not_ours())
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// A member that may be absent (leave it), `null` (clear it) or a value (set it): serde
/// reads an absent member as the `default`, `None`, and a present one through here.
pub(super) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
