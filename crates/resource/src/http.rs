//! The calls to the issuer: discovery (RFC 8414 / OpenID Discovery), the JWKS, and
//! introspection (RFC 7662). Blocking (`ureq`), each bounded by one timeout, no redirects
//! followed (credentials never go anywhere but the configured issuer's endpoints).

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;

/// The most read from any issuer response.
const MAX_BODY: u64 = 1024 * 1024;

/// The endpoints of the discovery document that a verifier uses.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Metadata {
    pub issuer: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
}

/// A call that did not produce a usable answer. The text is for logs only.
#[derive(Debug)]
pub(crate) struct HttpError(pub String);

pub(crate) struct IssuerClient {
    issuer: String,
    agent: ureq::Agent,
    metadata: Mutex<Option<Metadata>>,
}

impl IssuerClient {
    pub fn new(issuer: &str, timeout: Duration) -> IssuerClient {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout(timeout)
            .redirects(0)
            .user_agent(concat!("ciam-resource/", env!("CARGO_PKG_VERSION")))
            .build();
        IssuerClient {
            issuer: issuer.to_owned(),
            agent,
            metadata: Mutex::new(None),
        }
    }

    /// The discovery document, fetched once (a failure is retried on the next call). Its
    /// `issuer` must be the configured one, exactly (RFC 8414 §3.3).
    pub fn metadata(&self) -> Result<Metadata, HttpError> {
        let mut cached = self.metadata.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(metadata) = cached.as_ref() {
            return Ok(metadata.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let metadata: Metadata = self.get_json(&url)?;
        if metadata.issuer != self.issuer {
            return Err(HttpError(format!(
                "{url} names issuer {:?}, not the configured {:?}",
                metadata.issuer, self.issuer
            )));
        }
        *cached = Some(metadata.clone());
        Ok(metadata)
    }

    /// The JWKS, as JSON: each key is parsed on its own, so one key of a kind this crate
    /// does not know does not hide the others.
    pub fn jwks(&self) -> Result<Vec<serde_json::Value>, HttpError> {
        #[derive(Deserialize)]
        struct Set {
            keys: Vec<serde_json::Value>,
        }
        let uri = self.metadata()?.jwks_uri;
        let set: Set = self.get_json(&uri)?;
        Ok(set.keys)
    }

    /// RFC 7662 §2: `active` for `token`, asking as a confidential client
    /// (`client_secret_basic`, credentials form-urlencoded first: RFC 6749 §2.3.1).
    pub fn introspect(
        &self,
        endpoint: &str,
        client_id: &str,
        client_secret: &str,
        token: &str,
    ) -> Result<Introspected, HttpError> {
        let credentials = format!("{}:{}", form_encode(client_id), form_encode(client_secret));
        let response = self
            .agent
            .post(endpoint)
            .set(
                "Authorization",
                &format!("Basic {}", STANDARD.encode(credentials)),
            )
            .set("Accept", "application/json")
            .send_form(&[("token", token), ("token_type_hint", "access_token")]);
        read_json(endpoint, response)
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, HttpError> {
        let response = self.agent.get(url).set("Accept", "application/json").call();
        read_json(url, response)
    }
}

/// The part of an introspection answer a verifier needs.
#[derive(Debug, Deserialize)]
pub(crate) struct Introspected {
    pub active: bool,
    #[serde(default)]
    pub jti: Option<String>,
}

fn read_json<T: serde::de::DeserializeOwned>(
    url: &str,
    response: Result<ureq::Response, ureq::Error>,
) -> Result<T, HttpError> {
    let response = match response {
        Ok(response) => response,
        Err(ureq::Error::Status(status, _)) => {
            return Err(HttpError(format!("{url} answered {status}")))
        }
        Err(e) => return Err(HttpError(format!("{url}: {e}"))),
    };
    let mut body = Vec::new();
    response
        .into_reader()
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .map_err(|e| HttpError(format!("{url}: {e}")))?;
    serde_json::from_slice(&body)
        .map_err(|e| HttpError(format!("{url}: not the JSON expected: {e}")))
}

fn form_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        assert_eq!(form_encode("a b:c"), "a+b%3Ac");
    }
}
