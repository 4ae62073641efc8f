//! `POST /oauth2/revoke` (RFC 7009). The rules are the domain's; this only parses and maps.

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{Services, TokenTypeHint};

use crate::client_auth::ClientAuth;
use crate::form::Form;
use crate::{blocking, ApiError};

pub(crate) async fn revoke(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let mut form = Form::read(&req, payload).await?;
    let auth = ClientAuth::extract(&req, &form)?;
    let token = form.take("token");
    // RFC 7009 §2.1: an unknown hint is ignored; the search covers every type anyway.
    let hint = form
        .get("token_type_hint")
        .and_then(|hint| hint.parse::<TokenTypeHint>().ok());
    blocking(move || {
        // Rule 1: the client is authenticated before anything about the token is looked at.
        let client = auth.authenticate(&services.clients)?;
        let token = token.ok_or(ApiError::invalid_request("token is required"))?;
        // Rule 4's 401 answers a Basic attempt with its challenge too (RFC 6749 §5.2), as
        // introspection does.
        services
            .revocation
            .revoke(&client, &token, hint)
            .map_err(|e| auth.error(e))
    })
    .await?;
    // RFC 7009 §2.2: 200, and the content of the body is ignored by the client: none is sent.
    Ok(HttpResponse::Ok().finish())
}
