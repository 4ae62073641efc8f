//! What revocation needs: the durable revocations (the truth) and the denylist (the
//! fast, rebuildable copy resource servers read).

use crate::audit::AuditEvent;
use crate::error::{DenylistError, StoreError};
use crate::ids::{ClientId, Jti};
use crate::revocation::fence::{Fence, Freshness};
use crate::revocation::model::{Cutoff, Revocation, TokenRef};
use crate::time::UnixTime;

/// One access token to revoke durably, with the audit entry committed with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessTokenRevocation {
    pub jti: Jti,
    pub client_id: ClientId,
    /// The token's `exp`: the revocation matters until then.
    pub until: UnixTime,
    pub revoked_at: UnixTime,
    pub audit: AuditEvent,
}

pub trait RevocationStore: Send + Sync {
    /// Durably records every revocation of `batch`, with its audit entry, before returning
    /// `Ok`; on `Err`, none may be taken as durable. Idempotent: revoking a revoked token
    /// succeeds and changes nothing (its audit entry is still recorded). The domain gathers
    /// concurrent revocations into one call, so that one commit (one disk flush) serves them.
    fn revoke_access_tokens(&self, batch: &[AccessTokenRevocation]) -> Result<(), StoreError>;

    /// [`RevocationStore::revoke_access_tokens`] of one token.
    fn revoke_access_token(
        &self,
        jti: &Jti,
        client_id: &ClientId,
        until: UnixTime,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.revoke_access_tokens(&[AccessTokenRevocation {
            jti: jti.clone(),
            client_id: client_id.clone(),
            until,
            revoked_at: now,
            audit: audit.clone(),
        }])
    }

    /// Whether `token` is durably revoked: itself, its grant, or by a cut-off of its
    /// subject or client ([`Cutoff::covers`]). The source of truth when the denylist cannot
    /// answer.
    fn is_revoked(&self, token: &TokenRef<'_>) -> Result<bool, StoreError>;

    /// Every revocation whose `until` is after `now`: what the denylist must hold.
    fn live_revocations(&self, now: UnixTime) -> Result<Vec<Revocation>, StoreError>;

    /// Deletes rows that can no longer affect any answer, at most `batch` of each kind per
    /// call, and returns how many it deleted. Callers loop until a call deletes fewer than
    /// `batch`: each call is a few short statements, so revocations and rotations never wait
    /// long behind it. `cutoff` is the caller's "now" minus a safety margin for clock skew
    /// between nodes; an adapter MUST delete only:
    ///
    /// - revoked access tokens whose `until` is at or before `cutoff`: the token's own `exp`
    ///   rejects it;
    /// - refresh tokens (rotated or not) whose `expires_at` is at or before `cutoff`: an
    ///   expired refresh token can never be exchanged, so neither can it be reused;
    /// - grants with no refresh token left whose `access_expires_at` is at or before
    ///   `cutoff`: no token of the grant can still be live, and a revoked grant's denylist
    ///   entry ends at `access_expires_at` anyway.
    ///
    /// - cut-offs whose `until` is at or before `cutoff`: every token they cover has expired;
    /// - authorization codes and sessions whose `expires_at` is at or before `cutoff`: an
    ///   expired code cannot be exchanged, an expired session signs nobody in.
    ///
    /// Nothing else: never clients, users or signing keys. So for any `now` at or after
    /// `cutoff`, `live_revocations(now)` and `is_revoked` of live tokens answer as before.
    /// A grant that gains a refresh token or a later `access_expires_at` concurrently MUST
    /// survive.
    fn prune_expired(&self, cutoff: UnixTime, batch: usize) -> Result<usize, StoreError>;

    /// Cheap round trip for readiness checks.
    fn ping(&self) -> Result<(), StoreError>;
}

/// The fast revocation check resource servers share. A cache of `RevocationStore`:
/// anything it holds can be rebuilt from `live_revocations`.
pub trait Denylist: Send + Sync {
    /// MUST make every entry visible to `is_denied` before returning `Ok`, and keep it
    /// at least until its `until`.
    fn deny(&self, entries: &[Revocation], now: UnixTime) -> Result<(), DenylistError>;

