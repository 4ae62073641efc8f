//! The in-process denylist: maps from revoked `jti`s and grant ids to the time their
//! entries stop mattering, and from subjects and clients to their not-before cut-offs. Rebuilt from the store at start (`Revoker::reconcile_denylist`).

use std::collections::HashMap;
use std::sync::RwLock;

use ciam_domain::ports::Denylist;
use ciam_domain::{
    Cutoff, CutoffKind, DenylistError, GrantId, Jti, Revocation, TokenRef, UnixTime,
};

#[derive(Default)]
pub struct InProcessDenylist {
    entries: RwLock<Entries>,
}

#[derive(Default)]
struct Entries {
    tokens: HashMap<Jti, UnixTime>,
    grants: HashMap<GrantId, UnixTime>,
    /// Cut-offs by subject and by client: (cut-off, until).
    subjects: HashMap<String, (UnixTime, UnixTime)>,
    clients: HashMap<String, (UnixTime, UnixTime)>,
    /// Size at which expired entries are next swept: memory stays bounded by live
    /// revocations (twice their number at most), at amortised O(1) per insert.
    sweep_at: usize,
}

const MIN_SWEEP: usize = 1024;

impl Entries {
    fn len(&self) -> usize {
        self.tokens.len() + self.grants.len() + self.subjects.len() + self.clients.len()
    }

    fn sweep(&mut self, now: UnixTime) {
        self.tokens.retain(|_, until| *until > now);
        self.grants.retain(|_, until| *until > now);
        self.subjects.retain(|_, (_, until)| *until > now);
        self.clients.retain(|_, (_, until)| *until > now);
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

/// Keeps the later cut-off and the later expiry, as the Redis denylist does.
fn raise(entries: &mut Entries, cutoff: &Cutoff) {
    let map = match cutoff.kind {
        CutoffKind::Subject => &mut entries.subjects,
        CutoffKind::Client => &mut entries.clients,
    };
    let held = map
        .entry(cutoff.id.clone())
        .or_insert((cutoff.at, cutoff.until));
    *held = (held.0.max(cutoff.at), held.1.max(cutoff.until));
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
                Revocation::Cutoff(cutoff) => raise(&mut entries, cutoff),
            }
        }
        if entries.len() >= entries.sweep_at.max(MIN_SWEEP) {
            entries.sweep(now);
        }
        Ok(())
    }

    fn is_denied(&self, token: &TokenRef<'_>, now: UnixTime) -> Result<bool, DenylistError> {
        let entries = self.entries.read().map_err(|_| poisoned())?;
        let live = |until: Option<&UnixTime>| until.is_some_and(|until| *until > now);
        let covers = |cutoff: Option<&(UnixTime, UnixTime)>| {
            cutoff.is_some_and(|(at, until)| *until > now && token.issued_at <= *at)
        };
        Ok(live(entries.tokens.get(token.jti))
            || token.grant_id.is_some_and(|g| live(entries.grants.get(g)))
            || covers(entries.subjects.get(token.subject))
            || covers(entries.clients.get(token.client_id.as_str())))
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
    use ciam_domain::ClientId;

    const NOW: UnixTime = UnixTime(1000);

    /// Whether a token with this `jti` and grant, of a subject and client no cut-off names,
    /// is denied.
    fn denied(denylist: &InProcessDenylist, jti: &str, gid: Option<&str>, now: i64) -> bool {
        let (jti, gid, client) = (Jti::new(jti), gid.map(GrantId::new), ClientId::new("c"));
        let token = TokenRef {
            jti: &jti,
            grant_id: gid.as_ref(),
            subject: "nobody",
            client_id: &client,
            issued_at: UnixTime(0),
        };
        denylist.is_denied(&token, UnixTime(now)).expect("check")
    }

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
        let check = |jti: &str, gid: Option<&str>, now: i64| denied(&denylist, jti, gid, now);
        assert!(check("a", None, 1049));
        assert!(!check("a", None, 1050));
        assert!(check("other", Some("g"), 1099));
        assert!(!check("other", Some("g"), 1100));
        assert!(!check("other", None, 1000));
    }

    #[test]
    fn a_cutoff_denies_its_subjects_or_clients_tokens_issued_until_it() {
        let denylist = InProcessDenylist::new();
        let cutoff = |kind, id: &str, at: i64| {
            Revocation::Cutoff(Cutoff {
                kind,
                id: id.into(),
                at: UnixTime(at),
                until: UnixTime(at + 100),
            })
        };
        denylist
            .deny(&[cutoff(CutoffKind::Subject, "u", 1000)], NOW)
            .expect("deny");
        denylist
            .deny(&[cutoff(CutoffKind::Client, "c", 990)], NOW)
            .expect("deny");
        denylist
            .deny(&[cutoff(CutoffKind::Subject, "u", 900)], NOW)
            .expect("an earlier cut-off changes nothing");
        let (jti, client, other) = (Jti::new("j"), ClientId::new("c"), ClientId::new("d"));
        let check = |subject: &str, client: &ClientId, iat: i64, now: i64| {
            let token = TokenRef {
                jti: &jti,
                grant_id: None,
                subject,
                client_id: client,
                issued_at: UnixTime(iat),
            };
            denylist.is_denied(&token, UnixTime(now)).expect("check")
        };
        assert!(check("u", &other, 1000, 1000));
        assert!(!check("u", &other, 1001, 1000));
        assert!(check("v", &client, 990, 1000));
        assert!(!check("v", &client, 991, 1000));
        assert!(!check("v", &other, 0, 1000));
        assert!(!check("u", &other, 1000, 1100), "gone at until");
    }

    #[test]
    fn a_later_deny_never_shortens_an_entry() {
        let denylist = InProcessDenylist::new();
        denylist.deny(&[token("a", 2000)], NOW).expect("deny");
        denylist.deny(&[token("a", 1500)], NOW).expect("deny");
        assert!(denied(&denylist, "a", None, 1999));
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
