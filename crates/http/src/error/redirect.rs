//! An error sent back to the client through the browser: `303 See Other` to its redirect
//! URI with the error in the query (RFC 6749 §4.1.2.1, RFC 9207 §2).

use actix_web::http::header::HeaderValue;

/// Where an authorization error goes once the client and its redirect URI are trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTarget {
    /// The client's redirect URI, already matched against its registration (RFC 6749
    /// §3.1.2.4: never redirect to an unchecked one).
    pub redirect_uri: String,
    /// The request's `state`, returned exactly when the client sent one (RFC 6749 §4.1.2.1).
    pub state: Option<String>,
    /// Our issuer identifier, sent as `iss` against mix-up attacks (RFC 9207 §2).
    pub issuer: String,
}

impl RedirectTarget {
    /// The `Location` value, or `None` if the redirect URI cannot be a header value (it
    /// would not have been registered).
    pub(super) fn location(&self, code: &str, description: Option<&str>) -> Option<HeaderValue> {
        // RFC 6749 §3.1.2: the redirect URI MUST NOT have a fragment; one that slipped
        // through is dropped, so the parameters stay in the query where the client reads them.
        let uri = self
            .redirect_uri
            .split_once('#')
            .map_or(self.redirect_uri.as_str(), |(uri, _)| uri);
        let mut params = vec![("error", code)];
        params.extend(description.map(|d| ("error_description", d)));
        params.extend(self.state.as_deref().map(|s| ("state", s)));
        params.push(("iss", &self.issuer));
        crate::location::with_query(uri, &params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(redirect_uri: &str, state: Option<&str>) -> RedirectTarget {
        RedirectTarget {
            redirect_uri: redirect_uri.into(),
            state: state.map(str::to_owned),
            issuer: "https://id.example.com".into(),
        }
    }

    fn location(target: &RedirectTarget, description: Option<&str>) -> String {
        let value = target
            .location("access_denied", description)
            .expect("a header value");
        value.to_str().expect("ASCII").to_owned()
    }

    #[test]
    fn parameters_are_percent_encoded() {
        let target = target("https://app.example/cb", Some("a b&c=d#e+f/é"));
        assert_eq!(
            location(&target, Some("the user said no")),
            "https://app.example/cb?error=access_denied\
             &error_description=the%20user%20said%20no\
             &state=a%20b%26c%3Dd%23e%2Bf%2F%C3%A9\
             &iss=https%3A%2F%2Fid.example.com"
        );
    }

    #[test]
    fn an_existing_query_is_kept() {
        let expected = "https://app.example/cb?tenant=7&error=access_denied\
                        &iss=https%3A%2F%2Fid.example.com";
        for uri in [
            "https://app.example/cb?tenant=7",
            "https://app.example/cb?tenant=7&",
        ] {
            assert_eq!(location(&target(uri, None), None), expected);
        }
        assert_eq!(
            location(&target("https://app.example/cb?", None), None),
            "https://app.example/cb?error=access_denied&iss=https%3A%2F%2Fid.example.com"
        );
    }

    #[test]
    fn a_fragment_is_dropped_and_a_bad_uri_refused() {
        assert_eq!(
            location(&target("https://app.example/cb?x=1#frag", Some("s")), None),
            "https://app.example/cb?x=1&error=access_denied&state=s\
             &iss=https%3A%2F%2Fid.example.com"
        );
        let broken = target("https://app.example/cb\r\nSet-Cookie: x=y", None);
        assert_eq!(broken.location("access_denied", None), None);
    }
}