    /// Whether `token` is denied: its `jti`, its grant, or a cut-off of its subject or
    /// client ([`Revocation::covers`]). MUST return `Err`, never `Ok(false)`, when it cannot
    /// tell. (After a cut-off's `until` every token it covers has expired, so for those an
    /// adapter may answer either way.)
    fn is_denied(&self, token: &TokenRef<'_>, now: UnixTime) -> Result<bool, DenylistError>;

    /// Starts a wait, holding no thread, for this node's copy of the denylist to hold every
    /// revocation acknowledged (on any node) before this call; see [`Fence`]. An adapter
    /// whose `is_denied` is already exact without waiting needs none: the default is ready
    /// at once with [`Freshness::Unknown`].
    fn fence(&self) -> Fence {
        Fence::ready(Freshness::Unknown)
    }

    /// `is_denied` for a check that awaited [`Denylist::fence`] first and got `freshness`,
    /// with the same contract. The default ignores a fence that did not fail.
    fn is_denied_after(
        &self,
        token: &TokenRef<'_>,
        now: UnixTime,
        freshness: Freshness,
    ) -> Result<bool, DenylistError> {
        match freshness {
            Freshness::Failed(error) => Err(error),
            Freshness::Current | Freshness::Unknown => self.is_denied(token, now),
        }
    }

    fn ping(&self) -> Result<(), DenylistError>;

    /// Whether the denylist holds every live revocation: a rebuild finished since it was
    /// last emptied. A Redis restart without persistence, or a `FLUSHALL`, makes it `false`;
    /// the reconciler then rebuilds it from the store.
    fn is_complete(&self) -> Result<bool, DenylistError>;

    /// Records that the rebuild `rebuild_id` is starting. Called before the store is read,
    /// so that a loss while it runs is noticed by `finish_rebuild`. MUST NOT make
    /// `is_complete` true: resource servers trust the completeness marker, and until the
    /// rebuild has written everything it would be a lie.
    fn begin_rebuild(&self, rebuild_id: &str) -> Result<(), DenylistError>;

    /// Called after every live revocation read by the rebuild has been written. MUST mark
    /// the denylist complete and return `true` only if nothing was lost since
    /// `begin_rebuild(rebuild_id)`; otherwise `false`, leaving it incomplete. Concurrent
    /// rebuilds (several nodes) MUST NOT make each other fail.
    fn finish_rebuild(&self, rebuild_id: &str) -> Result<bool, DenylistError>;
}

/// Revoking everything of a user or of a client at once.
pub trait BulkRevocationStore: Send + Sync {
    /// In one transaction: records `cutoff` (raising an existing cut-off of the same kind and
    /// id, never lowering it), revokes every grant of its subject (or client) created at or
    /// before `cutoff.at` and not yet revoked, marks their unused authorization codes used and, for a subject, ends their
    /// live sessions. Returns the denylist entries of the revoked grants whose access tokens
    /// may still be live, and the clients that held those grants.
    ///
    /// MUST be exact against concurrent grant creation: a grant created by `create_grant` or
    /// `redeem_code` with `created_at` at or before a committed cut-off of its subject or
    /// client is stored revoked, whichever transaction commits first.
    fn revoke_everything_of(
        &self,
        cutoff: &Cutoff,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<BulkRevoked, StoreError>;

    /// The live cut-off of this kind and id, if any.
    fn find_cutoff(
        &self,
        kind: crate::revocation::model::CutoffKind,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<Cutoff>, StoreError>;
}

/// What one bulk revocation revoked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkRevoked {
    /// Denylist entries of the grants revoked whose access tokens may still be live.
    pub grants: Vec<Revocation>,
    /// How many grants were revoked (live or not).
    pub grant_count: usize,
    /// The clients that held those grants, sorted, without repeats.
    pub clients: Vec<ClientId>,
    /// How many sessions were ended.
    pub session_count: usize,
}
