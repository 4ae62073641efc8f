//! What sessions need from the store.

use crate::audit::AuditEvent;
use crate::error::StoreError;
use crate::ids::{ClientId, SessionId, UserId};
use crate::revocation::model::Revocation;
use crate::secret::SecretHash;
use crate::sessions::model::Session;
use crate::time::UnixTime;

pub trait SessionStore: Send + Sync {
    /// MUST fail with `Duplicate` if the id or the token hash exists.
    fn insert_session(&self, session: &Session, audit: &AuditEvent) -> Result<(), StoreError>;

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
    fn end_session(
        &self,
        id: &SessionId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Vec<Revocation>, StoreError>;

    /// Every client that holds a grant born in the session: the clients to tell of its end.
    fn session_clients(&self, id: &SessionId) -> Result<Vec<ClientId>, StoreError>;
}

/// One logout token for one client's back-channel logout URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutDelivery {
    pub uri: String,
    pub logout_token: String,
}

/// Delivers logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.5): an HTTP POST of
/// `logout_token` to each URI. MUST NOT block the caller (the user's logout does not wait for
/// clients), MUST retry with back-off a delivery that gets no 2xx answer, for a bounded time,
/// and MUST bound the deliveries in flight.
pub trait LogoutNotifier: Send + Sync {
    fn notify(&self, deliveries: Vec<LogoutDelivery>);
}

/// Reading a user's sessions for operators (the admin API, the CLI). Never writes.
pub trait SessionListing: Send + Sync {
    /// The session with this public id, live or not.
    fn find_session_by_id(&self, id: &SessionId) -> Result<Option<Session>, StoreError>;

    /// Up to `query.limit` sessions of `query.user_id` that are live at `query.now`
    /// (exactly those for which [`Session::is_live`]`(now, idle_timeout)` holds), in id
    /// order (byte order), with ids greater than `query.after`; each with every client that
    /// holds a grant born in it ([`SessionStore::session_clients`]), sorted, without repeats.
    /// MUST cost a bounded number of statements, however many sessions the page holds.
    fn list_user_sessions(
        &self,
        query: &UserSessionQuery,
    ) -> Result<Vec<ListedSession>, StoreError>;
}

/// A page of a user's live sessions, as [`SessionListing::list_user_sessions`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSessionQuery {
    pub user_id: UserId,
    pub now: UnixTime,
    /// Seconds of inactivity that end a session (`ServiceConfig::session_idle_timeout`).
    pub idle_timeout: i64,
    pub after: Option<SessionId>,
    pub limit: usize,
}

/// A live session and the clients signed in through it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedSession {
    pub session: Session,
    pub clients: Vec<ClientId>,
}
