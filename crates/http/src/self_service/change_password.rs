//! `POST /oauth2/password`: a user changes their password with their access token and the
//! current password (docs/accounts.md, "Changing a password").

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{PasswordChange, Secret, Services};
use serde::Serialize;

use super::{caller, Params};
use crate::error::json::ErrorBody as OAuthError;
use crate::{blocking, routes, ApiError, BearerToken};

/// The fresh tokens of `keep_current_session=true` (RFC 6749 §5.1's fields).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PasswordChangeTokens)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// The password change, as a form or a JSON object of strings and booleans.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Documentation: the body is read by `Params`.
struct PasswordChangeForm {
    current_password: String,
    /// Held to the password policy (docs/accounts.md).
    new_password: String,
    /// `true`: this token's session and grant stay, with fresh tokens in the answer; every
    /// other is revoked. Default `false`: everything of the user is revoked.
    keep_current_session: Option<bool>,
}

/// Change the password
///
/// With the user's own access token and current password (docs/accounts.md, "Changing a
/// password").
#[utoipa::path(
    post,
    path = routes::PASSWORD.path,
    tag = "self-service",
    request_body(content(
        (PasswordChangeForm = "application/x-www-form-urlencoded"),
        (PasswordChangeForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Changed; `keep_current_session=true`: the fresh tokens", body = TokenResponse),
        (status = 204, description = "Changed; every token of the user revoked"),
        (status = 400, description = "invalid_request (a missing or malformed member, credentials in the URI), or password_rejected (the policy refuses the new password)", body = OAuthError),
        (status = 401, description = "No token (an empty body and a bare `WWW-Authenticate: Bearer`), or invalid_token", body = OAuthError),
        (status = 403, description = "invalid_grant: the current password is wrong", body = OAuthError),
        (status = 405, description = "Method not allowed (`Allow: POST`)", body = OAuthError),
        (status = 429, description = "Too many wrong current passwords; see `Retry-After`", body = OAuthError),
        (status = 503, description = "temporarily_unavailable; see `Retry-After`", body = OAuthError),
    ),
    security(("user_token" = [])),
)]
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
