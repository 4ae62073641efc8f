//! `POST /admin/v1/users/{user_id}/disable`, `POST …/enable` and
//! `DELETE /admin/v1/users/{user_id}`. Disabling and deleting revoke everything of the
//! user first; their 200 or 204 means durable and visible, as for RFC 7009 revocation.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::user::UserResponse;
use super::{path_id, Caller};
use crate::ApiError;

#[derive(Serialize)]
struct Disabled {
    #[serde(flatten)]
    user: UserResponse,
    grants_revoked: usize,
    sessions_ended: usize,
}

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
