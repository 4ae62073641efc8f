//! Mail to users: password reset links, notices that a password changed. The port and the
//! one kind of message it carries: plain text to one address.

use std::fmt;

use crate::error::Cause;

/// One plain-text message to one address. Built only through `new`, which keeps header
/// injection out: the adapters put `to` and `subject` in header fields.
#[derive(Clone, PartialEq, Eq)]
pub struct MailMessage {
    to: String,
    subject: String,
    text_body: String,
}

/// Longest address (RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets).
const MAX_ADDRESS_LEN: usize = 254;

/// Longest subject: RFC 5322 §2.1.1 lines SHOULD stay within 78 characters and MUST within
/// 998; adapters fold longer ones, but a subject this long is a mistake.
const MAX_SUBJECT_LEN: usize = 200;

impl MailMessage {
    /// Refuses an empty or implausible address, and any control character in the address
    /// or the subject: a CR or LF there would start a header of the caller's choosing
    /// (RFC 5322 §2.2: a header field is one line unless folded).
    pub fn new(
        to: impl Into<String>,
        subject: impl Into<String>,
        text_body: impl Into<String>,
    ) -> Result<MailMessage, MailError> {
        let (to, subject) = (to.into(), subject.into());
        let plausible = to.len() <= MAX_ADDRESS_LEN
            && to
                .rsplit_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
            && !to.chars().any(|c| c.is_control() || c.is_whitespace());
        if !plausible {
            return Err(MailError::Invalid("not a single email address".into()));
        }
        if subject.len() > MAX_SUBJECT_LEN || subject.chars().any(char::is_control) {
            return Err(MailError::Invalid(format!(
                "a subject is one line of at most {MAX_SUBJECT_LEN} bytes"
            )));
        }
        Ok(MailMessage {
            to,
            subject,
            text_body: text_body.into(),
        })
    }

    /// The recipient's address: the envelope's and the `To` field's.
    pub fn to(&self) -> &str {
        &self.to
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn text_body(&self) -> &str {
        &self.text_body
    }
}

/// The body may hold a reset link, which is as good as a password: never printed.
impl fmt::Debug for MailMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailMessage")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field(
                "text_body",
                &format_args!("<{} bytes>", self.text_body.len()),
            )
            .finish()
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The message cannot be sent as it is (an address the transport cannot use):
    /// sending it again will not help.
    #[error("unsendable mail: {0}")]
    Invalid(String),
    /// The mail server refused it for good (an SMTP 5xx reply, RFC 5321 §4.2.1).
    #[error("mail rejected: {context}")]
    Rejected {
        context: String,
        #[source]
        cause: Cause,
    },
    /// The message could not be handed over now (connection, TLS, timeout, a 4xx reply, a
    /// full disk): retry later.
    #[error("mail unavailable: {context}")]
    Unavailable {
        context: String,
        #[source]
        cause: Cause,
    },
}

impl MailError {
    pub fn rejected(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> MailError {
        MailError::Rejected {
            context: context.into(),
            cause: Cause::new(cause),
        }
    }

    pub fn unavailable(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> MailError {
        MailError::Unavailable {
            context: context.into(),
            cause: Cause::new(cause),
        }
    }
}

/// Sends mail. The contract every adapter MUST honour:
///
/// - `Ok` only once the message is handed over (accepted by the SMTP server after `DATA`,
///   RFC 5321 §4.1.1.4, or written whole); its envelope and `To` name `message.to()` alone.
/// - Bounded: a dead or silent server is an `Unavailable` within the adapter's timeout,
///   never a hang. Calls block: the domain is synchronous, and the HTTP edge runs it on its
///   blocking pool.
/// - The body is never logged: it may hold a reset link. Nor are the adapter's credentials.
pub trait Mailer: Send + Sync {
    fn send(&self, message: &MailMessage) -> Result<(), MailError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Chain;

    #[test]
    fn header_injection_and_odd_addresses_are_refused() {
        for to in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example.com\r\nBcc: eve@example.com",
            "alice@example.com, eve@example.com",
            "alice @example.com",
            &format!("{}@example.com", "a".repeat(250)),
        ] {
            assert!(
                matches!(MailMessage::new(to, "Hi", ""), Err(MailError::Invalid(_))),
                "{to:?}"
            );
        }
        for subject in [
            "Reset\r\nBcc: eve@example.com",
            "tab\there",
            &"s".repeat(201),
        ] {
            assert!(
                matches!(
                    MailMessage::new("alice@example.com", subject, ""),
                    Err(MailError::Invalid(_))
                ),
                "{subject:?}"
            );
        }
        let ok = MailMessage::new("alice@example.com", "Réinitialiser ✓", "line 1\nline 2");
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn debug_never_prints_the_body() {
        let message = MailMessage::new("alice@example.com", "Reset", "https://x/reset?t=s3cr3t")
            .expect("valid");
        let debug = format!("{message:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("alice@example.com"), "{debug}");
    }

    #[test]
    fn an_error_keeps_its_cause_for_the_log() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let error = MailError::unavailable("connect to smtp.example.com:587", io);
        assert_eq!(
            Chain(&error).to_string(),
            "mail unavailable: connect to smtp.example.com:587: refused"
        );
    }
}
