//! Disabling, enabling and deleting a user (docs/accounts.md, "Disable, enable, delete").
//!
//! Disabling marks the user disabled, committed, and only then signs them out everywhere
//! (a not-before cut-off, `Sessions::sign_out_everywhere`). The order is what makes it
//! exact: a sign-in racing the disable either creates its grant before the cut-off (and the
//! cut-off revokes it) or after it, when the store already sees the flag and stores the
//! grant revoked. A disabled user cannot sign in (`Accounts::sign_in` answers as for a
//! wrong password). Deleting does the same, then deletes the user's row: a grant created
//! after that finds no user, and is stored revoked too.

use std::sync::Arc;

use super::model::User;
use crate::audit::{AuditAction, Initiator};
use crate::error::Fault;
use crate::ids::UserId;
use crate::input::is_client_id;
use crate::kernel::Core;
use crate::ports::BulkRevoked;
use crate::sessions::Sessions;

pub struct AccountLifecycle {
    core: Arc<Core>,
    sessions: Arc<Sessions>,
}

impl AccountLifecycle {
    pub(crate) fn new(core: Arc<Core>, sessions: Arc<Sessions>) -> AccountLifecycle {
        AccountLifecycle { core, sessions }
    }

    /// Disables the user `id` and revokes everything of theirs; `None` if there is no such
    /// user. `Ok` means durable and visible, as for revocation (RFC 7009 §2.2). Disabling a
    /// disabled user keeps the first `disabled_at` and cuts off again: after a failure
    /// (the flag committed, the cut-off not), retrying finishes the job.
    pub fn disable_user(
        &self,
        id: &str,
        by: &Initiator,
    ) -> Result<Option<(User, BulkRevoked)>, Fault> {
        let Some(id) = user_id(id) else {
            return Ok(None);
        };
        let store = &self.core.ports.store;
        let audit = self.core.audit(by, AuditAction::UserDisabled).user(&id);
        let Some(user) = store.set_user_disabled(&id, Some(audit.at), &audit)? else {
            return Ok(None);
        };
        let revoked = self.sessions.sign_out_everywhere(&user.id, by)?;
        Ok(Some((user, revoked)))
    }

    /// Lets the user sign in again; `None` if there is no such user. What disabling
    /// revoked stays revoked.
    pub fn enable_user(&self, id: &str, by: &Initiator) -> Result<Option<User>, Fault> {
        let Some(id) = user_id(id) else {
            return Ok(None);
        };
        let audit = self.core.audit(by, AuditAction::UserEnabled).user(&id);
        Ok(self.core.ports.store.set_user_disabled(&id, None, &audit)?)
    }

    /// Revokes everything of the user and deletes them; `None` if there is no such user.
    /// Their username is free at once. Their revoked grants, sessions and codes stay as
    /// rows until pruning removes them, and the cut-off until the last token it covers
    /// has expired. If the revocation fails, the user stays, disabled: retry.
    pub fn delete_user(
        &self,
        id: &str,
        by: &Initiator,
    ) -> Result<Option<(User, BulkRevoked)>, Fault> {
        let Some((user, revoked)) = self.disable_user(id, by)? else {
            return Ok(None);
        };
        // Gone meanwhile (a concurrent delete): nothing left to do, and not an error.
        let audit = self.core.audit(by, AuditAction::UserDeleted).user(&user.id);
        self.core.ports.store.delete_user(&user.id, &audit)?;
        Ok(Some((user, revoked)))
    }
}

/// Ids are hex: anything outside the id grammar (a NUL, which Postgres refuses) names no
/// user and never reaches the store.
fn user_id(id: &str) -> Option<UserId> {
    is_client_id(id).then(|| UserId::new(id))
}
