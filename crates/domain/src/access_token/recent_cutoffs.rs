//! The cut-offs this node made in the last seconds, so that the tokens it issues right after
//! one are not refused by it.
//!
//! `iat` has whole seconds and a cut-off at `T` refuses `iat <= T`: a token issued later in
//! the same second would carry `iat = T` and be refused although issued after the cut-off.
//! Such a token is given `iat = T + 1` instead: only in the second after a cut-off of its
//! subject or client, and never more than `MAX_AHEAD` seconds ahead of the clock, well within
//! the leeway verifiers allow (a token that would need more is dated `now + MAX_AHEAD` and
//! refused: the safe side).
//!
//! A second cut-off in the same second must then cover those later-dated tokens too: it is
//! dated at the latest `iat` this node has handed out ahead of the clock, if that is later
//! than now. Only tokens actually issued move it, so a script disabling a hundred users in a
//! second dates every cut-off now, and nothing drifts further than `MAX_AHEAD`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{PoisonError, RwLock};

use crate::ids::ClientId;
use crate::revocation::model::{Cutoff, CutoffKind};
use crate::time::UnixTime;

/// How long a cut-off is remembered: once the clock has passed its second, `now` is later
/// than it anyway.
const REMEMBER_SECONDS: i64 = 2;

/// The furthest ahead of the clock an `iat` is ever dated.
const MAX_AHEAD: i64 = 2;

#[derive(Default)]
pub(crate) struct RecentCutoffs {
    entries: RwLock<Vec<(CutoffKind, String, UnixTime)>>,
    /// The latest `iat` handed out ahead of the clock (Unix seconds; 0: none).
    issued_ahead: AtomicI64,
}

impl RecentCutoffs {
    pub fn note(&self, cutoff: &Cutoff, now: UnixTime) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|(_, _, at)| at.0 > now.0 - REMEMBER_SECONDS);
        entries.push((cutoff.kind, cutoff.id.clone(), cutoff.at));
    }

    /// The second a cut-off made at `now` must name to cover every token this node has
    /// issued so far: `now`, or the latest `iat` it dated ahead of the clock if that is later
    /// (it then also refuses tokens other nodes issue in that second: the safe side).
    pub fn cutoff_time(&self, now: UnixTime) -> UnixTime {
        now.max(UnixTime(self.issued_ahead.load(Ordering::SeqCst)))
    }

    /// The `iat` for a token of `subject` and `client` issued at `now`: `now`, or one second
    /// after the latest recent cut-off that would cover it, at most `MAX_AHEAD` ahead.
    pub fn issue_time(&self, subject: &str, client: &ClientId, now: UnixTime) -> UnixTime {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        if entries.is_empty() {
            return now;
        }
        let iat = entries
            .iter()
            .filter(|(kind, id, _)| match kind {
                CutoffKind::Subject => id == subject,
                CutoffKind::Client => id == client.as_str(),
            })
            .map(|(_, _, at)| UnixTime(at.0 + 1))
            .fold(now, UnixTime::max)
            .min(now.plus_seconds(MAX_AHEAD));
        if iat > now {
            self.issued_ahead.fetch_max(iat.0, Ordering::SeqCst);
        }
        iat
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
    fn cutoffs_with_no_token_issued_between_them_are_dated_now() {
        let recent = RecentCutoffs::default();
        for user in 0..100 {
            let at = recent.cutoff_time(UnixTime(100));
            assert_eq!(at, UnixTime(100), "no drift");
            recent.note(
                &cutoff(CutoffKind::Subject, &format!("u{user}"), at.0),
                UnixTime(100),
            );
        }
    }

    #[test]
    fn an_iat_is_never_dated_more_than_max_ahead() {
        let recent = RecentCutoffs::default();
        let client = ClientId::new("c");
        for _ in 0..10 {
            let at = recent.cutoff_time(UnixTime(100));
            recent.note(&cutoff(CutoffKind::Subject, "u", at.0), UnixTime(100));
            let iat = recent.issue_time("u", &client, UnixTime(100));
            assert!(iat <= UnixTime(100 + MAX_AHEAD), "{iat:?}");
        }
        assert!(recent.cutoff_time(UnixTime(100)) <= UnixTime(100 + MAX_AHEAD));
    }

    #[test]
    fn old_cutoffs_are_forgotten() {
        let recent = RecentCutoffs::default();
        recent.note(&cutoff(CutoffKind::Subject, "u", 100), UnixTime(100));
        recent.note(&cutoff(CutoffKind::Subject, "w", 200), UnixTime(200));
        assert_eq!(recent.entries.read().expect("lock").len(), 1);
    }
}
