//! `POST /admin/v1/users/{user_id}/revoke` and `POST /admin/v1/clients/{client_id}/revoke`:
//! everything of a user or a client issued until now is revoked (a not-before cut-off).
//! A 200 means durable and visible to resource servers, as for RFC 7009 revocation.

use actix_web::{web, HttpResponse};
use ciam_domain::ports::BulkRevoked;
use serde::Serialize;

use super::{path_id, AdminAuthResponses, Caller};
use crate::error::problem::Problem;
use crate::{routes, ApiError};

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = BulkRevoked)]
struct Revoked {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    grants_revoked: usize,
    sessions_ended: usize,
}

impl Revoked {
    fn of(revoked: &BulkRevoked) -> Revoked {
        Revoked {
            user_id: None,
            client_id: None,
            grants_revoked: revoked.grant_count,
            sessions_ended: revoked.session_count,
        }
    }
}

/// Revoke everything of a user
///
/// Every access token issued to them until now, their grants, codes and sessions (a not-before cut-off). The 200 means durable and visible to resource servers.
#[utoipa::path(
    post,
    path = routes::ADMIN_REVOKE_USER.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "Revoked", body = Revoked),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: POST`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn revoke_user(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    let target = user_id.clone();
    let revoked = caller
        .act(move |services, caller| services.admin.revoke_user(caller, &target))
        .await?;
    crate::metrics::revoked("user");
    Ok(HttpResponse::Ok().json(Revoked {
        user_id: Some(user_id),
        ..Revoked::of(&revoked)
    }))
}

/// Revoke everything of a client
///
/// Every access token issued to it until now and its grants (a not-before cut-off). The 200 means durable and visible to resource servers.
#[utoipa::path(
    post,
    path = routes::ADMIN_REVOKE_CLIENT.path,
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "Revoked", body = Revoked),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: POST`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn revoke_client(
    caller: Caller,
    client_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path_id(client_id)?;
    let target = client_id.clone();
    let revoked = caller
        .act(move |services, caller| services.admin.revoke_client(caller, &target))
        .await?;
    crate::metrics::revoked("client");
    Ok(HttpResponse::Ok().json(Revoked {
        client_id: Some(client_id),
        ..Revoked::of(&revoked)
    }))
}
