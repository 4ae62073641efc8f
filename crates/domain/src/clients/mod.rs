//! Clients: their registration, and their authentication on every OAuth request
//! (RFC 6749 §2.3), served from a short-lived cache.

mod authenticate;
mod cache;
mod manage;
pub mod model;
pub mod ports;
pub mod redirect_uri;
mod register;
pub mod validation;

#[cfg(test)]
mod manage_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::client::Client;
use crate::error::{faults_become, Fault};
use crate::ids::ClientId;
use crate::input::is_client_id;
use crate::kernel::Core;
use crate::revocation::Revoker;

pub use authenticate::ClientCredentials;
use cache::ClientCache;
pub use manage::{ClientChangeError, ClientPage, ListClientsError};
pub use register::NewClient;
pub use validation::InvalidClient;

pub struct Clients {
    core: Arc<Core>,
    cache: ClientCache,
    /// Deleting a client revokes its grants.
    revocation: Arc<Revoker>,
}

impl Clients {
    /// The registered client with this id (from the cache), `None` for an id that cannot
    /// be one.
    pub(crate) fn find(&self, id: &str) -> Result<Option<Arc<Client>>, Fault> {
        if !is_client_id(id) {
            return Ok(None);
        }
        Ok(self.find_cached(&ClientId::new(id))?)
    }

    /// Whether the browser may be sent to `uri` after logout for the client `client_id`: one
    /// of its registered post-logout redirect URIs, exactly (RP-Initiated Logout 1.0 §3).
    pub fn may_return_after_logout(&self, client_id: &str, uri: &str) -> Result<bool, Fault> {
        Ok(self.find(client_id)?.is_some_and(|client| {
            client
                .redirects
                .post_logout_redirect_uris
                .iter()
                .any(|registered| registered == uri)
        }))
    }

    pub(crate) fn new(core: Arc<Core>, revocation: Arc<Revoker>) -> Clients {
        Clients {
            core,
            cache: ClientCache::default(),
            revocation,
        }
    }
}

/// Client authentication failed (RFC 6749 §5.2 `invalid_client`), or could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Every failure is this one answer, so it does not tell which part was wrong.
    #[error("invalid_client")]
    InvalidClient,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(AuthError::Unavailable);
