//! Tracing, set up once. Logs go to stderr so that command output on stdout stays JSON.

use tracing_subscriber::EnvFilter;

/// The server logs requests at `info`; CLI commands only warnings, unless `RUST_LOG` says.
pub fn init(server: bool) {
    let default = if server { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
