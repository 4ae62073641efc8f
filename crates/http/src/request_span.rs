//! A tracing span per request, and its id. Only the method, the path (never the query
//! string, where a careless client may put a credential), the request id and the outcome
//! are recorded.
//!
//! Every response carries `X-Request-Id`: the caller's own when it is sane (so one id
//! follows a request through a proxy or a gateway), else a new random one. Every log line
//! of the request carries it, as a field of the `request` span.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming id kept.
const MAX_REQUEST_ID_LEN: usize = 128;

/// An incoming id is kept only if it cannot forge a log line or a header: ASCII letters,
/// digits and `-_.:@/+=`, at most 128 of them.
fn is_sane(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@/+=".contains(&b))
}

/// A new id: 64 random bits drawn once per process, then a counter, in hex. Unique across
/// processes and restarts in practice, and free of a system call on every request (ids
/// need to be unique, not secret).
fn new_request_id() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            // No entropy (should not happen): the start time still tells processes apart.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = (nanos as u64).to_be_bytes();
        }
        u64::from_be_bytes(bytes)
    });
    format!(
        "{prefix:016x}{:016x}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_sane(id))
        .map_or_else(new_request_id, str::to_owned);
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.path(),
        request_id = %request_id,
        status = tracing::field::Empty,
    );
    let started = Instant::now();
    // Handlers' errors arrive as responses; an `Err` here comes from actix itself, and is
    // rendered by actix further out, without the header.
    let mut response = next.call(req).instrument(span.clone()).await;
    let status = match &response {
        Ok(response) => response.status().as_u16(),
        Err(error) => error.as_response_error().status_code().as_u16(),
    };
    span.record("status", status);
    span.in_scope(|| {
        tracing::info!(
            elapsed_us = started.elapsed().as_micros() as u64,
            "response"
        );
    });
    if let (Ok(response), Ok(value)) = (&mut response, HeaderValue::from_str(&request_id)) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_incoming_ids_are_kept() {
        assert!(is_sane("5f0c-ab12.trace:1"));
        for bad in ["", "a b", "line\nbreak", "quote\"", "é", &"x".repeat(129)] {
            assert!(!is_sane(bad), "{bad:?}");
        }
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(is_sane(&id));
        assert_ne!(id, new_request_id());
    }
}
