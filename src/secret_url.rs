//! A connection URL from the settings that may carry a password: printed with the password
//! (and any user) replaced, in `Debug`, in logs and in errors.

use std::fmt;

use ciam_domain::redact::redact_url as redact;
use serde::Deserialize;

#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL itself, for the driver that connects with it. Never for a log line.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact(&self.0), f)
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_password() {
        let url = SecretUrl("postgres://ciam:hunter2@db:5432/ciam".to_owned());
        assert_eq!(url.to_string(), "postgres://***@db:5432/ciam");
        assert_eq!(format!("{url:?}"), "\"postgres://***@db:5432/ciam\"");
        assert_eq!(url.expose(), "postgres://ciam:hunter2@db:5432/ciam");
    }
}
