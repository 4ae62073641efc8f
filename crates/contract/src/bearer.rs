//! How an access token is presented to a protected resource (RFC 6750 §2.1): the syntax
//! the server's Bearer extractor and the SDK's both accept, so neither refuses what the
//! other takes.

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64token_is_the_rfc_6750_grammar() {
        assert!(is_b64token("eyJ.a-b_c~d+e/f=="));
        assert!(!is_b64token(""));
        assert!(!is_b64token("=="));
        assert!(!is_b64token("a b"));
        assert!(!is_b64token("a=b"));
        assert!(!is_b64token("tok\u{e9}n"));
    }
}
