//! `POST /oauth2/revoke` (RFC 7009). The rules are the domain's; this only parses and maps.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{Lead, PendingRevocation, RevokeError, Services};

use crate::client_request::ClientRequest;
use crate::error::json::ErrorBody as OAuthError;
use crate::token_params::{TokenForm, TokenParams};
use crate::{blocking, metrics, routes, ApiError};

/// Revocation endpoint (RFC 7009)
///
/// Revokes an access token (itself) or a refresh token (its whole grant). Unknown, expired
/// or already revoked tokens are a 200 too. A public client revokes with its `client_id`
/// alone.
#[utoipa::path(
    post,
    path = routes::REVOKE.path,
    tag = "oauth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, durably and visibly, or nothing to revoke; no body"),
        (status = 400, description = "invalid_request", body = OAuthError),
        (status = 401, description = "invalid_client, or a live token of another client; `WWW-Authenticate: Basic` when Basic was tried", body = OAuthError),
        (status = 405, description = "Method not allowed (`Allow: POST`)", body = OAuthError),
        (status = 408, description = "The body did not arrive within 5 s", body = OAuthError),
        (status = 413, description = "The body is over 16 KiB", body = OAuthError),
        (status = 503, description = "Not revoked: the token must be taken as still valid; see `Retry-After`", body = OAuthError),
    ),
    security((), ("client_secret_basic" = [])),
)]
pub(crate) async fn revoke(
    req: HttpRequest,
    request: ClientRequest<TokenParams>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let ClientRequest { auth, params } = request;
    let address = req.peer_addr().map(|peer| peer.ip());
    let revoker = Arc::clone(&services.revocation);
    // A live access token of a cached client is queued right here on the event loop: no
    // store read, and no hop to a blocking thread and back.
    let from_memory = auth
        .authenticated_from_memory(&services.clients)
        .zip(params.as_ref().ok())
        .and_then(|(client, params)| {
            revoker.begin_revoke_from_memory(&client, &params.token, address)
        });
    let (completion, lead) = match from_memory {
        Some(pending) => {
            let PendingRevocation { completion, lead } = pending?;
            (completion, lead)
        }
        None => {
            blocking(move || {
                // Rule 1: the client is authenticated before anything about the token is
                // looked at.
                let client = auth.authenticate(&services.clients)?;
                let TokenParams { token, hint } = params?;
                // Rule 4's 401 answers a Basic attempt with its challenge too (RFC 6749
                // §5.2), as introspection does.
                let PendingRevocation { completion, lead } = services
                    .revocation
                    .begin_revoke(&client, &token, hint, address)
                    .map_err(|e| auth.error(e))?;
                // This request writes the batch holding its own revocation; batches queued
                // behind it are written on another blocking thread, so that it can answer.
                Ok((completion, lead.and_then(Lead::run_once)))
            })
            .await?
        }
    };
    if let Some(lead) = lead {
        // Detached: the lead ends when the queue is empty; the requests it serves await
        // their own completions.
        drop(actix_web::rt::task::spawn_blocking(move || lead.run()));
    }
    // Waited on the event loop, holding no thread: a 200 only once durable and visible.
    let wait = revoker.durable_wait();
    actix_web::rt::time::timeout(wait, completion)
        .await
        .unwrap_or_else(|_| Err(RevokeError::not_durable_within(wait)))
        // Only `Unavailable` comes from here: the checks were made above.
        .map_err(ApiError::from)?;
    metrics::revoked("token");
    // RFC 7009 §2.2: 200, and the content of the body is ignored by the client: none is sent.
    Ok(HttpResponse::Ok().finish())
}
