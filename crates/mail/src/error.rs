//! What can be wrong with an adapter's configuration: found at start, never at a send.

use std::path::PathBuf;

/// A mail adapter that cannot be built. No variant repeats a password.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the From address {0:?} is not a mailbox (RFC 5322 §3.4)")]
    From(String),
    /// What is wrong with the SMTP URL, said without repeating it.
    #[error("SMTP URL: {0}")]
    Url(String),
    #[error("the mail directory {path:?} cannot be used")]
    Directory {
        path: PathBuf,
        #[source]
        cause: std::io::Error,
    },
    #[error("TLS for SMTP cannot be set up")]
    Tls(#[source] lettre::transport::smtp::Error),
}
