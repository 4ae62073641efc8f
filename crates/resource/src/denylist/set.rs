//! The in-memory denylist: revoked `jti`s and grant ids, each with its `until`.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ciam_contract::{EventKind, RevocationEvent};

/// Live revocations in memory, as the Redis denylist holds them (docs/redis-denylist.md):
/// a `jti` or a grant id, revoked until a Unix time. An entry counts while `now < until`
/// (Redis drops the key at `until`); [`remove_expired`](RevocationSet::remove_expired)
/// frees the memory of the others. Adding is idempotent and only ever raises `until`, the
/// way the Redis contract's writes do, so events and reloads may arrive in any order.
///
/// Used by the synced mode; also usable directly (`DenylistConfig::Memory`) by an
/// application that feeds it itself, and by tests and benchmarks.
#[derive(Default)]
pub struct RevocationSet {
    maps: RwLock<Maps>,
}

impl std::fmt::Debug for RevocationSet {
    /// The size, not the entries (there may be a million).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationSet")
            .field("len", &self.len())
            .finish()
    }
}

#[derive(Default)]
struct Maps {
    jti: HashMap<String, i64>,
    gid: HashMap<String, i64>,
    sub: HashMap<String, i64>,
    cid: HashMap<String, i64>,
}

impl Maps {
    fn map(&mut self, kind: EventKind) -> &mut HashMap<String, i64> {
        match kind {
            EventKind::Jti => &mut self.jti,
            EventKind::Gid => &mut self.gid,
            EventKind::Sub => &mut self.sub,
            EventKind::Cid => &mut self.cid,
        }
    }

    fn insert(&mut self, kind: EventKind, id: &str, until: i64) {
        let map = self.map(kind);
        match map.get_mut(id) {
            Some(current) => *current = (*current).max(until),
            None => {
                map.insert(id.to_owned(), until);
            }
        }
    }
}

impl RevocationSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `id` (a `jti` or a grant id) as revoked until `until` (Unix seconds), or
    /// until a later time already recorded.
    pub fn insert(&self, kind: EventKind, id: &str, until: i64) {
        self.write().insert(kind, id, until);
    }

    /// Applies one event of the channel.
    pub fn apply(&self, event: &RevocationEvent) {
        self.insert(event.kind, &event.id, event.until);
    }

    /// Records many entries under one lock.
    pub fn extend<'a>(&self, entries: impl IntoIterator<Item = (EventKind, &'a str, i64)>) {
        let mut maps = self.write();
        for (kind, id, until) in entries {
            maps.insert(kind, id, until);
        }
    }

    /// Whether the token with this `jti` (and `gid`, if it has one) is revoked at `now`
    /// (Unix seconds). No allocation, one read lock.
    pub fn is_revoked(&self, jti: &str, gid: Option<&str>, now: i64) -> bool {
        let maps = self.read();
        let live = |until: Option<&i64>| until.is_some_and(|until| *until > now);
        live(maps.jti.get(jti)) || gid.is_some_and(|gid| live(maps.gid.get(gid)))
    }

    /// Drops the entries whose `until` has passed; returns how many.
    pub fn remove_expired(&self, now: i64) -> usize {
        let mut maps = self.write();
        let before = maps.jti.len() + maps.gid.len();
        maps.jti.retain(|_, until| *until > now);
        maps.gid.retain(|_, until| *until > now);
        before - (maps.jti.len() + maps.gid.len())
    }

    /// How many entries are held (expired ones included until removed).
    pub fn len(&self) -> usize {
        let maps = self.read();
        maps.jti.len() + maps.gid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> RwLockReadGuard<'_, Maps> {
        self.maps.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Maps> {
        self.maps.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_revoked_by_its_jti_or_its_grant_until_until() {
        let set = RevocationSet::new();
        set.insert(EventKind::Jti, "j1", 100);
        set.apply(&RevocationEvent::new(EventKind::Gid, "g1", 200));
        assert!(set.is_revoked("j1", None, 99));
        assert!(!set.is_revoked("j1", None, 100), "gone at until");
        assert!(set.is_revoked("j2", Some("g1"), 199));
        assert!(!set.is_revoked("j2", Some("g2"), 0));
        assert!(!set.is_revoked("g1", None, 0), "kinds are separate");
    }

    #[test]
    fn until_only_rises_and_expired_entries_are_swept() {
        let set = RevocationSet::new();
        set.insert(EventKind::Jti, "j", 100);
        set.insert(EventKind::Jti, "j", 50);
        assert!(set.is_revoked("j", None, 99));
        set.extend([(EventKind::Jti, "j", 150), (EventKind::Gid, "g", 10)]);
        assert!(set.is_revoked("j", None, 149));
        assert_eq!(set.len(), 2);
        assert_eq!(set.remove_expired(100), 1);
        assert_eq!(set.len(), 1);
        assert!(!set.is_empty());
    }
}
