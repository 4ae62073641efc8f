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
    /// When an operator disabled the user: they cannot sign in, and no grant of theirs
    /// lives (docs/accounts.md, "Disable, enable, delete"). `None`: enabled.
    pub disabled_at: Option<UnixTime>,
}

impl User {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
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
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// One page of users as `UserStore::list_users` reads it: ordered by id, after `after`
/// (keyset paging: the cost of a page does not grow with how far in it is), of usernames
/// starting with `username_prefix`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserQuery {
    pub after: Option<UserId>,
    pub username_prefix: Option<String>,
    pub limit: usize,
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
