//! The in-process denylist: a map from revoked `jti`s and grant ids to the time their
//! entries stop mattering. Rebuilt from the store at start (`Revoker::reconcile_denylist`).

use std::collections::HashMap;
use std::sync::RwLock;

use ciam_domain::ports::Denylist;
use ciam_domain::{DenylistError, GrantId, Jti, Revocation, UnixTime};

#[derive(Default)]
pub struct InProcessDenylist {
    entries: RwLock<Entries>,
}

#[derive(Default)]
struct Entries {
    tokens: HashMap<Jti, UnixTime>,
    grants: HashMap<GrantId, UnixTime>,
    /// Size at which expired entries are next swept: memory stays bounded by live
    /// revocations (twice their number at most), at amortised O(1) per insert.
    sweep_at: usize,
}

const MIN_SWEEP: usize = 1024;

impl Entries {
    fn len(&self) -> usize {
        self.tokens.len() + self.grants.len()
    }

    fn sweep(&mut self, now: UnixTime) {
        self.tokens.retain(|_, until| *until > now);
        self.grants.retain(|_, until| *until > now);
        self.sweep_at = (self.len() * 2).max(MIN_SWEEP);
    }
}

impl InProcessDenylist {
    pub fn new() -> Self {
        Self::default()
    }

    /// Live and not-yet-swept entries.
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn poisoned() -> DenylistError {
    DenylistError::new("in-process denylist lock poisoned")
}

/// Keeps the later of two expiries: a re-deny never shortens an entry.
fn extend<K: std::hash::Hash + Eq>(map: &mut HashMap<K, UnixTime>, key: K, until: UnixTime) {
    let entry = map.entry(key).or_insert(until);
    *entry = (*entry).max(until);
}

impl Denylist for InProcessDenylist {
    fn deny(&self, revocations: &[Revocation], now: UnixTime) -> Result<(), DenylistError> {
        let mut entries = self.entries.write().map_err(|_| poisoned())?;
        for revocation in revocations.iter().filter(|r| r.until() > now) {
            match revocation {
                Revocation::AccessToken { jti, until } => {
                    extend(&mut entries.tokens, jti.clone(), *until)
                }
                Revocation::Grant { grant_id, until } => {
                    extend(&mut entries.grants, grant_id.clone(), *until)
                }
            }
        }
        if entries.len() >= entries.sweep_at.max(MIN_SWEEP) {
            entries.sweep(now);
        }
        Ok(())
    }

    fn is_denied(
        &self,
        jti: &Jti,
        grant_id: Option<&GrantId>,
        now: UnixTime,
    ) -> Result<bool, DenylistError> {
        let entries = self.entries.read().map_err(|_| poisoned())?;
        let live = |until: Option<&UnixTime>| until.is_some_and(|until| *until > now);
        Ok(live(entries.tokens.get(jti)) || grant_id.is_some_and(|g| live(entries.grants.get(g))))
    }

    fn ping(&self) -> Result<(), DenylistError> {
        self.entries.read().map(drop).map_err(|_| poisoned())
    }

    /// Process memory loses nothing while the process lives; a new process starts empty
    /// and is rebuilt at start.
    fn is_complete(&self) -> Result<bool, DenylistError> {
        Ok(true)
    }

    fn begin_rebuild(&self, _: &str) -> Result<(), DenylistError> {
        Ok(())
    }

    fn finish_rebuild(&self, _: &str) -> Result<bool, DenylistError> {
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = UnixTime(1000);

    fn token(jti: &str, until: i64) -> Revocation {
        Revocation::AccessToken {
            jti: Jti::new(jti),
            until: UnixTime(until),
        }
    }

    #[test]
    fn denies_tokens_and_grants_until_their_expiry() {
        let denylist = InProcessDenylist::new();
        let grant = Revocation::Grant {
            grant_id: GrantId::new("g"),
            until: UnixTime(1100),
        };
        denylist
            .deny(&[token("a", 1050), grant], NOW)
            .expect("deny");
        let check = |jti: &str, gid: Option<&str>, now: i64| {
            let gid = gid.map(GrantId::new);
            denylist
                .is_denied(&Jti::new(jti), gid.as_ref(), UnixTime(now))
                .expect("check")
        };
        assert!(check("a", None, 1049));
        assert!(!check("a", None, 1050));
        assert!(check("other", Some("g"), 1099));
        assert!(!check("other", Some("g"), 1100));
        assert!(!check("other", None, 1000));
    }

    #[test]
    fn a_later_deny_never_shortens_an_entry() {
        let denylist = InProcessDenylist::new();
        denylist.deny(&[token("a", 2000)], NOW).expect("deny");
        denylist.deny(&[token("a", 1500)], NOW).expect("deny");
        assert!(denylist
            .is_denied(&Jti::new("a"), None, UnixTime(1999))
            .expect("check"));
    }

    #[test]
    fn memory_stays_bounded_by_live_entries() {
        let denylist = InProcessDenylist::new();
        for i in 0..10_000 {
            // Each entry lives 10 seconds; time moves one second per 100 inserts.
            let now = UnixTime(NOW.0 + i / 100);
            denylist
                .deny(&[token(&format!("t{i}"), now.0 + 10)], now)
                .expect("deny");
        }
        assert!(denylist.len() <= 2 * MIN_SWEEP + 1000, "{}", denylist.len());
    }

    #[test]
    fn expired_entries_are_not_stored() {
        let denylist = InProcessDenylist::new();
        denylist.deny(&[token("a", NOW.0)], NOW).expect("deny");
        assert!(denylist.is_empty());
    }
}
