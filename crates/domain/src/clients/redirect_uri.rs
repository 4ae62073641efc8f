//! Which redirect URIs a client may register, and when a requested one matches.
//!
//! RFC 6749 §3.1.2: an absolute URI without a fragment, compared exactly (RFC 9700 §4.1.1:
//! no pattern matching, so ciam cannot become an open redirector). RFC 8252 (native apps):
//! `http` only on the loopback interface (§7.3, §8.3), where any port is accepted at request
//! time; private-use schemes in reverse domain name form (§7.1). Everything else is `https`.

/// Longest URI registered: browsers and servers cut URLs at a few thousand bytes.
pub const MAX_URI_LEN: usize = 2000;

/// Why a URI cannot be registered.
pub fn check(uri: &str) -> Result<(), &'static str> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN {
        return Err("must be 1 to 2000 bytes long");
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be printable ASCII without spaces (percent-encode the rest)");
    }
    if uri.contains('#') {
        return Err("must not contain a fragment (RFC 6749 §3.1.2)");
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err("must be an absolute URI");
    };
    if !is_scheme(scheme) {
        return Err("must be an absolute URI");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => authority(rest)
            .filter(|host| !host.is_empty())
            .map(|_| ())
            .ok_or("an https URI needs a host"),
        "http" => match authority(rest) {
            Some(host) if is_loopback(host) => Ok(()),
            _ => Err("http is allowed only for loopback redirects (RFC 8252 §7.3); use https"),
        },
        // RFC 8252 §7.1: a private-use scheme is a reverse domain name (with a period).
        private if private.contains('.') => Ok(()),
        _ => Err("use https, http on loopback, or a private-use scheme like com.example.app"),
    }
}

/// Whether the requested `uri` matches the `registered` one (RFC 6749 §3.1.2.3 simple string
/// comparison; RFC 8252 §7.3: any port for a loopback IP redirect).
pub fn matches(registered: &str, uri: &str) -> bool {
    registered == uri || same_loopback_but_port(registered, uri)
}

fn same_loopback_but_port(registered: &str, uri: &str) -> bool {
    let (Some(a), Some(b)) = (loopback_parts(registered), loopback_parts(uri)) else {
        return false;
    };
    a == b
}

/// `(host, everything after the authority)` of an `http` URI on a loopback IP literal.
fn loopback_parts(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("http://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = host_of(authority);
    let port = &authority[host.len()..];
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    // RFC 8252 §8.3: IP literals; `localhost` may resolve elsewhere, so it is matched exactly.
    (port_ok && matches!(host, "127.0.0.1" | "[::1]")).then_some((host, tail))
}

/// The host of `//authority/...`, if the URI has an authority.
fn authority(rest: &str) -> Option<&str> {
    let rest = rest.strip_prefix("//")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return None; // userinfo in a redirect URI only serves to mislead
    }
    Some(host_of(authority))
}

/// The host part of an authority: up to the port, keeping an IPv6 literal's brackets.
fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.split(':').next().unwrap_or(authority)
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

/// RFC 3986 §3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_loopback_http_and_private_schemes_register() {
        for good in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=7",
            "http://127.0.0.1/callback",
            "http://[::1]:8080/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn fragments_plain_http_relative_and_odd_uris_are_refused() {
        for bad in [
            "",
            "https://app.example.com/cb#frag",
            "http://app.example.com/cb",
            "/callback",
            "callback",
            "https:///no-host",
            "https://evil.example@app.example.com/cb",
            "javascript:alert(1)",
            "https://app.example.com/a b",
            "https://app.example.com/\u{0}",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_is_exact_except_the_port_of_a_loopback_ip() {
        assert!(matches("https://a.example/cb", "https://a.example/cb"));
        assert!(!matches("https://a.example/cb", "https://a.example/cb/"));
        assert!(!matches("https://a.example/cb", "https://a.example/cb?x=1"));
        assert!(!matches("https://a.example/cb", "https://A.example/cb"));
        assert!(matches("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"));
        assert!(matches("http://[::1]:80/cb", "http://[::1]:9/cb"));
        assert!(!matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:51234/other"
        ));
        assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.1:x/cb"));
        assert!(!matches("http://localhost/cb", "http://localhost:9/cb"));
    }
}
