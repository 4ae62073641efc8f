//! What sessions need from the store.

use crate::error::StoreError;
use crate::ids::SessionId;
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
}
