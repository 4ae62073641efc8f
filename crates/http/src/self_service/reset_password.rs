//! `POST /oauth2/password/reset` and `POST /oauth2/password/reset/confirm`: a forgotten
//! password, reset with a code mailed to the account (docs/accounts.md, "Resetting a
//! password").

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{Chain, Secret, Services};
use serde::Serialize;

use super::Params;
use crate::{blocking, ApiError};

/// The one answer to a reset request that is let through, whatever happens next.
#[derive(Serialize)]
struct Accepted {
    status: &'static str,
}

const ACCEPTED: Accepted = Accepted {
    status: "if the account exists and has an email address, a reset code is on its way",
};

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
