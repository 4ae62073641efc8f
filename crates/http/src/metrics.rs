//! What the HTTP edge measures (docs/operations.md), through the `metrics` facade: the
//! composition root installs the Prometheus recorder and hands [`Exposition`] back to serve
//! `GET /metrics`. Label values are only ever from fixed lists (route patterns, methods,
//! grant types), never from the request: no raw path, id, token or secret reaches a label.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use ciam_domain::{CodecError, Fault, GrantRequest};
use metrics::{Counter, Histogram};

use crate::routes;

pub const HTTP_REQUESTS: &str = "ciam_http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "ciam_http_request_duration_seconds";
pub const TOKENS_ISSUED: &str = "ciam_tokens_issued_total";
pub const REVOCATIONS: &str = "ciam_revocations_total";
pub const DEPENDENCY_FAILURES: &str = "ciam_dependency_failures_total";

/// The `route` of a request no route pattern matched: one label for every unknown path.
pub const UNMATCHED: &str = "unmatched";

/// Renders the Prometheus text exposition: given by the composition root, which owns the
/// recorder and samples its gauges (pool state, denylist staleness) when asked.
#[derive(Clone)]
pub struct Exposition(Arc<dyn Fn() -> String + Send + Sync>);

impl Exposition {
    pub fn new(render: impl Fn() -> String + Send + Sync + 'static) -> Exposition {
        Exposition(Arc::new(render))
    }
}

/// `GET /metrics`: the text format of Prometheus 0.0.4. Rendering reads counters already
/// held in memory; nothing the request carries is looked at.
#[utoipa::path(
    method(get, head),
    path = routes::METRICS,
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition (docs/operations.md); served on `CIAM_METRICS_LISTEN` instead when that is set", content_type = "text/plain"),
    ),
)]
pub(crate) async fn exposition(exposition: web::Data<Exposition>) -> HttpResponse {
    let text = web::block(move || (exposition.0)()).await;
    match text {
        Ok(text) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/plain; version=0.0.4"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// Middleware: counts every request by route pattern, method and status, and times it.
pub(crate) async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let response = next.call(req).await;
    let (route, status) = match &response {
        Ok(response) => (
            route_label(response.request().match_pattern()),
            response.status(),
        ),
        Err(error) => (UNMATCHED, error.as_response_error().status_code()),
    };
    let elapsed = started.elapsed().as_secs_f64();
    with_request_handles(route, method, status.as_u16(), |requests, duration| {
        requests.increment(1);
        duration.record(elapsed);
    });
    response
}

/// Route pattern, method, status.
type RequestLabels = (&'static str, &'static str, u16);

thread_local! {
    /// Each worker's handles by route, method and status: registering a labelled metric
    /// builds its key (a vector of labels) and looks it up in the recorder's registry, which
    /// every request would otherwise do twice. The labels come from fixed lists, so the map
    /// stays small.
    static REQUEST_HANDLES: RefCell<HashMap<RequestLabels, (Counter, Histogram)>> =
        RefCell::new(HashMap::new());
}

fn with_request_handles(
    route: &'static str,
    method: &'static str,
    status: u16,
    record: impl FnOnce(&Counter, &Histogram),
) {
    REQUEST_HANDLES.with(|handles| {
        let mut handles = handles.borrow_mut();
        let (requests, duration) = handles.entry((route, method, status)).or_insert_with(|| {
            (
                metrics::counter!(
                    HTTP_REQUESTS,
                    "route" => route,
                    "method" => method,
                    "status" => status_label(status),
                ),
                metrics::histogram!(HTTP_REQUEST_DURATION, "route" => route, "method" => method),
            )
        });
        record(requests, duration);
    })
}

/// The matched pattern, as the `'static` string of [`routes::PATTERNS`]; anything else
/// (no match, a scope's fallback) is [`UNMATCHED`].
fn route_label(pattern: Option<String>) -> &'static str {
    pattern
        .and_then(|pattern| routes::PATTERNS.iter().copied().find(|p| *p == pattern))
        .unwrap_or(UNMATCHED)
}

/// The status as a label: the codes this server answers are `'static` strings, so the hot
/// path allocates none; any other code is spelled out.
fn status_label(status: u16) -> metrics::SharedString {
    let known = match status {
        200 => "200",
        201 => "201",
        204 => "204",
        302 => "302",
        303 => "303",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        408 => "408",
        409 => "409",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        503 => "503",
        other => return metrics::SharedString::from(other.to_string()),
    };
    metrics::SharedString::const_str(known)
}

/// Methods the router knows by name; any other (an extension method) is `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The grant type label of a token request.
pub(crate) fn grant_type(grant: &GrantRequest) -> &'static str {
    match grant {
        GrantRequest::AuthorizationCode { .. } => "authorization_code",
        GrantRequest::ClientCredentials { .. } => "client_credentials",
        GrantRequest::Password { .. } => "password",
        GrantRequest::RefreshToken { .. } => "refresh_token",
    }
}

pub(crate) fn token_issued(grant_type: &'static str) {
    metrics::counter!(TOKENS_ISSUED, "grant_type" => grant_type).increment(1);
}

/// A revocation that succeeded, by what was asked: `token` (RFC 7009), `user`, `client`,
/// `grant`, `session` (the admin API).
pub(crate) fn revoked(kind: &'static str) {
    metrics::counter!(REVOCATIONS, "kind" => kind).increment(1);
}

/// Counts an outage by the dependency that failed; back-pressure (password hashing at
/// capacity) is no failure and is not counted here.
pub fn record_fault(fault: &Fault) {
    let dependency = match fault {
        Fault::Crypto(CodecError::Saturated) => return,
        Fault::Store(_) => "store",
        Fault::Denylist(_) | Fault::RebuildInterrupted => "denylist",
        Fault::Crypto(_) | Fault::NoActiveKey(_) => "crypto",
        Fault::Mail(_) => "mail",
    };
    metrics::counter!(DEPENDENCY_FAILURES, "dependency" => dependency).increment(1);
}

/// The dependencies [`record_fault`] names, for the composition root to start at zero.
pub const DEPENDENCIES: &[&str] = &["store", "denylist", "crypto", "mail"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_patterns_become_route_labels() {
        assert_eq!(
            route_label(Some("/admin/v1/users/{user_id}".into())),
            "/admin/v1/users/{user_id}"
        );
        assert_eq!(route_label(Some("/oauth2".into())), UNMATCHED);
        assert_eq!(route_label(Some("/admin/v1/users/42".into())), UNMATCHED);
        assert_eq!(route_label(None), UNMATCHED);
        for status in [200, 404, 418, 503, 599] {
            assert_eq!(&*status_label(status), status.to_string());
        }
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").expect("a method")),
            "other"
        );
    }
}
