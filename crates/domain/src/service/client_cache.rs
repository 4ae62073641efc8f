//! Registered clients, cached for a few seconds: every token, revoke and introspect request
//! authenticates a client, and a store round trip each time would bound the whole service.

use std::collections::HashMap;
use std::sync::RwLock;

use super::TokenService;
use crate::client::Client;
use crate::error::StoreError;
use crate::ids::ClientId;
use crate::time::UnixTime;

#[derive(Default)]
pub(super) struct ClientCache {
    clients: RwLock<HashMap<ClientId, (Client, UnixTime)>>,
}

impl ClientCache {
    pub(super) fn forget(&self, id: &ClientId) {
        if let Ok(mut clients) = self.clients.write() {
            clients.remove(id);
        }
    }
}

impl TokenService {
    /// The client with this id, from the cache if it was read less than `client_cache_ttl`
    /// seconds ago. Unknown ids are not cached (a flood of made-up ids must not fill memory),
    /// and a deletion on another node is seen here within the TTL.
    pub(super) fn find_client_cached(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let now = self.now();
        let ttl = self.config.client_cache_ttl;
        if ttl > 0 {
            if let Ok(clients) = self.clients.clients.read() {
                if let Some((client, loaded_at)) = clients.get(id) {
                    if now.0 - loaded_at.0 < ttl {
                        return Ok(Some(client.clone()));
                    }
                }
            }
        }
        let client = self.ports.clients.find_client(id)?;
        if let (Some(client), true) = (&client, ttl > 0) {
            if let Ok(mut clients) = self.clients.clients.write() {
                clients.insert(id.clone(), (client.clone(), now));
            }
        }
        Ok(client)
    }
}
