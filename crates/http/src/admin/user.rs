//! `GET /admin/v1/users/{user_id}`: a user's profile, never their password hash.

use actix_web::{web, HttpResponse};
use ciam_domain::UserView;
use serde::Serialize;

use super::{path_id, AdminAuthResponses, Caller};
use crate::error::problem::Problem;
use crate::{routes, ApiError};

/// A user as the admin API shows them: never a hash.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub(super) struct UserResponse {
    id: String,
    username: String,
    name: Option<String>,
    email: Option<String>,
    email_verified: bool,
    /// Unix seconds.
    created_at: i64,
    disabled: bool,
    /// Unix seconds; `null` when enabled.
    disabled_at: Option<i64>,
}

impl From<UserView> for UserResponse {
    fn from(user: UserView) -> Self {
        UserResponse {
            id: user.id.to_string(),
            username: user.username,
            name: user.name,
            email: user.email,
            email_verified: user.email_verified,
            created_at: user.created_at.0,
            disabled: user.disabled_at.is_some(),
            disabled_at: user.disabled_at.map(|t| t.0),
        }
    }
}

/// Read a user
///
/// Their profile, never their password hash.
#[utoipa::path(
    method(get, head),
    path = routes::ADMIN_USER.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, PATCH, DELETE`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn get_user(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    let user = caller
        .act(move |services, caller| services.admin.get_user(caller, &user_id))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}
