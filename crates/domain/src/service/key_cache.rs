//! The signing key ring, read from the `KeyStore` and cached, so that signing and verifying
//! do not touch the store on every request.

use std::sync::{Arc, RwLock};

use super::TokenService;
use crate::error::OAuthError;
use crate::keys::KeyRing;
use crate::time::UnixTime;

#[derive(Default)]
pub(super) struct KeyCache {
    loaded: RwLock<Option<(Arc<KeyRing>, UnixTime)>>,
}

impl TokenService {
    /// The key ring, re-read when older than `key_refresh_interval`.
    pub(super) fn key_ring(&self) -> Result<Arc<KeyRing>, OAuthError> {
        let now = self.now();
        if let Ok(guard) = self.keys.loaded.read() {
            if let Some((ring, loaded_at)) = guard.as_ref() {
                if now.0 - loaded_at.0 < self.config.key_refresh_interval {
                    return Ok(Arc::clone(ring));
                }
            }
        }
        self.reload_key_ring(now)
    }

    /// Re-reads the ring after meeting an unknown `kid`, at most once a second so that
    /// tokens with forged `kid`s cannot turn into a store query each.
    pub(super) fn key_ring_after_unknown_kid(&self) -> Result<Option<Arc<KeyRing>>, OAuthError> {
        let now = self.now();
        let fresh = self
            .keys
            .loaded
            .read()
            .map(|guard| {
                guard
                    .as_ref()
                    .is_some_and(|(_, loaded_at)| *loaded_at >= now)
            })
            .unwrap_or(false);
        if fresh {
            return Ok(None);
        }
        self.reload_key_ring(now).map(Some)
    }

    fn reload_key_ring(&self, now: UnixTime) -> Result<Arc<KeyRing>, OAuthError> {
        let ring = Arc::new(KeyRing::new(self.ports.keys.list_keys()?));
        if let Ok(mut guard) = self.keys.loaded.write() {
            *guard = Some((Arc::clone(&ring), now));
        }
        Ok(ring)
    }

    /// Forgets the cached ring: the next use re-reads the store.
    pub(super) fn invalidate_key_ring(&self) {
        if let Ok(mut guard) = self.keys.loaded.write() {
            *guard = None;
        }
    }
}
