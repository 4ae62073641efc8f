//! Mail through an SMTP server (RFC 5321), with lettre's blocking client over rustls.
//!
//! Secure unless told otherwise, and only where it cannot matter: `smtp://` means STARTTLS
//! *required* (RFC 3207; a server that does not offer it is an error, never a silent
//! plaintext session), `smtps://` implicit TLS (RFC 8314 §3.3, its recommendation), and
//! plaintext (`?tls=none`) is accepted for a loopback host only. lettre's own URL parser is
//! not used: there, a bare `smtp://` sends credentials in the clear.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ciam_domain::ports::Mailer;
use ciam_domain::{MailError, MailMessage, Secret};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use url::{Host, Url};

use crate::error::ConfigError;
use crate::message::{build, from_mailbox};

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`smtps://`, port 465).
    ImplicitTls,
    /// Plaintext greeting, then STARTTLS, required (`smtp://`, port 587).
    StartTls,
    /// No TLS: loopback only (`smtp://…?tls=none`).
    None,
}

/// Where and how to send. `Debug` never shows the password.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User name and password for SMTP AUTH (RFC 4954), sent only over TLS or loopback.
    pub credentials: Option<(String, Secret)>,
    /// The bound on connecting and on each reply: a dead or silent server is an error
    /// after this long, not a hang.
    pub timeout: Duration,
}

/// Connect and reply deadline unless the configuration says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl SmtpConfig {
    /// `smtps://[user:pass@]host[:port]`, `smtp://[user:pass@]host[:port][?tls=starttls]`,
    /// `smtp://host[:port]?tls=none` (loopback hosts only). The user and password are
    /// percent-decoded; errors never repeat the URL, which may hold the password.
    pub fn from_url(text: &str) -> Result<SmtpConfig, ConfigError> {
        let bad = |why: &str| ConfigError::Url(why.to_owned());
        let url = Url::parse(text).map_err(|error| ConfigError::Url(error.to_string()))?;
        let (mut security, default_port) = match url.scheme() {
            "smtps" => (Security::ImplicitTls, 465),
            "smtp" => (Security::StartTls, 587),
            _ => return Err(bad("the scheme must be smtp or smtps")),
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref(), security) {
                ("tls", "none", Security::StartTls) => security = Security::None,
                ("tls", "starttls", Security::StartTls) => {}
                ("tls", _, _) => {
                    return Err(bad("tls= may be starttls or none, and only with smtp://"))
                }
                _ => return Err(bad("the only query parameter is tls=")),
            }
        }
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return Err(bad("a path or fragment means nothing here"));
        }
        let host = match url.host() {
            Some(Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(bad("no host")),
        };
        if security == Security::None && !is_loopback(&host) {
            return Err(bad("tls=none is for a loopback host only"));
        }
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, Some(password)) if !user.is_empty() => Some((
                decode(user, "user")?,
                Secret::new(decode(password, "password")?),
            )),
            _ => return Err(bad("give both a user and a password, or neither")),
        };
        Ok(SmtpConfig {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            timeout: DEFAULT_TIMEOUT,
        })
    }
}

fn decode(text: &str, what: &str) -> Result<String, ConfigError> {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| ConfigError::Url(format!("the {what} cannot be decoded")))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
    server: String,
}

impl SmtpMailer {
    /// A mailer sending as `from`. Connects only when sending: a server down at start is
    /// found at the first send, as an `Unavailable`.
    pub fn new(config: &SmtpConfig, from: &str) -> Result<SmtpMailer, ConfigError> {
        let tls = |host: &str| TlsParameters::new(host.to_owned()).map_err(ConfigError::Tls);
        let mut builder = SmtpTransport::builder_dangerous(config.host.as_str())
            .port(config.port)
            .timeout(Some(config.timeout))
            .tls(match config.security {
                Security::ImplicitTls => Tls::Wrapper(tls(&config.host)?),
                Security::StartTls => Tls::Required(tls(&config.host)?),
                Security::None => Tls::None,
            });
        if let Some((user, password)) = &config.credentials {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from: from_mailbox(from)?,
            server: format!("{}:{}", config.host, config.port),
        })
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let email = build(&self.from, message)?;
        self.transport.send(&email).map(drop).map_err(|error| {
            let context = format!("SMTP via {}", self.server);
            // RFC 5321 §4.2.1: 5yz is permanent, 4yz (and no answer at all) worth a retry.
            if error.is_permanent() {
                MailError::rejected(context, error)
            } else {
                MailError::unavailable(context, error)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> SmtpConfig {
        match SmtpConfig::from_url(url) {
            Ok(config) => config,
            Err(error) => panic!("{url}: {error}"),
        }
    }

    #[test]
    fn schemes_choose_tls_and_default_ports() {
        let cases = [
            ("smtps://mail.example.com", Security::ImplicitTls, 465),
            ("smtps://mail.example.com:2465", Security::ImplicitTls, 2465),
            ("smtp://mail.example.com", Security::StartTls, 587),
            (
                "smtp://mail.example.com:25?tls=starttls",
                Security::StartTls,
                25,
            ),
            ("smtp://127.0.0.1:2525?tls=none", Security::None, 2525),
            ("smtp://localhost?tls=none", Security::None, 587),
            ("smtp://[::1]:2525?tls=none", Security::None, 2525),
        ];
        for (url, security, port) in cases {
            let config = parsed(url);
            assert_eq!((config.security, config.port), (security, port), "{url}");
            assert!(config.credentials.is_none(), "{url}");
            assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        }
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let config = parsed("smtps://apikey%40example.com:p%3As%2Fw+rd%25@mail.example.com");
        let (user, password) = config.credentials.expect("credentials");
        assert_eq!(user, "apikey@example.com");
        assert_eq!(password.expose(), "p:s/w+rd%");
    }

    #[test]
    fn unsafe_or_meaningless_urls_are_refused() {
        for url in [
            "smtp://mail.example.com?tls=none",
            "smtp://10.0.0.1:25?tls=none",
            "smtps://127.0.0.1?tls=none",
            "smtp://mail.example.com?tls=opportunistic",
            "smtp://mail.example.com?timeout=5",
            "http://mail.example.com",
            "smtp://user@mail.example.com",
            "smtp://:secret@mail.example.com",
            "smtp://mail.example.com/ehlo-name",
            "smtp://",
            "not a url",
        ] {
            assert!(SmtpConfig::from_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let config = parsed("smtps://alice:hunter2hunter2@mail.example.com");
        let mailer = SmtpMailer::new(&config, "ciam <no-reply@example.com>").expect("mailer");
        for shown in [format!("{config:?}"), format!("{mailer:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("mail.example.com"), "{shown}");
        }
        let refused = SmtpConfig::from_url("smtp://alice:hunter2hunter2@mail.example.com?tls=none");
        let error = refused.expect_err("not loopback").to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }
}
