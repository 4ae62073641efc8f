//! The in-memory denylist: revoked `jti`s and grant ids, each with its `until`, and (contract
//! v2) subject and client cut-offs, each with its cut-off time and its `until`.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ciam_contract::{cutoff_covers, AccessTokenClaims, EventKind, RevocationEvent};

/// Live revocations in memory, as the Redis denylist holds them (docs/redis-denylist.md):
///
/// - a `jti` or a grant id (`gid`), revoked until a Unix time `until`;
/// - (v2) a cut-off for a subject (`sub`) or a client (`client_id`): every token of it
///   issued at or before the cut-off `T` (`iat <= T`) is revoked. The entry matters until
///   its own `until`, when every token it covers has expired.
///
/// An entry counts while `now < until` (Redis drops the key at `until`);
/// [`remove_expired`](RevocationSet::remove_expired) frees the memory of the others. Adding
/// is idempotent and only ever raises `until` (and a cut-off), the way the Redis contract's
/// writes do, so events and reloads may arrive in any order.
///
/// Used by the synced mode; also usable directly (`DenylistConfig::Memory`) by an
/// application that feeds it itself (e.g. with [`apply`](RevocationSet::apply) of the
/// channel's events), and by tests and benchmarks.
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

/// A cut-off and the time it stops mattering.
#[derive(Clone, Copy)]
struct Cutoff {
    cutoff: i64,
    until: i64,
}

#[derive(Default)]
struct Maps {
    /// `until` per id.
    jti: HashMap<String, i64>,
    gid: HashMap<String, i64>,
    sub: HashMap<String, Cutoff>,
    cid: HashMap<String, Cutoff>,
}

impl Cutoff {
    /// Each half raised on its own: a later cut-off never shortens the life of an earlier
    /// one, whatever order their events arrive in.
    fn join(self, other: Cutoff) -> Cutoff {
        Cutoff {
            cutoff: self.cutoff.max(other.cutoff),
            until: self.until.max(other.until),
        }
    }
}

impl Maps {
    /// `value` is what the entry's Redis key holds: `until` for a `jti` or a grant, the
    /// cut-off for a subject or a client.
    fn insert(&mut self, kind: EventKind, id: &str, value: i64, until: i64) {
        let cutoff = Cutoff {
            cutoff: value,
            until,
        };
        match kind {
            EventKind::Jti => raise(&mut self.jti, id, until, i64::max),
            EventKind::Gid => raise(&mut self.gid, id, until, i64::max),
            EventKind::Sub => raise(&mut self.sub, id, cutoff, Cutoff::join),
            EventKind::Cid => raise(&mut self.cid, id, cutoff, Cutoff::join),
        }
    }

    fn len(&self) -> usize {
        self.jti.len() + self.gid.len() + self.sub.len() + self.cid.len()
    }
}

/// Inserts `value` for `id`, or merges it into the value there (no allocation then).
fn raise<V: Copy>(map: &mut HashMap<String, V>, id: &str, value: V, merge: fn(V, V) -> V) {
    match map.get_mut(id) {
        Some(current) => *current = merge(*current, value),
        None => {
            map.insert(id.to_owned(), value);
        }
    }
}

impl RevocationSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `id`, a `jti` or a grant id, as revoked until `until` (Unix seconds), or
    /// until a later time already recorded.
    ///
    /// Given a cut-off kind (`Sub`, `Cid`), records a cut-off at `until` itself (every token
    /// of that subject or client issued up to `until` is refused until then): what an
    /// event without its `cutoff` means ([`RevocationEvent::value`]). Use
    /// [`insert_cutoff`](RevocationSet::insert_cutoff) for cut-offs.
    pub fn insert(&self, kind: EventKind, id: &str, until: i64) {
        self.write().insert(kind, id, until, until);
    }

    /// Records a cut-off (contract v2): every token whose `sub` (kind `Sub`) or `client_id`
    /// (kind `Cid`) is `id` and whose `iat` is at or before `cutoff` is revoked, until
    /// `until` (Unix seconds). A cut-off or `until` already recorded later is kept. For kind
    /// `Jti` or `Gid` this is [`insert`](RevocationSet::insert) (`cutoff` is ignored).
    pub fn insert_cutoff(&self, kind: EventKind, id: &str, cutoff: i64, until: i64) {
        self.write().insert(kind, id, cutoff, until);
    }

    /// Applies one event of the channel, v1 or v2.
    pub fn apply(&self, event: &RevocationEvent) {
        self.write()
            .insert(event.kind, &event.id, event.value(), event.until);
    }

    /// Records many entries under one lock: `(kind, id, value, until)`, where `value` is what
    /// the entry's Redis key holds (`until` for a `jti` or grant, the cut-off for a subject
    /// or client) and `until` is when the key expires.
    pub fn extend<'a>(&self, entries: impl IntoIterator<Item = (EventKind, &'a str, i64, i64)>) {
        let mut maps = self.write();
        for (kind, id, value, until) in entries {
            maps.insert(kind, id, value, until);
        }
    }

    /// Whether the token is revoked at `now` (Unix seconds): by its `jti`, its `gid` (if it
    /// has one), or a cut-off of its `sub` or its `client_id` at or after its `iat`. No
    /// allocation, one read lock.
    pub fn is_revoked(&self, claims: &AccessTokenClaims, now: i64) -> bool {
        let maps = self.read();
        let live = |until: Option<&i64>| until.is_some_and(|until| *until > now);
        let covers = |entry: Option<&Cutoff>| {
            entry.is_some_and(|entry| entry.until > now && cutoff_covers(entry.cutoff, claims.iat))
        };
        live(maps.jti.get(&claims.jti))
            || claims
                .gid
                .as_deref()
                .is_some_and(|gid| live(maps.gid.get(gid)))
            || covers(maps.sub.get(&claims.sub))
            || covers(maps.cid.get(&claims.client_id))
    }

    /// Drops the entries whose `until` has passed; returns how many.
    pub fn remove_expired(&self, now: i64) -> usize {
        let mut maps = self.write();
        let before = maps.len();
        maps.jti.retain(|_, until| *until > now);
        maps.gid.retain(|_, until| *until > now);
        maps.sub.retain(|_, entry| entry.until > now);
        maps.cid.retain(|_, entry| entry.until > now);
        before - maps.len()
    }

    /// How many entries are held, cut-offs included (expired ones too until removed).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// How many of them are cut-offs (subject and client).
    pub fn cutoffs(&self) -> usize {
        let maps = self.read();
        maps.sub.len() + maps.cid.len()
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
#[path = "set_tests.rs"]
mod tests;
