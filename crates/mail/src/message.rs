//! The domain's `MailMessage` as an RFC 5322 message, the same for every adapter.

use ciam_domain::{MailError, MailMessage};
use lettre::message::header::{ContentType, MIME_VERSION_1_0};
use lettre::message::Mailbox;
use lettre::Message;

use crate::error::ConfigError;

/// The `From` mailbox, parsed once at start: `no-reply@example.com` or
/// `ciam <no-reply@example.com>`.
pub(crate) fn from_mailbox(from: &str) -> Result<Mailbox, ConfigError> {
    from.parse().map_err(|_| ConfigError::From(from.to_owned()))
}

/// The message with every header RFC 5322 §3.6 requires (`Date`, `From`), those it
/// SHOULD have (`Message-ID`, `To`, `Subject`), and `MIME-Version`. lettre encodes a
/// non-ASCII subject (RFC 2047) and body (quoted-printable or base64), and ends every line
/// with CRLF.
pub(crate) fn build(from: &Mailbox, message: &MailMessage) -> Result<Message, MailError> {
    let to: Mailbox = message
        .to()
        .parse()
        .map_err(|error| MailError::Invalid(format!("recipient: {error}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject())
        .date_now()
        .message_id(Some(message_id(from)?))
        // RFC 2045 §4: a message using MIME (here its transfer encodings) MUST say so.
        .header(MIME_VERSION_1_0)
        .header(ContentType::TEXT_PLAIN)
        .body(message.text_body().to_owned())
        .map_err(|error| MailError::Invalid(error.to_string()))
}

/// RFC 5322 §3.6.4: a globally unique id, 128 random bits at the sender's domain (not
/// this host's name, which says nothing useful to the recipient).
fn message_id(from: &Mailbox) -> Result<String, MailError> {
    Ok(format!("<{}@{}>", random_hex(16)?, from.email.domain()))
}

/// `bytes` random bytes as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, MailError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|error| {
        MailError::unavailable(
            "the OS random source",
            std::io::Error::other(error.to_string()),
        )
    })?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}
