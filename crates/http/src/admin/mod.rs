//! The admin API (`/admin/v1`, docs/admin-api.md): operations on users and clients for
//! operators and back offices. The caller is an OAuth client with the `ciam:admin` scope,
//! proven by one of its `client_credentials` access tokens ([`Caller`]); every error is
//! RFC 9457 problem details. Bodies, where an endpoint takes one, are JSON (`json_body`).

mod audit;
mod client_directory;
mod json_body;
mod keys;
mod lifecycle;
mod revoke;
mod user;
mod user_activity;
mod user_directory;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use ciam_domain::{AdminCaller, AdminOpError, Services};

use crate::error::problem::Problem;
use crate::{blocking, ApiError, BearerToken};

pub(crate) use audit::list_audit;
pub(crate) use client_directory::{
    create_client, delete_client, get_client, list_clients, rotate_client_secret, update_client,
};
pub(crate) use keys::rotate_signing_key;
pub(crate) use lifecycle::{delete_user, disable_user, enable_user};
pub(crate) use revoke::{revoke_client, revoke_user};
pub(crate) use user::get_user;
pub(crate) use user_activity::{
    end_user_session, list_user_grants, list_user_sessions, revoke_user_grant,
};
pub(crate) use user_directory::{create_user, list_users, update_user};

/// The admin API's part of `GET /openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    user_directory::create_user,
    user_directory::list_users,
    user::get_user,
    user_directory::update_user,
    lifecycle::delete_user,
    lifecycle::disable_user,
    lifecycle::enable_user,
    revoke::revoke_user,
    user_activity::list_user_sessions,
    user_activity::end_user_session,
    user_activity::list_user_grants,
    user_activity::revoke_user_grant,
    client_directory::create_client,
    client_directory::list_clients,
    client_directory::get_client,
    client_directory::update_client,
    client_directory::delete_client,
    client_directory::rotate_client_secret,
    revoke::revoke_client,
    keys::rotate_signing_key,
    audit::list_audit,
))]
pub(crate) struct ApiDoc;

/// The answers every admin endpoint may give before or beside its own: the caller's token
/// refused (RFC 6750 §3.1) or the store unavailable. Listed once for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Read only by the OpenAPI derive.
enum AdminAuthResponses<'a> {
    /// No token, or not a live client_credentials token of this server (`WWW-Authenticate: Bearer`)
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem<'a>),
    /// The token lacks the scope ciam:admin
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem<'a>),
    /// Temporarily unavailable; see `Retry-After`
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem<'a>),
}

/// The admin client a request proves, authorized by the domain before the handler runs.
pub(crate) struct Caller {
    caller: AdminCaller,
    services: web::Data<Services>,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let token = BearerToken::from_request(req, payload);
        let address = req.peer_addr().map(|peer| peer.ip());
        let services = req.app_data::<web::Data<Services>>().cloned();
        Box::pin(async move {
            let token = token.await.map_err(ApiError::as_problem)?;
            let services = services
                .ok_or_else(|| ApiError::unavailable("services not configured").as_problem())?;
            let authorizing = services.clone();
            let caller = blocking(move || {
                let caller = authorizing
                    .admin
                    .authorize(token.secret().expose(), address)?;
                Ok(caller)
            })
            .await
            .map_err(ApiError::as_problem)?;
            Ok(Caller { caller, services })
        })
    }
}

impl Caller {
    /// Runs an admin operation on the blocking pool, in a span naming the caller's
    /// `client_id` (never its token), so every log line of it is attributable.
    async fn act<T, F>(self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Services, &AdminCaller) -> Result<T, AdminOpError> + Send + 'static,
        T: Send + 'static,
    {
        let Caller { caller, services } = self;
        blocking(move || {
            let span = tracing::info_span!("admin", caller = %caller.client_id());
            Ok(span.in_scope(|| work(&services, &caller))?)
        })
        .await
        .map_err(ApiError::as_problem)
    }
}

/// A path parameter actix could not decode (not UTF-8) names nothing: 404, as an unknown
/// id is. Ids too long or with odd characters are the domain's to refuse, the same way.
fn path_id(param: Result<web::Path<String>, actix_web::Error>) -> Result<String, ApiError> {
    param
        .map(web::Path::into_inner)
        .map_err(|_| ApiError::not_found_problem("no user or client with this id"))
}
