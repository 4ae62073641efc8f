//! `GET`/`POST /oauth2/userinfo` (OpenID Connect Core §5.3): the claims of the user an
//! access token was issued for, to its bearer (RFC 6750).

use actix_web::{web, HttpResponse};
use ciam_domain::{Scope, Services, UserClaims, UserInfoError};
use serde::Serialize;

use crate::error::json::ErrorBody as OAuthError;
use crate::{blocking, routes, ApiError, BearerToken};

/// The claims the token's scope releases (OpenID Connect Core §5.3.2).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = UserInfo)]
pub(crate) struct UserInfoResponse {
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
}

impl From<UserClaims> for UserInfoResponse {
    fn from(claims: UserClaims) -> Self {
        UserInfoResponse {
            sub: claims.sub,
            name: claims.name,
            preferred_username: claims.preferred_username,
            email: claims.email,
            email_verified: claims.email_verified,
        }
    }
}

/// UserInfo endpoint (OpenID Connect Core §5.3)
///
/// The claims of the user a live access token with the scope `openid` was issued for.
/// `GET` or `POST` (no body is read).
#[utoipa::path(
    method(get, post),
    path = routes::USERINFO.path,
    tag = "oauth",
    responses(
        (status = 200, description = "The user's claims", body = UserInfoResponse),
        (status = 400, description = "invalid_request: a malformed Bearer request, or a token in the URI", body = OAuthError),
        (status = 401, description = "No token (an empty body and a bare `WWW-Authenticate: Bearer`), or invalid_token", body = OAuthError),
        (status = 403, description = "insufficient_scope: the token lacks `openid`", body = OAuthError),
        (status = 405, description = "Method not allowed (`Allow: GET, POST, PATCH`)", body = OAuthError),
        (status = 503, description = "temporarily_unavailable; see `Retry-After`", body = OAuthError),
    ),
    security(("user_token" = [])),
)]
pub(crate) async fn userinfo(
    token: BearerToken,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let claims = blocking(move || {
        services
            .userinfo
            .claims(token.secret().expose())
            .map_err(|error| match error {
                // RFC 6750 §3.1: with the Bearer challenge naming the error.
                UserInfoError::InvalidToken => ApiError::invalid_token(),
                UserInfoError::InsufficientScope => ApiError::insufficient_scope(
                    &Scope::parse(ciam_domain::userinfo::OPENID).unwrap_or_default(),
                ),
                UserInfoError::Unavailable(fault) => ApiError::from(fault),
            })
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserInfoResponse::from(claims)))
}
