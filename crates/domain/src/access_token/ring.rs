//! The signing key ring, read from the `KeyStore` and cached, so that signing and verifying
//! do not touch the store on every request.

use std::sync::{Arc, RwLock};

use super::keys::KeyRing;
use crate::time::UnixTime;

#[derive(Default)]
pub(super) struct RingCache {
    loaded: RwLock<Option<(Arc<KeyRing>, UnixTime)>>,
}

impl RingCache {
    /// The cached ring, if it was loaded less than `max_age` seconds before `now`.
    pub(super) fn fresh(&self, now: UnixTime, max_age: i64) -> Option<Arc<KeyRing>> {
        let guard = self.loaded.read().ok()?;
        let (ring, loaded_at) = guard.as_ref()?;
        (now.0 - loaded_at.0 < max_age).then(|| Arc::clone(ring))
    }

    /// Whether the ring was loaded at or after `now` (within the current second).
    pub(super) fn loaded_since(&self, now: UnixTime) -> bool {
        self.loaded
            .read()
            .map(|guard| {
                guard
                    .as_ref()
                    .is_some_and(|(_, loaded_at)| *loaded_at >= now)
            })
            .unwrap_or(false)
    }

    pub(super) fn store(&self, ring: Arc<KeyRing>, now: UnixTime) {
        if let Ok(mut guard) = self.loaded.write() {
            *guard = Some((ring, now));
        }
    }

    /// Forgets the cached ring: the next use re-reads the store.
    pub(super) fn invalidate(&self) {
        if let Ok(mut guard) = self.loaded.write() {
            *guard = None;
        }
    }
}
