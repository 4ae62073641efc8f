//! `POST /admin/v1/users` (create), `GET /admin/v1/users` (list, keyset paging and a
//! username prefix) and `PATCH /admin/v1/users/{user_id}` (profile).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{NewUser, ProfilePatch, Secret};
use serde::{Deserialize, Serialize};

use super::json_body::{present, read_json};
use super::user::UserResponse;
use super::{path_id, Caller};
use crate::{routes, ApiError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    username: String,
    password: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

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

#[derive(Serialize)]
struct UserList {
    users: Vec<UserResponse>,
    /// The `after` of the next page; `null` on the last one.
    next: Option<String>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default)]
    email_verified: Option<bool>,
}

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
