//! Client authentication as sent over HTTP (RFC 6749 §2.3): `client_secret_basic`,
//! `client_secret_post`, or `client_id` alone for public clients (RFC 7009 §5).

use actix_web::http::header;
use actix_web::HttpRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ciam_domain::{Client, ClientCredentials, Clients, Secret};
use percent_encoding::percent_decode_str;

use crate::form::Form;
use crate::ApiError;

/// The credentials a request carries, and whether they came by HTTP Basic (which decides
/// the `WWW-Authenticate` challenge on failure).
pub(crate) struct ClientAuth {
    pub credentials: ClientCredentials,
    pub basic: bool,
}

impl ClientAuth {
    /// Authenticates the client (a blocking call: the client may have to be read from the
    /// store). A failure answers a Basic attempt with the Basic challenge (RFC 6749 §5.2).
    pub(crate) fn authenticate(&self, clients: &Clients) -> Result<Client, ApiError> {
        clients
            .authenticate(&self.credentials)
            .map_err(|e| self.error(e))
    }

    /// The client, if it authenticates from memory alone (see
    /// `Clients::authenticate_from_memory`); `None` when that needs the store, or fails:
    /// the blocking path then answers as always.
    pub(crate) fn authenticated_from_memory(&self, clients: &Clients) -> Option<Client> {
        clients
            .authenticate_from_memory(&self.credentials)
            .and_then(Result::ok)
    }

    /// The response to a domain error, with the Basic challenge when the client used Basic.
    pub(crate) fn error(&self, error: impl Into<ApiError>) -> ApiError {
        error.into().with_basic_challenge(self.basic)
    }

    pub(crate) fn extract(req: &HttpRequest, form: &Form) -> Result<ClientAuth, ApiError> {
        let basic = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .map(|(_, credentials)| credentials.trim());

        let Some(encoded) = basic else {
            let client_id = form
                .get("client_id")
                .ok_or(ApiError::invalid_client(false))?;
            return Ok(ClientAuth {
                credentials: ClientCredentials {
                    client_id: client_id.to_owned(),
                    secret: form.get("client_secret").map(Secret::new),
                },
                basic: false,
            });
        };

        // RFC 6749 §2.3: a client MUST NOT use more than one authentication method.
        if form.get("client_secret").is_some() {
            return Err(ApiError::invalid_request(
                "more than one client authentication method",
            ));
        }
        let (client_id, secret) = decode_basic(encoded).ok_or(ApiError::invalid_client(true))?;
        if form.get("client_id").is_some_and(|id| id != client_id) {
            return Err(ApiError::invalid_request(
                "client_id does not match the Authorization header",
            ));
        }
        Ok(ClientAuth {
            credentials: ClientCredentials {
                client_id,
                secret: (!secret.is_empty()).then(|| Secret::new(secret)),
            },
            basic: true,
        })
    }
}

/// RFC 6749 §2.3.1 and App. B: `base64(urlencode(id) ":" urlencode(secret))`.
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = form_decode(id)?;
    (!id.is_empty()).then_some(())?;
    Some((id, form_decode(secret)?))
}

/// application/x-www-form-urlencoded decoding of one value: `+` is a space.
fn form_decode(value: &str) -> Option<String> {
    percent_decode_str(&value.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|v| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        STANDARD.encode(raw)
    }

    #[test]
    fn basic_values_are_form_decoded() {
        assert_eq!(
            decode_basic(&basic("my%20client:s%3Acret+x")),
            Some(("my client".into(), "s:cret x".into()))
        );
    }

    #[test]
    fn malformed_basic_is_refused() {
        assert_eq!(decode_basic("!!!"), None);
        assert_eq!(decode_basic(&basic("no-colon")), None);
        assert_eq!(decode_basic(&basic(":secret")), None);
        assert_eq!(decode_basic(&basic("id:%ZZ%FF%FE")), None);
    }
}
