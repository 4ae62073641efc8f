use crate::claims::AccessClaims;
use crate::ids::{ClientId, GrantId, Jti};
use crate::time::UnixTime;

/// One live entry of the denylist: what is revoked and until when it matters.
/// After `until` every token it covers has expired, so the entry can be dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Revocation {
    /// A single access token, by `jti`, until its `exp`.
    AccessToken { jti: Jti, until: UnixTime },
    /// Every access token carrying this grant id (`gid`), until the latest `exp` issued under it.
    Grant { grant_id: GrantId, until: UnixTime },
    /// Every access token of a subject or a client issued at or before a time.
    Cutoff(Cutoff),
}

impl Revocation {
    pub fn until(&self) -> UnixTime {
        match self {
            Revocation::AccessToken { until, .. } | Revocation::Grant { until, .. } => *until,
            Revocation::Cutoff(cutoff) => cutoff.until,
        }
    }

    /// Whether this entry refuses `token` at `now`.
    pub fn covers(&self, token: &TokenRef<'_>, now: UnixTime) -> bool {
        if self.until() <= now {
            return false;
        }
        match self {
            Revocation::AccessToken { jti, .. } => jti == token.jti,
            Revocation::Grant { grant_id, .. } => token.grant_id == Some(grant_id),
            Revocation::Cutoff(cutoff) => cutoff.covers(token),
        }
    }
}

/// Whose tokens a cut-off refuses: the published names are `sub` and `cid` (Redis contract
/// v2, docs/redis-denylist.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CutoffKind {
    /// Every access token whose `sub` is the id: a user's (or, for `client_credentials`
    /// tokens, whose subject is the client, that client's).
    Subject,
    /// Every access token whose `client_id` is the id.
    Client,
}

impl CutoffKind {
    /// The name stored and published: `sub` or `cid`.
    pub fn as_str(self) -> &'static str {
        match self {
            CutoffKind::Subject => "sub",
            CutoffKind::Client => "cid",
        }
    }

    pub fn parse(name: &str) -> Option<CutoffKind> {
        match name {
            "sub" => Some(CutoffKind::Subject),
            "cid" => Some(CutoffKind::Client),
            _ => None,
        }
    }
}

/// A not-before cut-off: every access token of `id` (a subject or a client, per `kind`)
/// with `iat` at or before `at` is revoked, whether or not it has a grant. It matters
/// until `until`, when every token it covers has expired.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cutoff {
    pub kind: CutoffKind,
    pub id: String,
    pub at: UnixTime,
    pub until: UnixTime,
}

impl Cutoff {
    /// `iat <= at` (ciam-contract's `cutoff_covers`): a token issued in the cut-off's own
    /// second counts as issued before it. Tokens this node issues after a cut-off are given
    /// a later `iat` (`AccessTokens::issue_time`), so the boundary is exact.
    pub fn covers(&self, token: &TokenRef<'_>) -> bool {
        let id = match self.kind {
            CutoffKind::Subject => token.subject,
            CutoffKind::Client => token.client_id.as_str(),
        };
        id == self.id && token.issued_at <= self.at
    }
}

/// What a revocation check needs of one access token.
#[derive(Clone, Copy, Debug)]
pub struct TokenRef<'a> {
    pub jti: &'a Jti,
    pub grant_id: Option<&'a GrantId>,
    pub subject: &'a str,
    pub client_id: &'a ClientId,
    pub issued_at: UnixTime,
}

impl<'a> TokenRef<'a> {
    pub fn of(claims: &'a AccessClaims) -> TokenRef<'a> {
        TokenRef {
            jti: &claims.jti,
            grant_id: claims.gid.as_ref(),
            subject: &claims.sub,
            client_id: &claims.client_id,
            issued_at: claims.iat,
        }
    }
}
