//! `POST /admin/v1/users` (create), `GET /admin/v1/users` (list, keyset paging and a
//! username prefix) and `PATCH /admin/v1/users/{user_id}` (profile).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{NewUser, ProfilePatch, Secret};
use serde::{Deserialize, Serialize};

use super::json_body::{present, read_json};
use super::user::UserResponse;
use super::{path_id, AdminAuthResponses, Caller};
use crate::error::problem::Problem;
use crate::{routes, ApiError};

/// A new user (`ciam user create`'s members).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewUser)]
struct CreateBody {
    username: String,
    password: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Create a user
///
/// The password is held to the password policy (docs/accounts.md).
#[utoipa::path(
    post,
    path = routes::ADMIN_USERS.path,
    tag = "admin",
    request_body(content = CreateBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names the user", body = UserResponse, headers(("Location" = String))),
        (status = 409, description = "A user with this username exists", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "A value is not acceptable (username, password, email)", content_type = "application/problem+json", body = Problem),
        (status = 400, description = "The body is not the JSON object this endpoint takes", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, POST`)", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "The body is over 16 KiB", content_type = "application/problem+json", body = Problem),
        (status = 415, description = "The body is not application/json", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn create_user(
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: CreateBody = read_json(&req, payload).await?;
    let new = NewUser {
        username: body.username,
        // Held as a secret from here on: never logged, never shown.
        password: Secret::new(body.password),
        name: body.name,
        email: body.email,
    };
    let user = caller
        .act(move |services, caller| services.admin.create_user(caller, new))
        .await?;
    // RFC 9110 §15.3.2: a 201 names the new resource in Location.
    let location = routes::ADMIN_USER
        .path
        .replace("{user_id}", user.id.as_str());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(UserResponse::from(user)))
}

#[derive(Serialize, utoipa::ToSchema)]
struct UserList {
    users: Vec<UserResponse>,
    /// The `after` of the next page; `null` on the last one.
    next: Option<String>,
}

/// List users
///
/// By id, a page at a time (keyset paging); `q` keeps usernames starting with it. Each parameter at most once; empty ones are absent.
#[utoipa::path(
    method(get, head),
    path = routes::ADMIN_USERS.path,
    tag = "admin",
    params(("limit" = Option<u32>, Query, description = "Page size, 1 to 200 (default 50)"), ("after" = Option<String>, Query, description = "The `next` of the previous page"), ("q" = Option<String>, Query, description = "A username prefix")),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 400, description = "A malformed or repeated query parameter", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, POST`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn list_users(caller: Caller, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(req.query_string())?;
    let (users, next) = caller
        .act(move |services, caller| {
            services.admin.list_users(
                caller,
                query.limit,
                query.after.as_deref(),
                query.q.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserList {
        users: users.into_iter().map(UserResponse::from).collect(),
        next: next.map(|id| id.to_string()),
    }))
}

/// `?limit=&after=&q=`: each at most once, empty ones as absent; others are ignored (the
/// clients' list reads `limit` and `after` only).
#[derive(Default)]
pub(super) struct ListQuery {
    pub(super) limit: Option<usize>,
    pub(super) after: Option<String>,
    q: Option<String>,
}

impl ListQuery {
    pub(super) fn parse(query: &str) -> Result<ListQuery, ApiError> {
        let bad = |detail| ApiError::problem(StatusCode::BAD_REQUEST, detail);
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| bad("the query is not application/x-www-form-urlencoded"))?;
        let mut parsed = ListQuery::default();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            let repeated = match name.as_str() {
                "limit" => {
                    let limit = value.parse().map_err(|_| bad("limit must be 1 to 200"))?;
                    parsed.limit.replace(limit).is_some()
                }
                "after" => parsed.after.replace(value).is_some(),
                "q" => parsed.q.replace(value).is_some(),
                _ => false,
            };
            if repeated {
                return Err(bad("a query parameter is repeated"));
            }
        }
        Ok(parsed)
    }
}

/// A change of profile: an absent member is kept, `null` clears it, a value sets it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserPatch)]
struct PatchBody {
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default)]
    email_verified: Option<bool>,
}

/// Change a user's profile
///
/// Name, email and whether the email is verified.
#[utoipa::path(
    patch,
    path = routes::ADMIN_USER.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id")),
    request_body(content = PatchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The user after the change", body = UserResponse),
        (status = 422, description = "A value is not acceptable", content_type = "application/problem+json", body = Problem),
        (status = 400, description = "The body is not the JSON object this endpoint takes", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, PATCH, DELETE`)", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "The body is over 16 KiB", content_type = "application/problem+json", body = Problem),
        (status = 415, description = "The body is not application/json", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn update_user(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    let body: PatchBody = read_json(&req, payload).await?;
    let patch = ProfilePatch {
        name: body.name,
        email: body.email,
        email_verified: body.email_verified,
    };
    let user = caller
        .act(move |services, caller| services.admin.update_user(caller, &user_id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

#[cfg(test)]
mod tests {
    use super::ListQuery;

    #[test]
    fn the_list_query_takes_each_parameter_once() {
        let query = ListQuery::parse("limit=5&after=abc&q=al%C3%AF&other=1&q=").expect("valid");
        assert_eq!(query.limit, Some(5));
        assert_eq!(query.after.as_deref(), Some("abc"));
        assert_eq!(query.q.as_deref(), Some("alï"));
        for bad in ["limit=x", "limit=-1", "limit=1&limit=2", "after=a&after=b"] {
            assert!(ListQuery::parse(bad).is_err(), "{bad}");
        }
        assert!(ListQuery::parse("").expect("empty").limit.is_none());
    }
}
