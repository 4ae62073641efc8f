//! What the admin API does to a user's account as a whole: disable, enable, delete
//! (`AccountLifecycle` holds the rules).

use super::{Admin, AdminCaller, AdminOpError, UserView};
use crate::ports::BulkRevoked;

impl Admin {
    /// Disables the user and revokes everything of theirs; `Ok` means durable and visible.
    pub fn disable_user(
        &self,
        caller: &AdminCaller,
        user_id: &str,
    ) -> Result<(UserView, BulkRevoked), AdminOpError> {
        let (user, revoked) = self
            .lifecycle
            .disable_user(user_id, caller.initiator())?
            .ok_or(AdminOpError::NotFound)?;
        tracing::info!(
            caller = %caller.client_id(),
            user = %user.id,
            grants_revoked = revoked.grant_count,
            sessions_ended = revoked.session_count,
            "admin: user disabled"
        );
        Ok((user.into(), revoked))
    }

    pub fn enable_user(
        &self,
        caller: &AdminCaller,
        user_id: &str,
    ) -> Result<UserView, AdminOpError> {
        let user = self
            .lifecycle
            .enable_user(user_id, caller.initiator())?
            .ok_or(AdminOpError::NotFound)?;
        tracing::info!(caller = %caller.client_id(), user = %user.id, "admin: user enabled");
        Ok(user.into())
    }

    /// Revokes everything of the user, then deletes them.
    pub fn delete_user(
        &self,
        caller: &AdminCaller,
        user_id: &str,
    ) -> Result<BulkRevoked, AdminOpError> {
        let (user, revoked) = self
            .lifecycle
            .delete_user(user_id, caller.initiator())?
            .ok_or(AdminOpError::NotFound)?;
        tracing::info!(
            caller = %caller.client_id(),
            user = %user.id,
            grants_revoked = revoked.grant_count,
            sessions_ended = revoked.session_count,
            "admin: user deleted"
        );
        Ok(revoked)
    }
}
