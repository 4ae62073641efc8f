use crate::ids::UserId;
use crate::secret::SecretHash;
use crate::time::UnixTime;

/// A resource owner. `password_hash` is an argon2id PHC string from the `PasswordHasher` port.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub created_at: UnixTime,
    pub profile: Profile,
}

/// The standard claims a user may have (OpenID Connect Core §5.1), released by scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A password reset a user asked for: the code mailed to them is stored only as its
/// SHA-256, like a refresh token, and works once, until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordReset {
    pub code_hash: SecretHash,
    pub user_id: UserId,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub used_at: Option<UnixTime>,
}

impl PasswordReset {
    /// Whether the code may still be redeemed.
    pub fn is_live(&self, now: UnixTime) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}
