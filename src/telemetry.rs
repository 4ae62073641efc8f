//! Tracing, set up once. Logs go to stderr so that command output on stdout stays JSON.
//!
//! `CIAM_LOG_FORMAT=json` writes one JSON object per line, for log shippers; the default,
//! `text`, is for people, with colours only when stderr is a terminal (a log file or a
//! pipe gets no escape codes).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

#[derive(Debug, thiserror::Error)]
#[error("CIAM_LOG_FORMAT must be text or json, not {0:?}")]
pub struct LogFormatError(String);

/// The server logs requests at `info`; CLI commands only warnings, unless `RUST_LOG` says.
pub fn init(server: bool) -> Result<(), LogFormatError> {
    let json = match std::env::var("CIAM_LOG_FORMAT").as_deref() {
        Err(_) | Ok("") | Ok("text") => false,
        Ok("json") => true,
        Ok(other) => return Err(LogFormatError(other.to_owned())),
    };
    let default = if server { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // Err only if a subscriber is already set (tests): keep that one.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
    Ok(())
}
