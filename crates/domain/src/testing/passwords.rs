//! The fake store's password history and resets, and a mailer that keeps what it sends:
//! the same rules as the diesel store, in memory.

use std::sync::Mutex;

use super::{lock, FakeStore};
use crate::accounts::mail::{MailError, MailMessage};
use crate::accounts::model::PasswordReset;
use crate::audit::AuditEvent;
use crate::error::StoreError;
use crate::ids::UserId;
use crate::ports::{Mailer, PasswordStore};
use crate::secret::SecretHash;
use crate::time::UnixTime;

impl FakeStore {
    /// Under the users' lock held by the caller: the transaction of `set_password`.
    fn replace_password(
        &self,
        users: &mut std::collections::HashMap<String, crate::user::User>,
        user_id: &UserId,
        hash: &str,
        now: UnixTime,
        keep: usize,
    ) -> bool {
        let Some(user) = users.values_mut().find(|u| u.id == *user_id) else {
            return false;
        };
        let old = std::mem::replace(&mut user.password_hash, hash.to_owned());
        let mut history = lock(&self.password_history);
        let rows = history.entry(user_id.clone()).or_default();
        rows.insert(0, (now, old));
        rows.truncate(keep);
        true
    }
}

impl PasswordStore for FakeStore {
    fn password_history(&self, user: &UserId, limit: usize) -> Result<Vec<String>, StoreError> {
        self.up()?;
        Ok(lock(&self.password_history)
            .get(user)
            .map(|rows| rows.iter().take(limit).map(|(_, h)| h.clone()).collect())
            .unwrap_or_default())
    }

    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: UnixTime,
        keep: usize,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        self.up()?;
        let mut users = lock(&self.users);
        let replaced = self.replace_password(&mut users, user, hash, now, keep);
        self.record_if(replaced, audit);
        Ok(replaced)
    }

    fn insert_password_reset(
        &self,
        reset: &PasswordReset,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.up()?;
        let mut resets = lock(&self.password_resets);
        if resets.contains_key(reset.code_hash.as_str()) {
            return Err(StoreError::Duplicate("password reset".into()));
        }
        resets.insert(reset.code_hash.as_str().to_owned(), reset.clone());
        self.record(audit);
        Ok(())
    }

    fn find_password_reset(&self, code: &SecretHash) -> Result<Option<PasswordReset>, StoreError> {
        self.up()?;
        Ok(lock(&self.password_resets).get(code.as_str()).cloned())
    }

    fn redeem_password_reset(
        &self,
        code: &SecretHash,
        now: UnixTime,
        hash: &str,
        keep: usize,
        audit: &AuditEvent,
    ) -> Result<Option<UserId>, StoreError> {
        self.up()?;
        let mut users = lock(&self.users);
        let mut resets = lock(&self.password_resets);
        let Some(reset) = resets.get_mut(code.as_str()).filter(|r| r.is_live(now)) else {
            return Ok(None);
        };
        if !self.replace_password(&mut users, &reset.user_id, hash, now, keep) {
            return Ok(None);
        }
        reset.used_at = Some(now);
        self.record(audit);
        Ok(Some(reset.user_id.clone()))
    }
}

/// Keeps every message it is asked to send; can be made to fail.
#[derive(Default)]
pub struct FakeMailer {
    pub sent: Mutex<Vec<MailMessage>>,
    pub down: std::sync::atomic::AtomicBool,
}

impl Mailer for FakeMailer {
    fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(MailError::unavailable(
                "fake mailer down",
                std::io::Error::other("down"),
            ));
        }
        lock(&self.sent).push(message.clone());
        Ok(())
    }
}
