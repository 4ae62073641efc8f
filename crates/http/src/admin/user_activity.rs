//! `GET /admin/v1/users/{user_id}/sessions`, `DELETE …/sessions/{session_id}`,
//! `GET /admin/v1/users/{user_id}/grants` and `DELETE …/grants/{grant_id}`: a user's live
//! sessions and refresh-token grants, and ending one of each. A 204 means durable and
//! visible to resource servers, as for RFC 7009 revocation. Never a cookie, a token or a
//! hash: the domain's views hold none.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::paging::Page;
use ciam_domain::{GrantView, SessionView};
use serde::Serialize;

use super::{path_id, AdminAuthResponses, Caller};
use crate::error::problem::Problem;
use crate::{routes, ApiError};

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Session)]
struct SessionResponse {
    id: String,
    /// Unix seconds, as every time below.
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    clients: Vec<String>,
}

impl From<SessionView> for SessionResponse {
    fn from(session: SessionView) -> Self {
        SessionResponse {
            id: session.id.to_string(),
            created_at: session.created_at.0,
            last_seen_at: session.last_seen_at.0,
            expires_at: session.expires_at.0,
            clients: session.clients.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Grant)]
struct GrantResponse {
    id: String,
    client_id: String,
    scope: String,
    created_at: i64,
    expires_at: i64,
    session_id: Option<String>,
}

impl From<GrantView> for GrantResponse {
    fn from(grant: GrantView) -> Self {
        GrantResponse {
            id: grant.id.to_string(),
            client_id: grant.client_id.to_string(),
            scope: grant.scope.to_string(),
            created_at: grant.created_at.0,
            expires_at: grant.expires_at.0,
            session_id: grant.session_id.map(|id| id.to_string()),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct SessionList {
    sessions: Vec<SessionResponse>,
    /// The `after` of the next page; `null` on the last one.
    next: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct GrantList {
    grants: Vec<GrantResponse>,
    next: Option<String>,
}

/// List a user's live sessions
///
/// A page at a time. Never a cookie.
#[utoipa::path(
    method(get, head),
    path = routes::ADMIN_USER_SESSIONS.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id"), ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 100)"), ("after" = Option<String>, Query, description = "The `next` of the previous page")),
    responses(
        (status = 200, description = "A page of sessions", body = SessionList),
        (status = 400, description = "A malformed or repeated query parameter", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn list_user_sessions(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    let query = PageQuery::parse(req.query_string())?;
    let Page { items, next } = caller
        .act(move |services, caller| {
            services
                .admin
                .list_user_sessions(caller, &user_id, query.limit, query.after.as_deref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(SessionList {
        sessions: items.into_iter().map(SessionResponse::from).collect(),
        next,
    }))
}

/// End a session of a user
///
/// Its grants are revoked and its clients sent logout tokens; the 204 means durable and visible.
#[utoipa::path(
    delete,
    path = routes::ADMIN_USER_SESSION.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id"), ("session_id" = String, Path, description = "The session's id")),
    responses(
        (status = 204, description = "Ended"),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: DELETE`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn end_user_session(
    caller: Caller,
    ids: Result<web::Path<(String, String)>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, session_id) = path_ids(ids)?;
    caller
        .act(move |services, caller| {
            services
                .admin
                .end_user_session(caller, &user_id, &session_id)
        })
        .await?;
    crate::metrics::revoked("session");
    Ok(HttpResponse::NoContent().finish())
}

/// List a user's live grants
///
/// Refresh-token families, a page at a time. Never a token.
#[utoipa::path(
    method(get, head),
    path = routes::ADMIN_USER_GRANTS.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id"), ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 100)"), ("after" = Option<String>, Query, description = "The `next` of the previous page")),
    responses(
        (status = 200, description = "A page of grants", body = GrantList),
        (status = 400, description = "A malformed or repeated query parameter", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn list_user_grants(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    let query = PageQuery::parse(req.query_string())?;
    let Page { items, next } = caller
        .act(move |services, caller| {
            services
                .admin
                .list_user_grants(caller, &user_id, query.limit, query.after.as_deref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(GrantList {
        grants: items.into_iter().map(GrantResponse::from).collect(),
        next,
    }))
}

/// Revoke a grant of a user
///
/// Its refresh tokens and access tokens; the 204 means durable and visible.
#[utoipa::path(
    delete,
    path = routes::ADMIN_USER_GRANT.path,
    tag = "admin",
    params(("user_id" = String, Path, description = "The user's id"), ("grant_id" = String, Path, description = "The grant's id")),
    responses(
        (status = 204, description = "Revoked"),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: DELETE`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn revoke_user_grant(
    caller: Caller,
    ids: Result<web::Path<(String, String)>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, grant_id) = path_ids(ids)?;
    caller
        .act(move |services, caller| {
            services
                .admin
                .revoke_user_grant(caller, &user_id, &grant_id)
        })
        .await?;
    crate::metrics::revoked("grant");
    Ok(HttpResponse::NoContent().finish())
}

/// Two path parameters, as [`path_id`] takes one: undecodable names nothing (404).
fn path_ids(
    params: Result<web::Path<(String, String)>, actix_web::Error>,
) -> Result<(String, String), ApiError> {
    params
        .map(web::Path::into_inner)
        .map_err(|_| ApiError::not_found_problem("no user or client with this id"))
}

/// `?limit=&after=`: each at most once, empty ones as absent; others are ignored.
#[derive(Default)]
struct PageQuery {
    limit: Option<usize>,
    after: Option<String>,
}

impl PageQuery {
    fn parse(query: &str) -> Result<PageQuery, ApiError> {
        let bad = |detail| ApiError::problem(StatusCode::BAD_REQUEST, detail);
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| bad("the query is not application/x-www-form-urlencoded"))?;
        let mut parsed = PageQuery::default();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            let repeated = match name.as_str() {
                "limit" => {
                    let limit = value.parse().map_err(|_| bad("limit must be 1 to 1000"))?;
                    parsed.limit.replace(limit).is_some()
                }
                "after" => parsed.after.replace(value).is_some(),
                _ => false,
            };
            if repeated {
                return Err(bad("a query parameter is repeated"));
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::PageQuery;

    #[test]
    fn the_page_query_takes_each_parameter_once() {
        let query = PageQuery::parse("limit=5&after=abc&other=1&after=").expect("valid");
        assert_eq!(query.limit, Some(5));
        assert_eq!(query.after.as_deref(), Some("abc"));
        for bad in ["limit=x", "limit=-1", "limit=1&limit=2", "after=a&after=b"] {
            assert!(PageQuery::parse(bad).is_err(), "{bad}");
        }
        assert!(PageQuery::parse("").expect("empty").limit.is_none());
    }
}
