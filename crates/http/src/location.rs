//! `Location` values that carry parameters back to a client (RFC 6749 §4.1.2, §4.1.2.1).

use actix_web::http::header::HeaderValue;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986 unreserved characters is percent-encoded, so no value can end
/// a parameter early (`&`, `=`), start a fragment (`#`) or be read as a space (`+`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `uri` with `params` added to its query, keeping the query it has (RFC 6749 §3.1.2: it
/// MUST be retained); `None` if the result cannot be a header value.
pub(crate) fn with_query(uri: &str, params: &[(&str, &str)]) -> Option<HeaderValue> {
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY_VALUE)))
        .collect();
    let separator = match uri.split_once('?') {
        None => "?",
        Some((_, query)) if query.is_empty() || query.ends_with('&') => "",
        Some(_) => "&",
    };
    HeaderValue::from_str(&format!("{uri}{separator}{}", query.join("&"))).ok()
}
