//! What sessions need from the store.

use crate::error::StoreError;
use crate::ids::SessionId;
use crate::revocation::model::Revocation;
use crate::secret::SecretHash;
use crate::sessions::model::Session;
use crate::time::UnixTime;

pub trait SessionStore: Send + Sync {
    /// MUST fail with `Duplicate` if the id or the token hash exists.
    fn insert_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The session whose cookie secret hashes to `token_hash`, live or not.
    fn find_session(&self, token_hash: &SecretHash) -> Result<Option<Session>, StoreError>;

    /// Records activity: sets `last_seen_at` to `now` (never earlier than it was).
    fn touch_session(&self, id: &SessionId, now: UnixTime) -> Result<(), StoreError>;

    /// Ends the session and everything born in it, in one transaction: marks it ended at
    /// `now` (keeping an earlier end), uses up its unused authorization codes, and marks
    /// every grant with this `session_id` revoked at `now`. Returns the denylist entries of
    /// the session's grants whose access tokens may still be live. Serialised against a
    /// concurrent `redeem_code` of one of its codes: either the redemption commits first and
    /// its grant is revoked here, or this commits first and the redemption finds the code
    /// used. Idempotent; an unknown id ends nothing.
    fn end_session(&self, id: &SessionId, now: UnixTime) -> Result<Vec<Revocation>, StoreError>;
}
