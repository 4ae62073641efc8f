//! Reading the audit trail through the admin API.

use super::{Admin, AdminCaller, AdminOpError};
use crate::audit::{AuditFilter, AuditPage, ListAuditError};

impl Admin {
    /// A page of audit entries matching `filter`, oldest first (see `AuditTrail::list`).
    pub fn list_audit(
        &self,
        caller: &AdminCaller,
        filter: &AuditFilter<'_>,
    ) -> Result<AuditPage, AdminOpError> {
        let page = self.audit.list(filter).map_err(|error| match error {
            ListAuditError::InvalidLimit => AdminOpError::InvalidQuery("limit must be 1 to 1000"),
            ListAuditError::UnknownKind(_) => AdminOpError::InvalidQuery(
                "kind must be an action such as revoke.grant or a family such as revoke",
            ),
            ListAuditError::Unavailable(fault) => AdminOpError::Unavailable(fault),
        })?;
        tracing::info!(
            caller = %caller.client_id(),
            entries = page.entries.len(),
            "admin: audit trail read"
        );
        Ok(page)
    }
}
