//! `POST /oauth2/token` (RFC 6749 §4.3, §4.4, §6; responses §5.1, errors §5.2).

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{GrantRequest, Scope, Secret, Services, TokenError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::client_request::{ClientRequest, FromForm};
use crate::error::json::ErrorBody as OAuthError;
use crate::form::Form;
use crate::{blocking, metrics, routes, ApiError};

/// A successful token response (RFC 6749 §5.1).
#[derive(Serialize, ToSchema)]
struct TokenResponse {
    /// A JWT (RFC 9068).
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds.
    expires_in: i64,
    /// The granted scope, space-separated; absent when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    scope: String,
    /// Opaque; for the password and refresh_token grants of clients that may refresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// For the authorization_code grant with the scope `openid` (OpenID Connect Core §3.1.3.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// The token request's form (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6; RFC 7636 §4.5): the
/// members a `grant_type` needs, each at most once, empty ones as absent.
#[derive(ToSchema)]
#[schema(as = TokenRequestForm)]
#[allow(dead_code)] // Documentation: the form is parsed by `FromForm` below.
struct TokenForm {
    /// `authorization_code`, `client_credentials`, `password` or `refresh_token`.
    grant_type: String,
    /// authorization_code: the code.
    code: Option<String>,
    /// authorization_code: the redirect URI of the authorization request.
    redirect_uri: Option<String>,
    /// authorization_code: the PKCE verifier (RFC 7636).
    code_verifier: Option<String>,
    /// password: the user's username.
    username: Option<String>,
    /// password: the user's password.
    password: Option<String>,
    /// refresh_token: the refresh token.
    refresh_token: Option<String>,
    /// Space-separated; within the client's (or the grant's) scope.
    scope: Option<String>,
    /// client_secret_post, or a public client's id.
    client_id: Option<String>,
    /// client_secret_post.
    client_secret: Option<String>,
}

/// Token endpoint (RFC 6749 §3.2)
///
/// Issues tokens for the `authorization_code` (with PKCE), `client_credentials`,
/// `password` and `refresh_token` grants. Responses carry `Cache-Control: no-store`.
#[utoipa::path(
    post,
    path = routes::TOKEN.path,
    tag = "oauth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens", body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type or invalid_scope", body = OAuthError),
        (status = 401, description = "invalid_client; `WWW-Authenticate: Basic` when Basic was tried", body = OAuthError),
        (status = 405, description = "Method not allowed (`Allow: POST`)", body = OAuthError),
        (status = 408, description = "The body did not arrive within 5 s", body = OAuthError),
        (status = 413, description = "The body is over 16 KiB", body = OAuthError),
        (status = 429, description = "Too many failed sign-ins; see `Retry-After`", body = OAuthError),
        (status = 503, description = "temporarily_unavailable; see `Retry-After`", body = OAuthError),
    ),
    security((), ("client_secret_basic" = [])),
)]
pub(crate) async fn token(
    request: ClientRequest<GrantRequest>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let ClientRequest { auth, params } = request;
    let grant_type = params.as_ref().map(metrics::grant_type).ok();
    // A cached client's client_credentials grant is answered right here on the event loop:
    // no store read, and no hop to a blocking thread and back.
    let from_memory = auth
        .authenticated_from_memory(&services.clients)
        .zip(params.as_ref().ok())
        .and_then(|(client, grant)| services.tokens.issue_from_memory(&client, grant));
    let issued = match from_memory {
        Some(issued) => issued?,
        None => {
            blocking(move || {
                let client = auth.authenticate(&services.clients)?;
                // The grant's errors only now: an unauthenticated caller learns nothing
                // from them.
                let grant = params?;
                services
                    .tokens
                    .issue(&client, grant)
                    .map_err(ApiError::from)
            })
            .await?
        }
    };
    if let Some(grant_type) = grant_type {
        metrics::token_issued(grant_type);
    }
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
