use crate::ids::{GrantId, Jti};
use crate::time::UnixTime;

/// One live entry of the denylist: what is revoked and until when it matters.
/// After `until` every token it covers has expired, so the entry can be dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Revocation {
    /// A single access token, by `jti`, until its `exp`.
    AccessToken { jti: Jti, until: UnixTime },
    /// Every access token carrying this grant id (`gid`), until the latest `exp` issued under it.
    Grant { grant_id: GrantId, until: UnixTime },
}

impl Revocation {
    pub fn until(&self) -> UnixTime {
        match self {
            Revocation::AccessToken { until, .. } | Revocation::Grant { until, .. } => *until,
        }
    }
}
