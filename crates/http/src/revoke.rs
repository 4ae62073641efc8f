//! `POST /oauth2/revoke` (RFC 7009). The rules are the domain's; this only parses and maps.

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::Services;

use crate::client_request::ClientRequest;
use crate::token_params::TokenParams;
use crate::{blocking, ApiError};

pub(crate) async fn revoke(
    req: HttpRequest,
    request: ClientRequest<TokenParams>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let ClientRequest { auth, params } = request;
    let address = req.peer_addr().map(|peer| peer.ip());
    blocking(move || {
        // Rule 1: the client is authenticated before anything about the token is looked at.
        let client = auth.authenticate(&services.clients)?;
        let TokenParams { token, hint } = params?;
        // Rule 4's 401 answers a Basic attempt with its challenge too (RFC 6749 §5.2), as
        // introspection does.
        services
            .revocation
            .revoke(&client, &token, hint, address)
            .map_err(|e| auth.error(e))
    })
    .await?;
    // RFC 7009 §2.2: 200, and the content of the body is ignored by the client: none is sent.
    Ok(HttpResponse::Ok().finish())
}
