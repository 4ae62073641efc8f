//! Revocation (RFC 7009) and what makes it reach resource servers: the durable revocations
//! in the store (the truth), the denylist (a rebuildable copy), the reconciler that keeps
//! the copy complete, and pruning of what has expired.

mod denylist_sync;
mod hint;
pub mod model;
pub mod ports;
mod prune;
mod revoke;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::access_token::AccessTokens;
use crate::error::{faults_become, Fault};
use crate::kernel::Core;

use denylist_sync::DenylistSync;
pub use hint::TokenTypeHint;
pub use model::Revocation;

pub struct Revoker {
    core: Arc<Core>,
    access_tokens: Arc<AccessTokens>,
    sync: DenylistSync,
}

impl Revoker {
    pub(crate) fn new(core: Arc<Core>, access_tokens: Arc<AccessTokens>) -> Revoker {
        Revoker {
            core,
            access_tokens,
            sync: DenylistSync::default(),
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
