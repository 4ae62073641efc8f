//! What accounts need: their store and password hashing.

use crate::accounts::model::User;
use crate::error::{CodecError, StoreError};
use crate::ids::UserId;

pub trait UserStore: Send + Sync {
    fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// The user whose id (the `sub` of their tokens) this is.
    fn find_user_by_id(&self, id: &UserId) -> Result<Option<User>, StoreError>;
    /// MUST fail with `Duplicate` if the username is taken.
    fn insert_user(&self, user: &User) -> Result<(), StoreError>;
}

/// Password hashing for resource owners (argon2id). Each call costs much memory and CPU:
/// adapters MUST bound how many run at once, and answer `Err(CodecError::Saturated)` to a
/// call that cannot get a turn in reasonable time rather than queue without limit.
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: &str) -> Result<String, CodecError>;
    /// Constant-time with respect to the password. `Ok(false)` for a malformed hash.
    fn verify(&self, password: &str, hash: &str) -> Result<bool, CodecError>;
}
