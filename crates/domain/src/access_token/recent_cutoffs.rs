//! The cut-offs this node made in the last seconds, so that the tokens it issues right after
//! one are not refused by it.
//!
//! `iat` has whole seconds and a cut-off at `T` refuses `iat <= T`: a token issued later in
//! the same second would carry `iat = T` and be refused although issued after the cut-off.
//! Such a token is given `iat = T + 1` instead: one second ahead of the clock at most, well
//! within the leeway verifiers allow, and only in the second after a cut-off.

use std::sync::{PoisonError, RwLock};

use crate::ids::ClientId;
use crate::revocation::model::{Cutoff, CutoffKind};
use crate::time::UnixTime;

/// How long a cut-off is remembered: once the clock has passed its second, `now` is later
/// than it anyway.
const REMEMBER_SECONDS: i64 = 2;

#[derive(Default)]
pub(crate) struct RecentCutoffs {
    entries: RwLock<Vec<(CutoffKind, String, UnixTime)>>,
}

impl RecentCutoffs {
    pub fn note(&self, cutoff: &Cutoff, now: UnixTime) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|(_, _, at)| at.0 > now.0 - REMEMBER_SECONDS);
        entries.push((cutoff.kind, cutoff.id.clone(), cutoff.at));
    }

    /// The second a cut-off made at `now` must name to cover every token this node has
    /// issued so far: `now`, or one second after the latest recent cut-off if that is later.
    /// A token issued after a cut-off in its second carries `iat = T + 1`, so a second
    /// cut-off in that same second must be at `T + 1` to refuse it (it then also refuses
    /// tokens other nodes issue in the next second: the safe side).
    pub fn cutoff_time(&self, now: UnixTime) -> UnixTime {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .map(|(_, _, at)| UnixTime(at.0 + 1))
            .fold(now, UnixTime::max)
    }

    /// The `iat` for a token of `subject` and `client` issued at `now`: `now`, or one second
    /// after the latest recent cut-off that would cover it.
    pub fn issue_time(&self, subject: &str, client: &ClientId, now: UnixTime) -> UnixTime {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .filter(|(kind, id, _)| match kind {
                CutoffKind::Subject => id == subject,
                CutoffKind::Client => id == client.as_str(),
            })
            .map(|(_, _, at)| UnixTime(at.0 + 1))
            .fold(now, UnixTime::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cutoff(kind: CutoffKind, id: &str, at: i64) -> Cutoff {
        Cutoff {
            kind,
            id: id.into(),
            at: UnixTime(at),
            until: UnixTime(at + 600),
        }
    }

    #[test]
    fn a_token_issued_in_a_cutoffs_second_gets_the_next_second() {
        let recent = RecentCutoffs::default();
        let client = ClientId::new("c");
        recent.note(&cutoff(CutoffKind::Subject, "u", 100), UnixTime(100));
        assert_eq!(
            recent.issue_time("u", &client, UnixTime(100)),
            UnixTime(101)
        );
        assert_eq!(
            recent.issue_time("v", &client, UnixTime(100)),
            UnixTime(100)
        );
        assert_eq!(
            recent.issue_time("u", &client, UnixTime(102)),
            UnixTime(102)
        );
        recent.note(&cutoff(CutoffKind::Client, "c", 100), UnixTime(100));
        assert_eq!(
            recent.issue_time("v", &client, UnixTime(100)),
            UnixTime(101)
        );
    }

    #[test]
    fn a_second_cutoff_in_the_same_second_covers_the_tokens_issued_after_the_first() {
        let recent = RecentCutoffs::default();
        let client = ClientId::new("c");
        assert_eq!(recent.cutoff_time(UnixTime(100)), UnixTime(100));
        recent.note(&cutoff(CutoffKind::Subject, "u", 100), UnixTime(100));
        let between = recent.issue_time("u", &client, UnixTime(100));
        let second = recent.cutoff_time(UnixTime(100));
        assert!(between <= second, "{between:?} is covered by {second:?}");
        assert_eq!(recent.cutoff_time(UnixTime(102)), UnixTime(102));
    }

    #[test]
    fn old_cutoffs_are_forgotten() {
        let recent = RecentCutoffs::default();
        recent.note(&cutoff(CutoffKind::Subject, "u", 100), UnixTime(100));
        recent.note(&cutoff(CutoffKind::Subject, "w", 200), UnixTime(200));
        assert_eq!(recent.entries.read().expect("lock").len(), 1);
    }
}
