//! ciam's mail adapters: the domain's `Mailer` port (`ciam_domain::ports::Mailer`), for
//! password reset links and notices to users.
//!
//! What each needs from the configuration (`src/settings.rs` and `src/wiring.rs` wire them):
//!
//! - [`DirectoryMailer`], for development and tests: a directory (`CIAM_MAIL_DIR`, created if
//!   missing) and the `From` address (`CIAM_MAIL_FROM`, e.g. `ciam <no-reply@example.com>`).
//!   Each message becomes one RFC 5322 `.eml` file there; nothing leaves the machine.
//! - [`SmtpMailer`], for production: an [`SmtpConfig`] parsed from a URL (`CIAM_SMTP_URL`:
//!   `smtps://user:pass@host[:465]` for implicit TLS, `smtp://user:pass@host[:587]` for
//!   STARTTLS, required; `smtp://127.0.0.1:2525?tls=none` for a plaintext relay on loopback
//!   only), its `timeout` (`CIAM_SMTP_TIMEOUT_MS`, default 10 s), and the same `From`
//!   address. The URL holds the password: `SmtpConfig`'s `Debug` and every error redact it.
//!
//! - [`LogMailer`], when neither is configured: sends nothing, logs the recipient and the
//!   subject (never the body) at info level.
//!
//! Both build the message the same way (`message.rs`): `Date`, `From`, `To`, `Subject`,
//! `Message-ID`, `text/plain; charset=utf-8`, CRLF line endings.

mod directory;
mod error;
mod log;
mod message;
mod smtp;

pub use directory::DirectoryMailer;
pub use error::ConfigError;
pub use log::LogMailer;
pub use smtp::{Security, SmtpConfig, SmtpMailer};
