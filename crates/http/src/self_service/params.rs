//! The body of a self-service request: `application/x-www-form-urlencoded` (like every
//! OAuth endpoint here) or a JSON object, read within the same size and time limits.

use std::collections::HashMap;

use actix_web::dev::Payload;
use actix_web::HttpRequest;
use serde_json::Value;

use crate::form::{has_content_type, read_limited, Form};
use crate::ApiError;

/// The names whose values are secrets: never accepted in the URI (RFC 6749 §2.3.1 and
/// RFC 6750 §2.3 say why for credentials: URIs are logged).
const SECRET_NAMES: [&str; 4] = ["current_password", "new_password", "password", "code"];

/// Parameters by name, each at most once; empty ones dropped, as in OAuth forms.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Reads the body as a form or as a JSON object of strings (booleans are taken as
    /// `true`/`false`, `null` as absent). Anything else is `invalid_request`.
    pub(crate) async fn read(req: &HttpRequest, mut payload: Payload) -> Result<Params, ApiError> {
        if crate::query::names(req.query_string()).any(|name| SECRET_NAMES.contains(&&*name)) {
            return Err(ApiError::invalid_request(
                "credentials must not be sent in the URI",
            ));
        }
        let json = has_content_type(req, "application/json");
        if !json && !has_content_type(req, "application/x-www-form-urlencoded") {
            return Err(ApiError::invalid_request(
                "content type must be application/x-www-form-urlencoded or application/json",
            ));
        }
        let body = read_limited(req, &mut payload).await?;
        if json {
            return Params::from_json(&body);
        }
        let mut form = Form::parse(&body)?;
        let mut values = HashMap::new();
        for name in SECRET_NAMES
            .iter()
            .chain(["username", "keep_current_session"].iter())
        {
            if let Some(value) = form.take(name) {
                values.insert((*name).to_owned(), value);
            }
        }
        Ok(Params { values })
    }

    fn from_json(body: &[u8]) -> Result<Params, ApiError> {
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Err(ApiError::invalid_request("the body must be a JSON object"));
        };
        let mut values = HashMap::new();
        for (name, value) in object {
            let value = match value {
                Value::String(text) if text.is_empty() => continue,
                Value::String(text) => text,
                Value::Bool(flag) => flag.to_string(),
                Value::Null => continue,
                _ => {
                    return Err(ApiError::invalid_request(
                        "every member must be a string or a boolean",
                    ))
                }
            };
            values.insert(name, value);
        }
        Ok(Params { values })
    }

    pub(crate) fn take(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }

    /// A required parameter.
    pub(crate) fn require(
        &mut self,
        name: &str,
        missing: &'static str,
    ) -> Result<String, ApiError> {
        self.take(name).ok_or(ApiError::invalid_request(missing))
    }

    /// An optional flag: absent or `false` is false, `true` is true, anything else
    /// `invalid_request`.
    pub(crate) fn flag(&mut self, name: &str, invalid: &'static str) -> Result<bool, ApiError> {
        match self.take(name).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ApiError::invalid_request(invalid)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_members_are_strings_or_booleans() {
        let mut params =
            Params::from_json(br#"{"a":"x","b":true,"c":null,"d":""}"#).expect("valid");
        assert_eq!(params.take("a").as_deref(), Some("x"));
        assert_eq!(params.take("b").as_deref(), Some("true"));
        assert_eq!(params.take("c"), None);
        assert_eq!(params.take("d"), None);
        for bad in [
            &br#"{"a":1}"#[..],
            br#"["a"]"#,
            br#"{"a":{"b":"c"}}"#,
            b"not json",
        ] {
            assert!(Params::from_json(bad).is_err());
        }
    }
}
