//! Resetting a forgotten password (the reference's Reset User Password): a single-use code
//! mailed to the account's address, then redeemed with a new password.
//!
//! Asking never tells whether the account exists (the HTTP edge answers the same 202
//! whatever happens, and does the work after answering, so neither timing nor an outage
//! tells either). Codes carry 256 random bits (RFC 6749 §10.10 asks as much of bearer
//! secrets; NIST SP 800-63B §5.1.3.1 at least 64 for an out-of-band secret) and are stored
//! only as their SHA-256, like refresh tokens.

use std::net::IpAddr;

use super::{ResetPasswordError, ResetRequestError, SelfService};
use crate::accounts::mail::MailMessage;
use crate::accounts::model::PasswordReset;
use crate::audit::{Actor, AuditAction, AuditEvent, Initiator};
use crate::error::Fault;
use crate::input::is_name;
use crate::kernel::SECRET_BYTES;
use crate::secret::Secret;

/// Longest code looked up: ours are 43 characters.
const MAX_CODE_LEN: usize = 256;

/// The throttle key of a username no account can have: such requests share one key.
const NO_SUCH_NAME: &str = "\0";

impl SelfService {
    /// Counts a reset request for `username` from `address`, or refuses it: a few free
    /// requests per username and per address, then a doubling wait
    /// (`ServiceConfig::password_reset_throttle`), so nobody can bomb a mailbox or probe
    /// at speed. Cheap: memory only, no store.
    pub fn admit_reset_request(
        &self,
        username: &str,
        address: Option<IpAddr>,
    ) -> Result<(), ResetRequestError> {
        let key = if is_name(username) {
            username
        } else {
            NO_SUCH_NAME
        };
        let now = self.core.now();
        if let Some(retry_after) = self.reset_requests.retry_after(key, address, now) {
            return Err(ResetRequestError::TooManyRequests { retry_after });
        }
        self.reset_requests.failed(key, address, now);
        Ok(())
    }

    /// Mails `username` a reset code, if such a user exists and has an email address;
    /// otherwise does nothing. The code (never logged) is valid for
    /// `password_reset_ttl` seconds, once.
    pub fn send_reset_code(&self, username: &str, address: Option<IpAddr>) -> Result<(), Fault> {
        if !is_name(username) {
            return Ok(());
        }
        let store = &self.core.ports.store;
        let Some(user) = store.find_user_by_username(username)? else {
            return Ok(());
        };
        let Some(email) = user.profile.email.as_deref() else {
            tracing::info!(user = %user.id, "password reset asked for a user without an email address");
            return Ok(());
        };
        let now = self.core.now();
        let ttl = self.core.config.password_reset_ttl;
        let code = Secret::new(self.core.random_string(SECRET_BYTES));
        let message = MailMessage::new(email, "Reset your password", reset_mail_body(&code, ttl))?;
        let audit = AuditEvent::new(now, Actor::Anonymous, AuditAction::PasswordResetRequested)
            .user(&user.id)
            .from_address(address);
        store.insert_password_reset(
            &PasswordReset {
                code_hash: code.hash(),
                user_id: user.id.clone(),
                created_at: now,
                expires_at: now.plus_seconds(ttl),
                used_at: None,
            },
            &audit,
        )?;
        self.core.ports.mailer.send(&message)?;
        tracing::info!(user = %user.id, "password reset code sent");
        Ok(())
    }

    /// Sets a new password with a mailed `code`: the policy first (a refused password
    /// leaves the code usable), then the code redeemed and the password and its history
    /// stored in one transaction (exactly one of concurrent redemptions wins), then the
    /// user signed out everywhere: whoever knew the old password loses what it gave them.
    pub fn reset_password(
        &self,
        code: &Secret,
        new_password: &Secret,
        address: Option<IpAddr>,
    ) -> Result<(), ResetPasswordError> {
        let value = code.expose();
        if value.is_empty() || value.len() > MAX_CODE_LEN || !value.is_ascii() {
            return Err(ResetPasswordError::InvalidCode);
        }
        let now = self.core.now();
        let store = &self.core.ports.store;
        let hash = code.hash();
        let reset = store
            .find_password_reset(&hash)?
            .filter(|reset| reset.is_live(now))
            .ok_or(ResetPasswordError::InvalidCode)?;
        let user = store
            .find_user_by_id(&reset.user_id)?
            .ok_or(ResetPasswordError::InvalidCode)?;
        let new_hash = self.accounts.hash_new_password(&user, new_password)?;
        // Whoever holds the code acts as the user: the reset proves their mailbox.
        let by = Initiator::new(Actor::User(user.id.clone()), address);
        let audit = by.event(now, AuditAction::PasswordReset).user(&user.id);
        let redeemed = store
            .redeem_password_reset(&hash, now, &new_hash, self.accounts.history_kept(), &audit)?
            .ok_or(ResetPasswordError::InvalidCode)?;
        self.sessions.sign_out_everywhere(&redeemed, &by)?;
        tracing::info!(user = %redeemed, "password reset; signed out everywhere");
        Ok(())
    }
}

/// The mail: the code and what to do with it. Plain text, no link: the API has no page
/// to link to, and the code is as good as a password until it is used or expires.
fn reset_mail_body(code: &Secret, ttl: i64) -> String {
    let minutes = (ttl + 59) / 60;
    format!(
        "Someone asked to reset the password of your account.\n\
         \n\
         Your reset code is:\n\
         \n\
         {code}\n\
         \n\
         It works once, for {minutes} minutes.\n\
         If you did not ask for it, ignore this message: your password stays as it is.\n",
        code = code.expose()
    )
}
