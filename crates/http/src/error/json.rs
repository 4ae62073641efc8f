//! An error as the OAuth JSON body (RFC 6749 §5.2): what the token, revocation and
//! introspection endpoints answer, and the default shape.

use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

pub(super) fn respond(
    mut response: HttpResponseBuilder,
    code: Option<&'static str>,
    description: Option<&str>,
) -> HttpResponse {
    match code {
        Some(error) => response.json(ErrorBody {
            error,
            error_description: description,
        }),
        // RFC 6750 §3.1: a request with no credentials gets no error information at all.
        None => response.finish(),
    }
}
