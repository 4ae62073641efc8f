//! The `WWW-Authenticate` challenge an error answer carries: HTTP Basic for the OAuth
//! endpoints (RFC 6749 §5.2), Bearer for resources protected by an access token (RFC 6750 §3).

use actix_web::http::header::HeaderValue;

/// The one realm this server names in its challenges.
const REALM: &str = "ciam";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    None,
    /// RFC 6749 §5.2: a client that tried HTTP Basic gets `Basic realm="ciam"` on a 401.
    Basic,
    /// RFC 6750 §3. Its `error` attribute is the answer's error code, so the two cannot
    /// disagree; with no code (no authentication at all) the challenge is bare, as RFC 6750
    /// §3.1 asks.
    Bearer {
        /// RFC 6750 §3: the scope needed, with `insufficient_scope`. A `Box<str>` keeps
        /// `ApiError`, carried in every `Result`, small.
        scope: Option<Box<str>>,
    },
}

impl Challenge {
    /// The header value for an answer with this error code, or `None` for no challenge.
    pub(crate) fn header_value(&self, error: Option<&str>) -> Option<HeaderValue> {
        let value = match self {
            Challenge::None => return None,
            Challenge::Basic => format!("Basic realm={}", quoted(REALM)),
            Challenge::Bearer { scope } => {
                let mut value = format!("Bearer realm={}", quoted(REALM));
                if let Some(error) = error {
                    value.push_str(&format!(", error={}", quoted(error)));
                }
                if let Some(scope) = scope {
                    value.push_str(&format!(", scope={}", quoted(scope)));
                }
                value
            }
        };
        // `quoted` lets no control character through, so this does not fail; if it ever
        // did, a bare challenge still tells the client how to authenticate.
        Some(HeaderValue::from_str(&value).unwrap_or_else(|_| self.bare()))
    }

    fn bare(&self) -> HeaderValue {
        match self {
            Challenge::Basic => HeaderValue::from_static("Basic realm=\"ciam\""),
            _ => HeaderValue::from_static("Bearer realm=\"ciam\""),
        }
    }
}

/// An RFC 9110 §5.6.4 quoted-string: `"` and `\` escaped, anything a header value cannot
/// hold (controls, non-ASCII) dropped. Scope tokens (RFC 6749 §3.3) and error codes never
/// contain any of them; this only keeps a future caller from breaking the header.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' ' | '!'..='~' => out.push(c),
            _ => {}
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(challenge: Challenge, error: Option<&str>) -> Option<String> {
        challenge
            .header_value(error)
            .map(|v| v.to_str().expect("ASCII").to_owned())
    }

    #[test]
    fn basic_is_the_realm() {
        assert_eq!(
            rendered(Challenge::Basic, Some("invalid_client")).as_deref(),
            Some(r#"Basic realm="ciam""#)
        );
        assert_eq!(rendered(Challenge::None, Some("invalid_request")), None);
    }

    #[test]
    fn bearer_without_error_is_bare() {
        let bare = Challenge::Bearer { scope: None };
        assert_eq!(
            rendered(bare, None).as_deref(),
            Some(r#"Bearer realm="ciam""#)
        );
    }

    #[test]
    fn bearer_carries_its_error_and_scope() {
        let invalid = Challenge::Bearer { scope: None };
        assert_eq!(
            rendered(invalid, Some("invalid_token")).as_deref(),
            Some(r#"Bearer realm="ciam", error="invalid_token""#)
        );
        let scope = Challenge::Bearer {
            scope: Some("profile email".into()),
        };
        assert_eq!(
            rendered(scope, Some("insufficient_scope")).as_deref(),
            Some(r#"Bearer realm="ciam", error="insufficient_scope", scope="profile email""#)
        );
    }

    #[test]
    fn quoted_values_cannot_break_the_header() {
        let hostile = Challenge::Bearer {
            scope: Some("a\"b\\c\r\nSet-Cookie: é".into()),
        };
        assert_eq!(
            rendered(hostile, Some("x")).as_deref(),
            Some(r#"Bearer realm="ciam", error="x", scope="a\"b\\cSet-Cookie: ""#)
        );
    }
}
