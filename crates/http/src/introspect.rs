//! `POST /oauth2/introspect` (RFC 7662).

use actix_web::{web, HttpResponse};
use ciam_domain::{Introspection, Services};
use serde::Serialize;

use crate::client_request::ClientRequest;
use crate::error::json::ErrorBody as OAuthError;
use crate::token_params::{TokenForm, TokenParams};
use crate::{blocking, routes, ApiError};

/// RFC 7662 §2.2. An inactive token gets `{"active": false}` and nothing else.
#[derive(Serialize, Default, utoipa::ToSchema)]
struct IntrospectionResponse {
    /// Whether the token is live; an inactive token has no other member.
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `Bearer` or `refresh_token`.
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

impl From<Introspection> for IntrospectionResponse {
    fn from(answer: Introspection) -> Self {
        match answer {
            Introspection::Inactive => IntrospectionResponse::default(),
            Introspection::Access(claims) => IntrospectionResponse {
                active: true,
                scope: (!claims.scope.is_empty()).then_some(claims.scope),
                client_id: Some(claims.client_id.to_string()),
                token_type: Some("Bearer"),
                exp: Some(claims.exp.0),
                iat: Some(claims.iat.0),
                sub: Some(claims.sub),
                aud: Some(claims.aud),
                iss: Some(claims.iss),
                jti: Some(claims.jti.to_string()),
            },
            Introspection::Refresh { record, grant } => IntrospectionResponse {
                active: true,
                scope: Some(grant.scope.to_string()).filter(|s| !s.is_empty()),
                client_id: Some(grant.client_id.to_string()),
                token_type: Some("refresh_token"),
                exp: Some(record.expires_at.0),
                iat: Some(record.issued_at.0),
                sub: Some(grant.subject),
                ..IntrospectionResponse::default()
            },
        }
    }
}

/// Introspection endpoint (RFC 7662)
///
/// For confidential clients: access tokens are answered to any of them, refresh tokens only
/// to their own client.
#[utoipa::path(
    post,
    path = routes::INTROSPECT.path,
    tag = "oauth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token's state", body = IntrospectionResponse),
        (status = 400, description = "invalid_request", body = OAuthError),
        (status = 401, description = "invalid_client; `WWW-Authenticate: Basic` when Basic was tried", body = OAuthError),
        (status = 405, description = "Method not allowed (`Allow: POST`)", body = OAuthError),
        (status = 408, description = "The body did not arrive within 5 s", body = OAuthError),
        (status = 413, description = "The body is over 16 KiB", body = OAuthError),
        (status = 503, description = "temporarily_unavailable; never `active: true` then; see `Retry-After`", body = OAuthError),
    ),
    security((), ("client_secret_basic" = [])),
)]
pub(crate) async fn introspect(
    request: ClientRequest<TokenParams>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let ClientRequest { auth, params } = request;
    // Awaited here, on the event loop: on the full stack the denylist check below then
    // answers from this node's replica without parking a blocking thread for the round.
    let freshness = services.introspection.fence().await;
    let answer = blocking(move || {
        // RFC 7662 §2.1: the caller MUST be authorized to call the endpoint.
        let caller = auth.authenticate(&services.clients)?;
        let TokenParams { token, hint } = params?;
        services
            .introspection
            .introspect_after(&caller, &token, hint, freshness)
            .map_err(|e| auth.error(e))
    })
    .await?;
    Ok(HttpResponse::Ok().json(IntrospectionResponse::from(answer)))
}
