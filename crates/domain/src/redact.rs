//! Connection URLs in settings may carry a password: anything that prints one (a `Debug`
//! output, a log line, an error) prints it through here.

/// `scheme://user:password@host/…` becomes `scheme://***@host/…`; a libpq `password=` key
/// (in a query string or a key/value connection string) has its value masked too.
pub fn redact_url(url: &str) -> String {
    let mut shown = match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    };
    if let Some(start) = shown.find("password=") {
        let value_start = start + "password=".len();
        let value_end = shown[value_start..]
            .find(['&', ' '])
            .map_or(shown.len(), |end| value_start + end);
        shown.replace_range(value_start..value_end, "***");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        for (given, shown) in [
            (
                "postgres://ciam:hunter2@db:5432/ciam",
                "postgres://***@db:5432/ciam",
            ),
            ("redis://:hunter2@cache:6379/0", "redis://***@cache:6379/0"),
            (
                "postgres://db/ciam?user=ciam&password=hunter2&sslmode=require",
                "postgres://db/ciam?user=ciam&password=***&sslmode=require",
            ),
            (
                "host=db password=hunter2 dbname=ciam",
                "host=db password=*** dbname=ciam",
            ),
            ("ciam.db", "ciam.db"),
        ] {
            assert_eq!(redact_url(given), shown);
        }
    }
}
