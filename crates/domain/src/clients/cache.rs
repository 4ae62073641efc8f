//! Registered clients, cached for a few seconds: every token, revoke and introspect request
//! authenticates a client, and a store round trip each time would bound the whole service.
//!
//! Unknown ids are cached too, for the same TTL and in the same map: an unknown id then costs
//! what a known one costs (one lookup, no store read), so response times do not tell which
//! ids exist, and a flood of made-up ids that repeat does not reach the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::Clients;
use crate::client::Client;
use crate::error::StoreError;
use crate::ids::ClientId;
use crate::time::UnixTime;

/// Entries past which unknown ids are swept before another is added (expired ones first,
/// then all of them): memory stays bounded whatever ids a flood makes up.
const MAX_ENTRIES: usize = 50_000;

/// The store's answer for an id (`None`: no such client), shared so that a hit costs no
/// copy, and when it was read.
type Entry = (Option<Arc<Client>>, UnixTime);

#[derive(Default)]
pub(super) struct ClientCache {
    entries: RwLock<HashMap<ClientId, Entry>>,
    /// Raised by every `forget`: an answer read from the store before a forget may be older
    /// than the change that caused it, and is not remembered.
    generation: AtomicU64,
}

impl ClientCache {
    /// Drops the entry of a client just changed or deleted, after the store's write: from
    /// then on this node reads the change, and a read that raced it is not cached.
    pub(super) fn forget(&self, id: &ClientId) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(id);
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// `Some(answer)` if the cache holds one younger than `ttl`.
    fn get(&self, id: &ClientId, now: UnixTime, ttl: i64) -> Option<Option<Arc<Client>>> {
        let entries = self.entries.read().ok()?;
        let (client, loaded_at) = entries.get(id)?;
        (now.0 - loaded_at.0 < ttl).then(|| client.clone())
    }

    /// Keeps the store's answer, read when the generation was `read_at`, unless a client
    /// was forgotten since.
    fn remember(
        &self,
        id: &ClientId,
        client: Option<Arc<Client>>,
        now: UnixTime,
        ttl: i64,
        read_at: u64,
    ) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if self.generation() != read_at {
            return;
        }
        if client.is_none() && entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (client, loaded_at)| client.is_some() || now.0 - loaded_at.0 < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, (client, _)| client.is_some());
            }
        }
        entries.insert(id.clone(), (client, now));
    }
}

impl Clients {
    /// The cache's answer for `id`, if it holds a fresh one: no store read.
    pub(super) fn cached(&self, id: &ClientId) -> Option<Option<Arc<Client>>> {
        let ttl = self.core.config.client_cache_ttl;
        (ttl > 0)
            .then(|| self.cache.get(id, self.core.now(), ttl))
            .flatten()
    }

    /// The client with this id, from the cache if the store was asked less than
    /// `client_cache_ttl` seconds ago (whatever it answered). A client created, changed or
    /// deleted on another node is seen here within the TTL; on this node, at once (`forget`).
    pub(super) fn find_cached(&self, id: &ClientId) -> Result<Option<Arc<Client>>, StoreError> {
        let now = self.core.now();
        let ttl = self.core.config.client_cache_ttl;
        if ttl > 0 {
            if let Some(answer) = self.cache.get(id, now, ttl) {
                return Ok(answer);
            }
        }
        let read_at = self.cache.generation();
        let client = self.core.ports.store.find_client(id)?.map(Arc::new);
        if ttl > 0 {
            self.cache.remember(id, client.clone(), now, ttl, read_at);
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_read_before_a_forget_is_not_remembered() {
        let cache = ClientCache::default();
        let id = ClientId::new("c1");
        let now = UnixTime(1_000);
        // A read started, then a change was written and its entry forgotten.
        let read_at = cache.generation();
        cache.forget(&id);
        cache.remember(&id, None, now, 60, read_at);
        assert_eq!(
            cache.get(&id, now, 60),
            None,
            "the stale answer was dropped"
        );
        // A read started after the forget is remembered.
        let read_at = cache.generation();
        cache.remember(&id, None, now, 60, read_at);
        assert_eq!(cache.get(&id, now, 60), Some(None));
    }
}
