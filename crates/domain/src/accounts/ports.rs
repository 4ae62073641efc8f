//! What accounts need: their store and password hashing.

use crate::accounts::model::{PasswordReset, Profile, User, UserQuery};
use crate::audit::AuditEvent;
use crate::error::{CodecError, StoreError};
use crate::ids::UserId;
use crate::secret::SecretHash;
use crate::time::UnixTime;

pub trait UserStore: Send + Sync {
    fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// The user whose id (the `sub` of their tokens) this is.
    fn find_user_by_id(&self, id: &UserId) -> Result<Option<User>, StoreError>;
    /// MUST fail with `Duplicate` if the username is taken.
    fn insert_user(&self, user: &User, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Sets `disabled_at` (keeping an earlier time if the user is already disabled), or
    /// clears it with `None`; the user as it now is, or `None` if there is no such user.
    fn set_user_disabled(
        &self,
        id: &UserId,
        disabled_at: Option<UnixTime>,
        audit: &AuditEvent,
    ) -> Result<Option<User>, StoreError>;
    /// Replaces the user's profile; the user as it now is, or `None` if there is none.
    fn update_user_profile(
        &self,
        id: &UserId,
        profile: &Profile,
        audit: &AuditEvent,
    ) -> Result<Option<User>, StoreError>;
    /// Deletes the user's row (their username is free again); `false` if there was none.
    /// Their grants, sessions and codes stay, as rows pruning removes once expired.
    fn delete_user(&self, id: &UserId, audit: &AuditEvent) -> Result<bool, StoreError>;
    /// At most `query.limit` users with an id greater than `query.after`, whose username
    /// starts with `query.username_prefix` (byte for byte, case-sensitive), in id order.
    /// MUST stay fast with millions of users: an index serves both the order and the prefix.
    fn list_users(&self, query: &UserQuery) -> Result<Vec<User>, StoreError>;
}

/// A user's previous passwords, and their password resets.
///
/// The history holds the hashes a user's password had before its current one: each change
/// moves the replaced hash there, stamped with the time it was replaced.
pub trait PasswordStore: Send + Sync {
    /// The user's previous password hashes, most recently replaced first, at most `limit`.
    fn password_history(&self, user: &UserId, limit: usize) -> Result<Vec<String>, StoreError>;

    /// In ONE transaction: moves the user's current hash into the history (stamped `now`),
    /// sets their hash to `hash`, and keeps only the user's `keep` most recent history rows.
    /// A crash leaves the old password and history or the new ones, never a mix. `Ok(false)`,
    /// having written nothing, if no such user.
    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: UnixTime,
        keep: usize,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// MUST fail with `Duplicate` if the code's hash is taken.
    fn insert_password_reset(
        &self,
        reset: &PasswordReset,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    fn find_password_reset(&self, code: &SecretHash) -> Result<Option<PasswordReset>, StoreError>;

    /// The compare-and-set that makes a reset code single-use, and the new password, in ONE
    /// transaction: marks the reset used at `now` only if it is unused and `expires_at >
    /// now`, then does what `set_password` does for its user. Of concurrent calls for one
    /// code exactly one returns the user's id; the others return `None` having written
    /// nothing, as does a call for an unknown, used or expired code.
    fn redeem_password_reset(
        &self,
        code: &SecretHash,
        now: UnixTime,
        hash: &str,
        keep: usize,
        audit: &AuditEvent,
    ) -> Result<Option<UserId>, StoreError>;
}

/// Password hashing for resource owners (argon2id). Each call costs much memory and CPU:
/// adapters MUST bound how many run at once, and answer `Err(CodecError::Saturated)` to a
/// call that cannot get a turn in reasonable time rather than queue without limit.
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: &str) -> Result<String, CodecError>;
    /// Constant-time with respect to the password. `Ok(false)` for a malformed hash.
    fn verify(&self, password: &str, hash: &str) -> Result<bool, CodecError>;
}
