//! Browser sessions: a successful sign-in on the hosted login page starts one, and while it
//! lives further authorization requests skip the form (single sign-on).

pub mod model;
pub mod ports;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::accounts::model::User;
use crate::error::Fault;
use crate::ids::SessionId;
use crate::kernel::{Core, ID_BYTES, SECRET_BYTES};
use crate::revocation::Revoker;
use crate::secret::Secret;
use model::Session;

/// Longest cookie value looked up: ours are 43 characters.
const MAX_COOKIE_LEN: usize = 256;

/// Activity is written at most this often (seconds), so that every request of a busy
/// browser does not write to the store; the idle timeout is coarse by as much.
const TOUCH_EVERY: i64 = 60;

pub struct Sessions {
    core: Arc<Core>,
    /// Ending a session revokes the grants born in it.
    revocation: Arc<Revoker>,
}

impl Sessions {
    pub(crate) fn new(core: Arc<Core>, revocation: Arc<Revoker>) -> Sessions {
        Sessions { core, revocation }
    }

    /// Logout: ends `session` and revokes every grant born in it, so its refresh tokens die
    /// and its access tokens are refused by resource servers at once (the denylist). `Ok`
    /// means durable and visible, as for revocation (rule 9).
    pub fn end(&self, session: &SessionId) -> Result<(), Fault> {
        let now = self.core.now();
        let revoked = self.core.ports.store.end_session(session, now)?;
        if !revoked.is_empty() {
            self.revocation.deny(&revoked, now)?;
        }
        Ok(())
    }

    /// A new session for `user`, who has just proven their password. Returns the cookie's
    /// secret (shown to the browser once, stored only as its hash) and the session.
    pub fn start(&self, user: &User) -> Result<(Secret, Session), Fault> {
        let now = self.core.now();
        let secret = Secret::new(self.core.random_string(SECRET_BYTES));
        let session = Session {
            id: SessionId::new(self.core.random_string(ID_BYTES)),
            token_hash: secret.hash(),
            user_id: user.id.clone(),
            auth_time: now,
            last_seen_at: now,
            expires_at: now.plus_seconds(self.core.config.session_lifetime),
            ended_at: None,
        };
        self.core.ports.store.insert_session(&session)?;
        Ok((secret, session))
    }

    /// The live session the cookie `value` refers to, if any. Anything else (no such
    /// session, ended, expired, idle too long, a value that cannot be ours) is `None`.
    pub fn current(&self, value: &str) -> Result<Option<Session>, Fault> {
        if value.is_empty() || value.len() > MAX_COOKIE_LEN || !value.is_ascii() {
            return Ok(None);
        }
        let now = self.core.now();
        let Some(session) = self
            .core
            .ports
            .store
            .find_session(&Secret::new(value).hash())?
        else {
            return Ok(None);
        };
        if !session.is_live(now, self.core.config.session_idle_timeout) {
            return Ok(None);
        }
        if now.0 - session.last_seen_at.0 >= TOUCH_EVERY {
            self.core.ports.store.touch_session(&session.id, now)?;
        }
        Ok(Some(session))
    }

    /// Seconds since the user last entered their password in `session`.
    pub fn age_of_authentication(&self, session: &Session) -> i64 {
        self.core.now().0 - session.auth_time.0
    }
}
