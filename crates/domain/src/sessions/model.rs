//! A signed-in browser.

use crate::ids::{SessionId, UserId};
use crate::secret::SecretHash;
use crate::time::UnixTime;

/// A server-side session, referenced by a cookie whose secret is stored only as its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Public: the `sid` claim. Never the cookie's secret.
    pub id: SessionId,
    pub token_hash: SecretHash,
    pub user_id: UserId,
    /// When the user last entered their password (OpenID Connect Core §2 `auth_time`).
    pub auth_time: UnixTime,
    pub last_seen_at: UnixTime,
    /// The absolute end, whatever the activity.
    pub expires_at: UnixTime,
    pub ended_at: Option<UnixTime>,
}

impl Session {
    /// Whether the session still signs its browser in at `now`: not ended, not past its
    /// lifetime, and not idle for `idle_timeout` seconds or more.
    pub fn is_live(&self, now: UnixTime, idle_timeout: i64) -> bool {
        self.ended_at.is_none()
            && now < self.expires_at
            && now.0 - self.last_seen_at.0 < idle_timeout
    }
}
