//! `GET`/`POST /oauth2/userinfo` (OpenID Connect Core §5.3): the claims of the user an
//! access token was issued for, to its bearer (RFC 6750).

use actix_web::{web, HttpResponse};
use ciam_domain::{Scope, Services, UserClaims, UserInfoError};
use serde::Serialize;

use crate::{blocking, ApiError, BearerToken};

#[derive(Serialize)]
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
