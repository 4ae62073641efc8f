//! `GET /admin/v1/audit`: the audit trail, a page at a time, oldest first.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use ciam_domain::{AuditFilter, AuditRecord, Outcome};
use serde::Serialize;

use super::{AdminAuthResponses, Caller};
use crate::error::problem::Problem;
use crate::{routes, ApiError};

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
struct EntryResponse {
    seq: i64,
    at: i64,
    actor: ActorResponse,
    action: &'static str,
    user_id: Option<String>,
    client_id: Option<String>,
    target: Option<String>,
    address: Option<String>,
    outcome: &'static str,
    reason: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AuditActor)]
struct ActorResponse {
    kind: &'static str,
    id: Option<String>,
}

impl From<AuditRecord> for EntryResponse {
    fn from(record: AuditRecord) -> Self {
        let event = record.event;
        let (kind, id) = event.actor.parts();
        let (outcome, reason) = match event.outcome {
            Outcome::Success => ("success", None),
            Outcome::Failure(reason) => ("failure", Some(reason)),
        };
        EntryResponse {
            seq: record.seq,
            at: event.at.0,
            actor: ActorResponse {
                kind,
                id: id.map(str::to_owned),
            },
            action: event.action.as_str(),
            user_id: event.user_id.map(|id| id.to_string()),
            client_id: event.client_id.map(|id| id.to_string()),
            target: event.target,
            address: event.address.map(|address| address.to_string()),
            outcome,
            reason,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct AuditList {
    entries: Vec<EntryResponse>,
    /// The `after` of the next page; `null` on the last one.
    next: Option<i64>,
}

/// Read the audit trail
///
/// Oldest first, a page at a time. Each parameter at most once; empty ones are absent.
#[utoipa::path(
    method(get, head),
    path = routes::ADMIN_AUDIT.path,
    tag = "admin",
    params(("since" = Option<i64>, Query, description = "Unix seconds: entries at or after"), ("until" = Option<i64>, Query, description = "Unix seconds: entries before"), ("user" = Option<String>, Query, description = "Entries about the user, or made by them"), ("client" = Option<String>, Query, description = "Entries about the client, or made by it"), ("kind" = Option<String>, Query, description = "An action (`revoke.grant`) or a family (`revoke`)"), ("after" = Option<i64>, Query, description = "The `next` of the previous page"), ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 100)")),
    responses(
        (status = 200, description = "A page of entries", body = AuditList),
        (status = 400, description = "A malformed or repeated query parameter", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn list_audit(caller: Caller, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let query = AuditQueryParams::parse(req.query_string())?;
    let page = caller
        .act(move |services, caller| {
            services.admin.list_audit(
                caller,
                &AuditFilter {
                    since: query.since,
                    until: query.until,
                    user: query.user.as_deref(),
                    client: query.client.as_deref(),
                    kind: query.kind.as_deref(),
                    after: query.after,
                    limit: query.limit,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(AuditList {
        entries: page.entries.into_iter().map(EntryResponse::from).collect(),
        next: page.next,
    }))
}

/// `?since=&until=&user=&client=&kind=&after=&limit=`: each at most once, empty ones as
/// absent, unknown ones ignored (as the users listing does).
#[derive(Default)]
struct AuditQueryParams {
    since: Option<i64>,
    until: Option<i64>,
    user: Option<String>,
    client: Option<String>,
    kind: Option<String>,
    after: Option<i64>,
    limit: Option<usize>,
}

impl AuditQueryParams {
    fn parse(query: &str) -> Result<AuditQueryParams, ApiError> {
        let bad = |detail| ApiError::problem(StatusCode::BAD_REQUEST, detail);
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| bad("the query is not application/x-www-form-urlencoded"))?;
        let seconds = |value: &str, detail| value.parse::<i64>().map_err(|_| bad(detail));
        let mut parsed = AuditQueryParams::default();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            let repeated = match name.as_str() {
                "since" => {
                    let since = seconds(&value, "since must be a Unix time in seconds")?;
                    parsed.since.replace(since).is_some()
                }
                "until" => {
                    let until = seconds(&value, "until must be a Unix time in seconds")?;
                    parsed.until.replace(until).is_some()
                }
                "after" => {
                    let after = seconds(&value, "after must be the next of a previous page")?;
                    parsed.after.replace(after).is_some()
                }
                "limit" => {
                    let limit = value.parse().map_err(|_| bad("limit must be 1 to 1000"))?;
                    parsed.limit.replace(limit).is_some()
                }
                "user" => parsed.user.replace(value).is_some(),
                "client" => parsed.client.replace(value).is_some(),
                "kind" => parsed.kind.replace(value).is_some(),
                _ => false,
            };
            if repeated {
                return Err(bad("a query parameter is repeated"));
            }
        }
        Ok(parsed)
    }
}
