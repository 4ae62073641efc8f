//! `POST /oauth2/password`: a user changes their password with their access token and the
//! current password (docs/accounts.md, "Changing a password").

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{PasswordChange, Secret, Services};
use serde::Serialize;

use super::{caller, Params};
use crate::{blocking, ApiError, BearerToken};

/// The fresh tokens of `keep_current_session=true` (RFC 6749 §5.1's fields).
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

pub(crate) async fn change_password(
    req: HttpRequest,
    token: BearerToken,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&services, &req, token, None).await?;
    let mut params = Params::read(&req, payload.into_inner()).await?;
    let change = PasswordChange {
        current_password: Secret::new(
            params.require("current_password", "current_password is required")?,
        ),
        new_password: Secret::new(params.require("new_password", "new_password is required")?),
        keep_current_session: params.flag(
            "keep_current_session",
            "keep_current_session must be true or false",
        )?,
        client_address: req.peer_addr().map(|peer| peer.ip()),
    };
    let issued =
        blocking(move || Ok(services.self_service.change_password(&caller, change)?)).await?;
    Ok(match issued {
        None => HttpResponse::NoContent().finish(),
        Some(tokens) => HttpResponse::Ok().json(TokenResponse {
            access_token: tokens.access_token,
            token_type: "Bearer",
            expires_in: tokens.expires_in,
            scope: tokens.scope.to_string(),
            refresh_token: tokens.refresh_token.map(|t| t.expose().to_owned()),
        }),
    })
}
