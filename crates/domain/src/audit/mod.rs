//! The audit trail: an append-only record of every revocation, sign-in, password change
//! and reset, user and client change and key rotation, with who, what, when, from where and
//! how it ended (docs/accounts.md, "Audit trail").
//!
//! A change's entry is written by the store method making the change, in the same
//! transaction: the trail never shows a change that did not happen, nor misses one that
//! did. Refusals (a wrong password, a foreign token) change nothing, and are appended on
//! their own. Entries hold ids and fixed codes only, never a secret or a raw input.

pub mod event;
pub mod ports;
pub mod query;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::error::{faults_become, Fault};
use crate::ids::{ClientId, UserId};
use crate::input::is_client_id;
use crate::kernel::Core;
use crate::time::UnixTime;

pub use event::{Actor, AuditAction, AuditEvent, AuditRecord, Initiator, Outcome};
pub use query::{AuditPage, AuditQuery, UnknownKind, DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE};

/// Entries deleted per statement when pruning.
const PRUNE_BATCH: usize = 1000;

/// Reading and pruning the trail.
pub struct AuditTrail {
    core: Arc<Core>,
}

/// What an operator asks for, as typed (the admin API's query, the CLI's flags).
#[derive(Clone, Debug, Default)]
pub struct AuditFilter<'a> {
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub user: Option<&'a str>,
    pub client: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub after: Option<i64>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListAuditError {
    #[error("limit must be 1 to 1000")]
    InvalidLimit,
    #[error(transparent)]
    UnknownKind(#[from] UnknownKind),
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(ListAuditError::Unavailable);

impl AuditTrail {
    pub(crate) fn new(core: Arc<Core>) -> AuditTrail {
        AuditTrail { core }
    }

    /// One page of entries matching `filter`, oldest first.
    pub fn list(&self, filter: &AuditFilter<'_>) -> Result<AuditPage, ListAuditError> {
        let limit = filter.limit.unwrap_or(DEFAULT_AUDIT_PAGE);
        if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
            return Err(ListAuditError::InvalidLimit);
        }
        let actions = match filter.kind.filter(|kind| !kind.is_empty()) {
            Some(kind) => query::actions_of_kind(kind)?,
            None => vec![],
        };
        // An id no user or client can have matches nothing, and never reaches the store.
        let impossible = |id: Option<&str>| id.is_some_and(|id| !is_client_id(id));
        if impossible(filter.user) || impossible(filter.client) {
            return Ok(AuditPage {
                entries: vec![],
                next: None,
            });
        }
        // One more than asked: whether it comes back says whether there is a next page.
        let mut entries = self.core.ports.store.list_audit(&AuditQuery {
            since: filter.since.map(UnixTime),
            until: filter.until.map(UnixTime),
            user: filter.user.map(UserId::new),
            client: filter.client.map(ClientId::new),
            actions,
            after: filter.after,
            limit: limit + 1,
        })?;
        let next = if entries.len() > limit {
            entries.truncate(limit);
            entries.last().map(|entry| entry.seq)
        } else {
            None
        };
        Ok(AuditPage { entries, next })
    }

    /// Deletes entries older than the retention (`audit_retention` seconds; 0 keeps them
    /// for ever), in batches, and returns how many went.
    pub fn prune(&self) -> Result<usize, Fault> {
        let retention = self.core.config.audit_retention;
        if retention <= 0 {
            return Ok(0);
        }
        let before = self.core.now().plus_seconds(-retention);
        let mut total = 0;
        loop {
            let deleted = self.core.ports.store.prune_audit(before, PRUNE_BATCH)?;
            total += deleted;
            if deleted < PRUNE_BATCH {
                return Ok(total);
            }
        }
    }
}
