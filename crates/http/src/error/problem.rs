//! An error as RFC 9457 problem details (`application/problem+json`): what the admin API
//! answers. Every problem is `about:blank` (RFC 9457 §4.2.1): its `title` is the status's
//! phrase, and the status, the `detail` and, on a 401 or 403, the Bearer challenge's
//! `error` (RFC 6750 §3.1) say what went wrong. The `detail` is one of the sentences below,
//! never anything from inside: docs/admin-api.md lists them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

pub(super) const CONTENT_TYPE: &str = "application/problem+json";

/// RFC 9457 §4.2.1: a problem with no type of its own beyond its status.
const ABOUT_BLANK: &str = "about:blank";

/// RFC 9457 §3.1: the members every problem here has.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem<'a> {
    /// Always `about:blank` (RFC 9457 §4.2.1).
    #[serde(rename = "type")]
    problem_type: &'static str,
    /// The status's reason phrase.
    title: &'static str,
    /// The HTTP status code.
    status: u16,
    /// What went wrong, one of the sentences of docs/admin-api.md.
    detail: &'a str,
}

pub(super) fn respond(
    mut response: HttpResponseBuilder,
    status: StatusCode,
    code: Option<&'static str>,
    description: Option<&str>,
) -> HttpResponse {
    let title = status.canonical_reason().unwrap_or("Error");
    response.content_type(CONTENT_TYPE).json(Problem {
        problem_type: ABOUT_BLANK,
        title,
        status: status.as_u16(),
        detail: description.unwrap_or_else(|| detail_of(code).unwrap_or(title)),
    })
}

/// The detail of an error that carries no description of its own, by its code.
fn detail_of(code: Option<&'static str>) -> Option<&'static str> {
    Some(match code {
        // RFC 6750 §3.1: a request with no credentials; the challenge stays bare.
        None => "an access token is required: Authorization: Bearer <token>",
        Some("invalid_token") => {
            "the access token is not a live client_credentials token of this server"
        }
        Some("insufficient_scope") => "the access token lacks the scope ciam:admin",
        Some("temporarily_unavailable") => {
            "the service is temporarily unavailable; retry after the time in Retry-After"
        }
        Some(_) => return None,
    })
}
