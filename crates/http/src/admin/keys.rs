//! `POST /admin/v1/keys/rotate`: a new signing key, as `ciam keys rotate` makes. The answer
//! names it (`kid`, `alg`); key material is never sent (the JWKS publishes the public key).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::SigningAlg;
use serde::{Deserialize, Serialize};

use super::json_body::read_json;
use super::{AdminAuthResponses, Caller};
use crate::error::problem::Problem;
use crate::{routes, ApiError};

/// An optional body: `{"alg": "EdDSA" | "RS256"}`; without one, the access tokens' algorithm.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = KeyRotation)]
struct RotateBody {
    /// `EdDSA` or `RS256`; default: the access tokens' algorithm.
    #[serde(default)]
    alg: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SigningKey)]
struct Rotated {
    kid: String,
    alg: &'static str,
    /// Unix seconds.
    created_at: i64,
}

/// Rotate a signing key
///
/// A new key of the algorithm; the others of it are retired and stay in the JWKS until every token they signed has expired. The body is optional: without a `Content-Type`, none is read.
#[utoipa::path(
    post,
    path = routes::ADMIN_ROTATE_KEYS.path,
    tag = "admin",
    request_body(content = Option<RotateBody>, content_type = "application/json"),
    responses(
        (status = 200, description = "The new key (never its material)", body = Rotated),
        (status = 422, description = "alg must be EdDSA or RS256", content_type = "application/problem+json", body = Problem),
        (status = 400, description = "The body is not the JSON object this endpoint takes", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 405, description = "Method not allowed (`Allow: POST`)", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "The body is over 16 KiB", content_type = "application/problem+json", body = Problem),
        (status = 415, description = "The body is not application/json", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn rotate_signing_key(
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // A request without a Content-Type sends no body to read (any bytes are ignored, as
    // the other bodiless endpoints do); one that says it sends JSON is held to it.
    let alg = if req.headers().contains_key(header::CONTENT_TYPE) {
        let body: RotateBody = read_json(&req, payload).await?;
        body.alg
            .map(|alg| alg.parse::<SigningAlg>())
            .transpose()
            .map_err(|_| {
                ApiError::problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "alg must be EdDSA or RS256",
                )
            })?
    } else {
        None
    };
    let key = caller
        .act(move |services, caller| services.admin.rotate_signing_key(caller, alg))
        .await?;
    Ok(HttpResponse::Ok().json(Rotated {
        kid: key.kid.to_string(),
        alg: key.alg.as_str(),
        created_at: key.created_at.0,
    }))
}
