//! The HTTP transport handed to third-party client crates (`oauth2`, `openidconnect`): their
//! requests, byte for byte, over ureq, and the answers back as `oauth2::HttpResponse`.
//! Redirects are not followed (a client library following them is open to SSRF), and every
//! call is bounded in time.

use std::time::Duration;

use oauth2::{HttpRequest, HttpResponse};

#[derive(Debug)]
pub struct TransportError(String);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TransportError {}

/// Sends `request` as it is; a 4xx or 5xx answer is an answer, not a transport error.
pub fn transport(request: HttpRequest) -> Result<HttpResponse, TransportError> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .redirects(0)
        .build();
    let mut call = agent.request(request.method().as_str(), &request.uri().to_string());
    for (name, value) in request.headers() {
        call = call.set(
            name.as_str(),
            value.to_str().map_err(|e| TransportError(e.to_string()))?,
        );
    }
    let response = match call.send_bytes(request.body()) {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => return Err(TransportError(error.to_string())),
    };
    let mut builder = oauth2::http::Response::builder().status(response.status());
    let mut names = response.headers_names();
    names.sort();
    names.dedup();
    for name in names {
        for value in response.all(&name) {
            builder = builder.header(name.as_str(), value);
        }
    }
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut body)
        .map_err(|e| TransportError(e.to_string()))?;
    builder
        .body(body)
        .map_err(|e| TransportError(e.to_string()))
}
