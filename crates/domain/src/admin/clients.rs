//! What the admin API does to clients: revoke everything of one.

use super::{Admin, AdminCaller, AdminOpError};
use crate::ports::BulkRevoked;

impl Admin {
    /// Revokes every token of the client issued until now, its `client_credentials`
    /// tokens included (a client cut-off): its secret leaked, or it misbehaves. `Ok`
    /// means durable and visible, as for revocation (RFC 7009 §2.2).
    pub fn revoke_client(
        &self,
        caller: &AdminCaller,
        client_id: &str,
    ) -> Result<BulkRevoked, AdminOpError> {
        let revoked = self
            .clients
            .revoke_everything(client_id, caller.initiator())?
            .ok_or(AdminOpError::NotFound)?;
        tracing::info!(
            caller = %caller.client_id(),
            client = client_id,
            grants_revoked = revoked.grant_count,
            "admin: client revoked"
        );
        Ok(revoked)
    }
}
