//! The mailer when none is configured: it sends nothing, and says at info level whom a
//! message was for and its subject, so a developer knows mail is being dropped and that
//! `CIAM_MAIL_DIR` would keep it. Never the body: it may hold a reset code.

use ciam_domain::ports::Mailer;
use ciam_domain::{MailError, MailMessage};

#[derive(Debug, Default)]
pub struct LogMailer;

impl Mailer for LogMailer {
    fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        tracing::info!(
            to = message.to(),
            subject = message.subject(),
            "mail not sent: no mailer configured (set CIAM_MAIL_DIR or CIAM_SMTP_URL)"
        );
        Ok(())
    }
}
