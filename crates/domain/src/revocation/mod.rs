//! Revocation (RFC 7009) and what makes it reach resource servers: the durable revocations
//! in the store (the truth), the denylist (a rebuildable copy), the reconciler that keeps
//! the copy complete, and pruning of what has expired.

mod bulk;
mod denylist_sync;
mod fence;
mod hint;
pub mod model;
mod of_user;
pub mod ports;
mod prune;
mod queue;
mod revoke;

#[cfg(test)]
mod bulk_tests;
#[cfg(test)]
mod queue_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::access_token::AccessTokens;
use crate::claims::AccessClaims;
use crate::error::{faults_become, Chain, Fault};
use crate::kernel::Core;
use crate::time::UnixTime;

use denylist_sync::DenylistSync;
pub use fence::{Fence, Freshness};
pub use hint::TokenTypeHint;
pub use model::{Cutoff, CutoffKind, Revocation, TokenRef};
pub use queue::{Completion, Lead};
pub use revoke::PendingRevocation;

pub struct Revoker {
    core: Arc<Core>,
    access_tokens: Arc<AccessTokens>,
    sync: DenylistSync,
    queue: queue::Queue,
}

impl Revoker {
    pub(crate) fn new(core: Arc<Core>, access_tokens: Arc<AccessTokens>) -> Revoker {
        Revoker {
            core,
            access_tokens,
            sync: DenylistSync::default(),
            queue: queue::Queue::default(),
        }
    }
}

impl Revoker {
    /// Whether the access token with these claims is revoked (itself or its grant). The
    /// denylist answers fast; when it cannot, the store (the source of truth) does: a
    /// revoked token is never taken for live because a cache was down.
    pub(crate) fn is_revoked(&self, claims: &AccessClaims, now: UnixTime) -> Result<bool, Fault> {
        self.is_revoked_after(claims, now, None)
    }

    /// A fence on the denylist, for [`Revoker::is_revoked_after`].
    pub(crate) fn fence(&self) -> Fence {
        self.core.ports.denylist.fence()
    }

    /// `is_revoked`, for a check that awaited [`Revoker::fence`] first (`Some`) or not.
    pub(crate) fn is_revoked_after(
        &self,
        claims: &AccessClaims,
        now: UnixTime,
        fenced: Option<Freshness>,
    ) -> Result<bool, Fault> {
        let ports = &self.core.ports;
        let token = TokenRef::of(claims);
        let denied = match fenced {
            Some(freshness) => ports.denylist.is_denied_after(&token, now, freshness),
            None => ports.denylist.is_denied(&token, now),
        };
        match denied {
            Ok(revoked) => Ok(revoked),
            Err(error) => {
                tracing::warn!(error = %Chain(&error), "denylist unavailable, asking the store");
                Ok(ports.store.is_revoked(&token)?)
            }
        }
    }
}

/// Why a revocation was refused, or could not be made durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevokeError {
    /// The token is a live token of another client: RFC 7009 §2.1 (rule 4), answered
    /// `invalid_client`. Nothing was revoked.
    #[error("the token belongs to another client")]
    ForeignToken,
    /// Not durable and visible: the client must retry and assume the token is still valid
    /// (RFC 7009 §2.2.1, rule 9).
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(RevokeError::Unavailable);
