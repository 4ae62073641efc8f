//! `POST /oauth2/introspect` (RFC 7662).

use actix_web::{web, HttpResponse};
use ciam_domain::{Introspection, Services};
use serde::Serialize;

use crate::client_request::ClientRequest;
use crate::token_params::TokenParams;
use crate::{blocking, ApiError};

/// RFC 7662 §2.2. An inactive token gets `{"active": false}` and nothing else.
#[derive(Serialize, Default)]
struct IntrospectionResponse {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
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

pub(crate) async fn introspect(
    request: ClientRequest<TokenParams>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let ClientRequest { auth, params } = request;
    let answer = blocking(move || {
        // RFC 7662 §2.1: the caller MUST be authorized to call the endpoint.
        let caller = auth.authenticate(&services.clients)?;
        let TokenParams { token, hint } = params?;
        services
            .introspection
            .introspect(&caller, &token, hint)
            .map_err(|e| auth.error(e))
    })
    .await?;
    Ok(HttpResponse::Ok().json(IntrospectionResponse::from(answer)))
}
