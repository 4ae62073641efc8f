//! The fake store's audit trail: a list under its own lock, appended by each change of the
//! fake after the change is made (the fake's stand-in for "in the same transaction").

use super::{lock, FakeStore};
use crate::audit::ports::AuditLog;
use crate::audit::{Actor, AuditAction, AuditEvent, AuditQuery, AuditRecord};
use crate::error::StoreError;
use crate::time::UnixTime;

/// An entry for tests that call a store method directly and do not look at the trail.
pub fn test_audit() -> AuditEvent {
    AuditEvent::new(UnixTime(0), Actor::System, AuditAction::KeyRotated)
}

impl FakeStore {
    pub(super) fn record(&self, event: &AuditEvent) {
        let mut trail = lock(&self.audit);
        let seq = trail.last().map_or(1, |last| last.seq + 1);
        trail.push(AuditRecord {
            seq,
            event: event.clone(),
        });
    }

    pub(super) fn record_if(&self, changed: bool, event: &AuditEvent) {
        if changed {
            self.record(event);
        }
    }

    /// Every entry, oldest first: what unit tests check.
    pub fn audit_trail(&self) -> Vec<AuditRecord> {
        lock(&self.audit).clone()
    }
}

impl AuditLog for FakeStore {
    fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.up()?;
        self.record(event);
        Ok(())
    }

    fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        self.up()?;
        Ok(lock(&self.audit)
            .iter()
            .filter(|record| query.matches(record))
            .take(query.limit)
            .cloned()
            .collect())
    }

    fn prune_audit(&self, before: UnixTime, batch: usize) -> Result<usize, StoreError> {
        self.up()?;
        let mut trail = lock(&self.audit);
        let mut deleted = 0;
        trail.retain(|record| {
            let goes = deleted < batch && record.event.at < before;
            deleted += usize::from(goes);
            !goes
        });
        Ok(deleted)
    }
}
