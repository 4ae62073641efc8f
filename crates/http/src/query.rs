//! The parameter names of a request URI's query, decoded: a credential must be spotted
//! however its name is percent-encoded (`client%5Fsecret` is `client_secret`).

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// Each parameter name of `query`, `+` and percent-decoded (application/x-www-form-urlencoded).
pub(crate) fn names(query: &str) -> impl Iterator<Item = Cow<'_, str>> {
    query.split('&').map(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        if name.contains(['%', '+']) {
            Cow::Owned(
                percent_decode_str(&name.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        } else {
            Cow::Borrowed(name)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_decoded_and_values_ignored() {
        let decoded: Vec<_> = names("a=1&client%5Fsecret=x&b+c&%ZZ=2").collect();
        assert_eq!(decoded, ["a", "client_secret", "b c", "%ZZ"]);
    }
}
