//! Reading the trail: filters and keyset paging.

use crate::audit::event::{Actor, AuditAction, AuditRecord};
use crate::ids::{ClientId, UserId};
use crate::time::UnixTime;

/// Entries per page unless asked otherwise, and at most.
pub const DEFAULT_AUDIT_PAGE: usize = 100;
pub const MAX_AUDIT_PAGE: usize = 1000;

/// Which entries to read. Every filter given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Entries at or after this time.
    pub since: Option<UnixTime>,
    /// Entries before this time.
    pub until: Option<UnixTime>,
    /// Entries concerning this user (`user_id`), or made by them.
    pub user: Option<UserId>,
    /// Entries concerning this client (`client_id`), or made by it (as a client or an
    /// admin client).
    pub client: Option<ClientId>,
    /// Entries of these actions (a family filter expanded by [`AuditQuery::kinds`]).
    pub actions: Vec<AuditAction>,
    /// Entries after this `seq`: the previous page's `next`.
    pub after: Option<i64>,
    pub limit: usize,
}

impl AuditQuery {
    /// Whether `record` is one this query selects (ignoring `limit`): the meaning every
    /// store's query MUST have.
    pub fn matches(&self, record: &AuditRecord) -> bool {
        let event = &record.event;
        let by_user = |user: &UserId| matches!(&event.actor, Actor::User(id) if id == user);
        let by_client = |client: &ClientId| matches!(&event.actor, Actor::Client(id) | Actor::AdminClient(id) if id == client);
        self.after.is_none_or(|after| record.seq > after)
            && self.since.is_none_or(|since| event.at >= since)
            && self.until.is_none_or(|until| event.at < until)
            && self
                .user
                .as_ref()
                .is_none_or(|user| event.user_id.as_ref() == Some(user) || by_user(user))
            && self
                .client
                .as_ref()
                .is_none_or(|client| event.client_id.as_ref() == Some(client) || by_client(client))
            && (self.actions.is_empty() || self.actions.contains(&event.action))
    }
}

/// A kind filter that names no action nor family.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit kind; kinds are action names like `revoke.grant` or families like `revoke`")]
pub struct UnknownKind;

/// The actions a kind filter selects: an action's name, or a family (`revoke`, `user`).
pub fn actions_of_kind(kind: &str) -> Result<Vec<AuditAction>, UnknownKind> {
    let actions: Vec<AuditAction> = AuditAction::ALL
        .iter()
        .copied()
        .filter(|action| action.matches(kind))
        .collect();
    if actions.is_empty() {
        Err(UnknownKind)
    } else {
        Ok(actions)
    }
}

/// One page of the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    /// The `after` of the next page, when this one is full.
    pub next: Option<i64>,
}
