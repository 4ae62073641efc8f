//! What the audit trail needs from the store.
//!
//! Entries of changes are written by the store method making the change, in its
//! transaction (each such method takes the [`AuditEvent`]); this port appends the entries
//! that record no change (refusals), and reads and prunes the trail.

use crate::audit::event::{AuditEvent, AuditRecord};
use crate::audit::query::AuditQuery;
use crate::error::StoreError;
use crate::time::UnixTime;

pub trait AuditLog: Send + Sync {
    /// Appends `event` on its own: for refusals, which change nothing else.
    fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError>;

    /// Entries matching `query`, in `seq` order, after `query.after`, at most `query.limit`.
    fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError>;

    /// Deletes at most `batch` entries with `at` before `before` and returns how many.
    /// Nothing else ever deletes or changes an entry.
    fn prune_audit(&self, before: UnixTime, batch: usize) -> Result<usize, StoreError>;
}
