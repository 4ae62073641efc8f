//! The user self-service endpoints (docs/accounts.md): change password, reset password,
//! update the profile. The bodies are a form or JSON ([`Params`]); the caller of the
//! password change and the profile update is a user's access token (RFC 6750).

mod change_password;
mod params;
mod profile;
mod reset_password;

pub(crate) use change_password::change_password;
use params::Params;
pub(crate) use profile::update_profile;
pub(crate) use reset_password::{confirm_reset, request_reset};

/// The self-service endpoints' part of `GET /openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    change_password::change_password,
    reset_password::request_reset,
    reset_password::confirm_reset,
    profile::update_profile,
))]
pub(crate) struct ApiDoc;

use actix_web::HttpRequest;
use ciam_domain::{Services, UserCaller};

use crate::{blocking, ApiError, BearerToken};

/// The user `token` proves, with `scope` when given; verified on the blocking pool.
async fn caller(
    services: &Services,
    req: &HttpRequest,
    token: BearerToken,
    scope: Option<&'static str>,
) -> Result<UserCaller, ApiError> {
    let services = services.clone();
    let address = req.peer_addr().map(|peer| peer.ip());
    blocking(move || {
        Ok(services
            .self_service
            .caller(token.secret().expose(), scope, address)?)
    })
    .await
}
