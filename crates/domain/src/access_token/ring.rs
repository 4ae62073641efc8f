//! The signing key ring, read from the `KeyStore` and cached, so that signing and verifying
//! do not touch the store on every request.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use super::keys::KeyRing;
use crate::time::UnixTime;

pub(super) struct RingCache {
    loaded: RwLock<Option<(Arc<KeyRing>, UnixTime)>>,
    /// The second of the last re-read caused by an unknown `kid`. Kept apart from
    /// `loaded`: a re-read for age earlier in the same second may have come before the
    /// rotation that made the `kid`, so it must not stand in for this one.
    unknown_kid_reload: AtomicI64,
}

impl Default for RingCache {
    fn default() -> Self {
        RingCache {
            loaded: RwLock::default(),
            unknown_kid_reload: AtomicI64::new(i64::MIN),
        }
    }
}

impl RingCache {
    /// The cached ring, if it was loaded less than `max_age` seconds before `now`.
    pub(super) fn fresh(&self, now: UnixTime, max_age: i64) -> Option<Arc<KeyRing>> {
        let guard = self.loaded.read().ok()?;
        let (ring, loaded_at) = guard.as_ref()?;
        (now.0 - loaded_at.0 < max_age).then(|| Arc::clone(ring))
    }

    /// Whether an unknown `kid` may cause a re-read now: true for the first caller in each
    /// second, so forged `kid`s cost at most one store read a second.
    pub(super) fn may_reload_for_unknown_kid(&self, now: UnixTime) -> bool {
        self.unknown_kid_reload.fetch_max(now.0, Ordering::SeqCst) < now.0
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
