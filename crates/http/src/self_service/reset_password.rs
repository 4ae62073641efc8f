//! `POST /oauth2/password/reset` and `POST /oauth2/password/reset/confirm`: a forgotten
//! password, reset with a code mailed to the account (docs/accounts.md, "Resetting a
//! password").

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{Chain, Secret, Services};
use serde::Serialize;

use super::Params;
use crate::error::json::ErrorBody as OAuthError;
use crate::{blocking, routes, ApiError};

/// The one answer to a reset request that is let through, whatever happens next.
#[derive(Serialize, utoipa::ToSchema)]
struct Accepted {
    status: &'static str,
}

const ACCEPTED: Accepted = Accepted {
    status: "if the account exists and has an email address, a reset code is on its way",
};

/// A reset request, as a form or a JSON object.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Documentation: the body is read by `Params`.
struct ResetRequestForm {
    username: String,
}

/// A new password with the mailed code, as a form or a JSON object.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Documentation: the body is read by `Params`.
struct ResetConfirmForm {
    /// The code of the mail.
    code: String,
    /// Held to the password policy (docs/accounts.md).
    new_password: String,
}

/// Ask for a password reset code
///
/// Mailed to the account's address, if it exists and has one: the answer never says.
#[utoipa::path(
    post,
    path = routes::PASSWORD_RESET.path,
    tag = "self-service",
    request_body(content(
        (ResetRequestForm = "application/x-www-form-urlencoded"),
        (ResetRequestForm = "application/json"),
    )),
    responses(
        (status = 202, description = "Accepted, whatever happens next", body = Accepted),
        (status = 400, description = "invalid_request", body = OAuthError),
        (status = 405, description = "Method not allowed (`Allow: POST`)", body = OAuthError),
        (status = 429, description = "Too many requests for this username or address; see `Retry-After`", body = OAuthError),
    ),
)]
///
/// Answers 202 before looking the user up: whether the account exists, whether it has an
/// address, whether the mail went out or the store is down, nothing shows in the status,
/// the body or the time taken. Only the throttle answers otherwise (429), and it counts
/// usernames whether or not they exist.
pub(crate) async fn request_reset(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let mut params = Params::read(&req, payload.into_inner()).await?;
    let username = params.require("username", "username is required")?;
    let address = req.peer_addr().map(|peer| peer.ip());
    services
        .self_service
        .admit_reset_request(&username, address)?;
    let span = tracing::Span::current();
    actix_web::rt::spawn(async move {
        let sent = web::block(move || {
            span.in_scope(|| {
                if let Err(fault) = services.self_service.send_reset_code(&username, address) {
                    tracing::error!(error = %Chain(&fault), "password reset code not sent");
                }
            })
        })
        .await;
        if sent.is_err() {
            tracing::error!("password reset: the blocking worker pool is gone");
        }
    });
    Ok(HttpResponse::Accepted().json(ACCEPTED))
}

/// Reset the password with the mailed code
///
/// Ends every session and grant of the user.
#[utoipa::path(
    post,
    path = routes::PASSWORD_RESET_CONFIRM.path,
    tag = "self-service",
    request_body(content(
        (ResetConfirmForm = "application/x-www-form-urlencoded"),
        (ResetConfirmForm = "application/json"),
    )),
    responses(
        (status = 204, description = "The password is reset"),
        (status = 400, description = "invalid_request; invalid_grant: an unknown, used or expired code; password_rejected: the policy refuses the new password", body = OAuthError),
        (status = 405, description = "Method not allowed (`Allow: POST`)", body = OAuthError),
        (status = 503, description = "temporarily_unavailable; see `Retry-After`", body = OAuthError),
    ),
)]
pub(crate) async fn confirm_reset(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let mut params = Params::read(&req, payload.into_inner()).await?;
    let code = Secret::new(params.require("code", "code is required")?);
    let new_password = Secret::new(params.require("new_password", "new_password is required")?);
    let address = req.peer_addr().map(|peer| peer.ip());
    blocking(move || {
        Ok(services
            .self_service
            .reset_password(&code, &new_password, address)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
