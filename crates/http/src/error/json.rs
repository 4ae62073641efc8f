//! An error as the OAuth JSON body (RFC 6749 §5.2): what the token, revocation and
//! introspection endpoints answer, and the default shape.

use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

/// An OAuth error (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OAuthError)]
pub(crate) struct ErrorBody<'a> {
    /// The error code: `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`, `invalid_token`,
    /// `insufficient_scope`, `temporarily_unavailable`, `not_found`, ...
    error: &'static str,
    /// A sentence for the developer, never anything from inside.
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
