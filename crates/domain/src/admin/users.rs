//! What the admin API does to users: read one, revoke everything of one.

use super::{Admin, AdminCaller, AdminOpError};
use crate::accounts::model::User;
use crate::ids::UserId;
use crate::ports::BulkRevoked;
use crate::time::UnixTime;

/// A user as the admin API shows them: never the password hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub created_at: UnixTime,
    /// When the user was disabled; `None`: enabled.
    pub disabled_at: Option<UnixTime>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            username: user.username,
            name: user.profile.name,
            email: user.profile.email,
            email_verified: user.profile.email_verified,
            created_at: user.created_at,
            disabled_at: user.disabled_at,
        }
    }
}

impl Admin {
    pub fn get_user(&self, caller: &AdminCaller, user_id: &str) -> Result<UserView, AdminOpError> {
        let user = self.find_user(user_id)?;
        tracing::info!(caller = %caller.client_id(), user = %user.id, "admin: user read");
        Ok(user.into())
    }

    /// Signs the user out everywhere: every session, grant and code of theirs ends, and
    /// every access token of theirs issued until now is refused (a not-before cut-off).
    /// `Ok` means durable and visible, as for revocation (RFC 7009 §2.2).
    pub fn revoke_user(
        &self,
        caller: &AdminCaller,
        user_id: &str,
    ) -> Result<BulkRevoked, AdminOpError> {
        let user = self.find_user(user_id)?;
        let revoked = self
            .sessions
            .sign_out_everywhere(&user.id, caller.initiator())?;
        tracing::info!(
            caller = %caller.client_id(),
            user = %user.id,
            grants_revoked = revoked.grant_count,
            sessions_ended = revoked.session_count,
            "admin: user revoked"
        );
        Ok(revoked)
    }

    pub(super) fn find_user(&self, user_id: &str) -> Result<User, AdminOpError> {
        self.accounts
            .find_user(user_id)?
            .ok_or(AdminOpError::NotFound)
    }
}
