//! Grants (refresh-token families) and the refresh tokens issued under them.

use crate::ids::{ClientId, GrantId, SessionId};
use crate::scope::Scope;
use crate::secret::SecretHash;
use crate::time::UnixTime;

/// One authorization of a client by a subject, shared by every refresh token and access
/// token issued from it, across rotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: GrantId,
    pub client_id: ClientId,
    pub subject: String,
    pub scope: Scope,
    pub created_at: UnixTime,
    /// The latest `exp` of any access token issued under this grant: how long a revocation
    /// of the grant must stay in the denylist.
    pub access_expires_at: UnixTime,
    pub revoked_at: Option<UnixTime>,
    /// The browser session the grant was born in (authorization code flow): ending the
    /// session revokes it. `None` for grants without one (the password grant).
    pub session_id: Option<SessionId>,
}

impl Grant {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// A refresh token as stored: only its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub hash: SecretHash,
    pub grant_id: GrantId,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
    /// When this token was exchanged for its successor. A rotated token presented again
    /// is reuse (RFC 9700 §4.14.2).
    pub rotated_at: Option<UnixTime>,
}

impl RefreshTokenRecord {
    /// Whether this token could still be exchanged: not rotated, not expired, its grant
    /// (`grant`, the one it belongs to) not revoked.
    pub fn is_live(&self, grant: &Grant, now: UnixTime) -> bool {
        !grant.is_revoked() && self.rotated_at.is_none() && self.expires_at > now
    }
}

/// What an attempt to rotate a refresh token did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    /// This request won: the old token is marked rotated and the new one stored.
    Rotated,
    /// Another request rotated the token first (or the grant was revoked meanwhile);
    /// nothing was written.
    Lost,
}
