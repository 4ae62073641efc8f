//! What operators do to registered clients besides creating and deleting them (the admin
//! API and the CLI): list them a page at a time, replace their redirect URIs, rotate a
//! confidential client's secret.
//!
//! A change is one store write, then this node's cache entry is dropped, so it takes
//! effect here at once; other nodes see it within `client_cache_ttl` (their cached copy
//! expires).

use super::validation::{check_redirects, InvalidClient};
use super::Clients;
use crate::accounts::listing::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::audit::{AuditAction, Initiator};
use crate::client::{Client, Redirects};
use crate::error::{faults_become, Fault};
use crate::ids::ClientId;
use crate::input::is_client_id;
use crate::kernel::SECRET_BYTES;
use crate::secret::Secret;

/// Why a client was not created or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientChangeError {
    /// A field is not acceptable.
    #[error(transparent)]
    Invalid(InvalidClient),
    /// A public client has no secret to rotate (RFC 6749 §2.1), and is not given one.
    #[error("a public client has no secret")]
    Public,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(ClientChangeError::Unavailable);

/// One page of clients in id order: `next` is the cursor of the following page (the last
/// id here), `None` on the last page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPage {
    pub clients: Vec<Client>,
    pub next: Option<ClientId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListClientsError {
    #[error("limit must be 1 to 200")]
    InvalidLimit,
    /// Not an id: no page ever ended with it.
    #[error("after must be the next of a previous page")]
    InvalidCursor,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(ListClientsError::Unavailable);

impl Clients {
    /// Up to `limit` (default [`DEFAULT_PAGE_SIZE`], at most [`MAX_PAGE_SIZE`]) clients in id
    /// order after the id `after`: keyset paging, so clients created meanwhile never shift
    /// a page.
    pub fn list_page(
        &self,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<ClientPage, ListClientsError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ListClientsError::InvalidLimit);
        }
        if after.is_some_and(|after| !is_client_id(after)) {
            return Err(ListClientsError::InvalidCursor);
        }
        let after = after.map(ClientId::new);
        // One more than asked: whether it comes back says whether there is a next page.
        let mut clients = self
            .core
            .ports
            .store
            .list_clients_page(after.as_ref(), limit + 1)?;
        let next = if clients.len() > limit {
            clients.truncate(limit);
            clients.last().map(|client| client.id.clone())
        } else {
            None
        };
        Ok(ClientPage { clients, next })
    }

    /// Replaces the client's redirect URIs, checked as at registration (`redirect_uri::check`;
    /// an `authorization_code` client keeps at least one). `None`: no such client.
    pub fn set_redirect_uris(
        &self,
        id: &str,
        redirect_uris: Vec<String>,
        by: &Initiator,
    ) -> Result<Option<Client>, ClientChangeError> {
        let Some(client) = self.find_uncached(id)? else {
            return Ok(None);
        };
        let redirects = Redirects {
            redirect_uris,
            ..client.redirects
        };
        check_redirects(&redirects, &client.grant_types).map_err(ClientChangeError::Invalid)?;
        let audit = self
            .core
            .audit(by, AuditAction::ClientUpdated)
            .client(&client.id)
            .target("redirect_uris");
        let changed = self.core.ports.store.set_client_redirect_uris(
            &client.id,
            &redirects.redirect_uris,
            &audit,
        )?;
        self.cache.forget(&client.id);
        Ok(changed)
    }

    /// Gives a confidential client a new secret, returned here and never again (only its
    /// hash is stored); the old one stops authenticating at once on this node. Tokens
    /// already issued are not revoked: `revoke_everything` does that. `None`: no such
    /// client.
    pub fn rotate_secret(
        &self,
        id: &str,
        by: &Initiator,
    ) -> Result<Option<(Client, Secret)>, ClientChangeError> {
        let Some(client) = self.find_uncached(id)? else {
            return Ok(None);
        };
        if client.is_public() {
            return Err(ClientChangeError::Public);
        }
        let secret = Secret::new(self.core.random_string(SECRET_BYTES));
        let audit = self
            .core
            .audit(by, AuditAction::ClientSecretRotated)
            .client(&client.id);
        let changed =
            self.core
                .ports
                .store
                .set_client_secret(&client.id, &secret.hash(), &audit)?;
        self.cache.forget(&client.id);
        // `None` here: deleted in between (a public client is never written).
        Ok(changed.map(|client| (client, secret)))
    }

    /// The client as the store holds it now, never a cached copy: a change starts from it.
    fn find_uncached(&self, id: &str) -> Result<Option<Client>, Fault> {
        if !is_client_id(id) {
            return Ok(None);
        }
        Ok(self.core.ports.store.find_client(&ClientId::new(id))?)
    }
}
