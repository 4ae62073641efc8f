use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch. Every time in the token model is one of these,
/// so a test clock can drive every expiry rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(pub i64);

impl UnixTime {
    pub fn plus_seconds(self, seconds: i64) -> UnixTime {
        UnixTime(self.0.saturating_add(seconds))
    }

    /// Seconds from `self` until `later`, zero if `later` has passed.
    pub fn seconds_until(self, later: UnixTime) -> i64 {
        later.0.saturating_sub(self.0).max(0)
    }
}
