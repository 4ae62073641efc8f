//! The fake store's client management: the same rules as the diesel store, in memory.

use super::{lock, FakeStore};
use crate::audit::AuditEvent;
use crate::client::Client;
use crate::error::StoreError;
use crate::ids::ClientId;
use crate::ports::ClientAdminStore;
use crate::secret::SecretHash;

impl ClientAdminStore for FakeStore {
    fn list_clients_page(
        &self,
        after: Option<&ClientId>,
        limit: usize,
    ) -> Result<Vec<Client>, StoreError> {
        self.up()?;
        let mut clients: Vec<Client> = lock(&self.clients)
            .values()
            .filter(|client| after.is_none_or(|after| client.id.as_str() > after.as_str()))
            .cloned()
            .collect();
        clients.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        clients.truncate(limit);
        Ok(clients)
    }

    fn set_client_redirect_uris(
        &self,
        id: &ClientId,
        redirect_uris: &[String],
        audit: &AuditEvent,
    ) -> Result<Option<Client>, StoreError> {
        self.up()?;
        let client = lock(&self.clients).get_mut(id).map(|client| {
            client.redirects.redirect_uris = redirect_uris.to_vec();
            client.clone()
        });
        self.record_if(client.is_some(), audit);
        Ok(client)
    }

    fn set_client_secret(
        &self,
        id: &ClientId,
        secret_hash: &SecretHash,
        audit: &AuditEvent,
    ) -> Result<Option<Client>, StoreError> {
        self.up()?;
        let client = lock(&self.clients)
            .get_mut(id)
            .filter(|client| client.secret_hash.is_some())
            .map(|client| {
                client.secret_hash = Some(secret_hash.clone());
                client.clone()
            });
        self.record_if(client.is_some(), audit);
        Ok(client)
    }
}
