//! `GET /admin/v1/users/{user_id}`: a user's profile, never their password hash.

use actix_web::{web, HttpResponse};
use ciam_domain::UserView;
use serde::Serialize;

use super::{path_id, Caller};
use crate::ApiError;

/// A user as the admin API shows them: never a hash.
#[derive(Serialize)]
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
