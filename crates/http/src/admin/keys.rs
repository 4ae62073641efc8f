//! `POST /admin/v1/keys/rotate`: a new signing key, as `ciam keys rotate` makes. The answer
//! names it (`kid`, `alg`); key material is never sent (the JWKS publishes the public key).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::SigningAlg;
use serde::{Deserialize, Serialize};

use super::json_body::read_json;
use super::Caller;
use crate::ApiError;

/// An optional body: `{"alg": "EdDSA" | "RS256"}`; without one, the access tokens' algorithm.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateBody {
    #[serde(default)]
    alg: Option<String>,
}

#[derive(Serialize)]
struct Rotated {
    kid: String,
    alg: &'static str,
    /// Unix seconds.
    created_at: i64,
}

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
