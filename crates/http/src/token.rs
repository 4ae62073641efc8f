//! `POST /oauth2/token` (RFC 6749 §4.3, §4.4, §6; responses §5.1, errors §5.2).

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{GrantRequest, Scope, Secret, Services, TokenError};
use serde::Serialize;

use crate::client_request::{ClientRequest, FromForm};
use crate::form::Form;
use crate::{blocking, ApiError};

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

pub(crate) async fn token(
    request: ClientRequest<GrantRequest>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let ClientRequest { auth, params } = request;
    let issued = blocking(move || {
        let client = auth.authenticate(&services.clients)?;
        // The grant's errors only now: an unauthenticated caller learns nothing from them.
        let grant = params?;
        services
            .tokens
            .issue(&client, grant)
            .map_err(ApiError::from)
    })
    .await?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: issued.scope.to_string(),
        refresh_token: issued.refresh_token.map(|token| token.expose().to_owned()),
        id_token: issued.id_token,
    }))
}

/// The grant the form asks for (RFC 6749 §4.3.2, §4.4.2, §6). Peer address: for the
/// sign-in throttle.
impl FromForm for GrantRequest {
    fn from_form(form: &mut Form, req: &HttpRequest) -> Result<Self, ApiError> {
        let client_address = req.peer_addr().map(|peer| peer.ip());
        let scope = form
            .get("scope")
            .map(Scope::parse)
            .transpose()
            .map_err(ApiError::from)?;
        let grant_type = form
            .get("grant_type")
            .ok_or(ApiError::invalid_request("grant_type is required"))?;
        match grant_type {
            // RFC 6749 §4.1.3; the verifier of RFC 7636 §4.5.
            "authorization_code" => {
                let code = form
                    .take("code")
                    .ok_or(ApiError::invalid_request("code is required"))?;
                Ok(GrantRequest::AuthorizationCode {
                    code: Secret::new(code),
                    redirect_uri: form.take("redirect_uri"),
                    code_verifier: form.take("code_verifier").map(Secret::new),
                })
            }
            "client_credentials" => Ok(GrantRequest::ClientCredentials { scope }),
            "password" => {
                let username = form
                    .take("username")
                    .ok_or(ApiError::invalid_request("username is required"))?;
                let password = form
                    .take("password")
                    .ok_or(ApiError::invalid_request("password is required"))?;
                Ok(GrantRequest::Password {
                    username,
                    password: Secret::new(password),
                    scope,
                    client_address,
                })
            }
            "refresh_token" => {
                let token = form
                    .take("refresh_token")
                    .ok_or(ApiError::invalid_request("refresh_token is required"))?;
                Ok(GrantRequest::RefreshToken {
                    refresh_token: Secret::new(token),
                    scope,
                })
            }
            _ => Err(ApiError::from(TokenError::UnsupportedGrantType)),
        }
    }
}
