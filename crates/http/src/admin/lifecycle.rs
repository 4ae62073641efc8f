//! `POST /admin/v1/users/{user_id}/disable`, `POST …/enable` and
//! `DELETE /admin/v1/users/{user_id}`. Disabling and deleting revoke everything of the
//! user first; their 200 or 204 means durable and visible, as for RFC 7009 revocation.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::user::UserResponse;
use super::{path_id, AdminAuthResponses, Caller};
use crate::error::problem::Problem;
use crate::{routes, ApiError};

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = DisabledUser)]
struct Disabled {
    #[serde(flatten)]
    user: UserResponse,
    grants_revoked: usize,
    sessions_ended: usize,
}

/// Disable a user
///
/// Their sign-ins fail from now on, and everything of theirs is revoked first: the 200 means durable and visible.
#[utoipa::path(
    post,
    path = routes::ADMIN_DISABLE_USER.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "Disabled", body = Disabled),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: POST`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn disable_user(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    let (user, revoked) = caller
        .act(move |services, caller| services.admin.disable_user(caller, &user_id))
        .await?;
    Ok(HttpResponse::Ok().json(Disabled {
        user: user.into(),
        grants_revoked: revoked.grant_count,
        sessions_ended: revoked.session_count,
    }))
}

/// Enable a disabled user
///
/// Tokens revoked while disabled stay revoked.
#[utoipa::path(
    post,
    path = routes::ADMIN_ENABLE_USER.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "Enabled", body = UserResponse),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: POST`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn enable_user(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    let user = caller
        .act(move |services, caller| services.admin.enable_user(caller, &user_id))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Delete a user
///
/// Everything of theirs is revoked first: the 204 means durable and visible.
#[utoipa::path(
    delete,
    path = routes::ADMIN_USER.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Deleted"),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, PATCH, DELETE`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn delete_user(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    caller
        .act(move |services, caller| services.admin.delete_user(caller, &user_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
