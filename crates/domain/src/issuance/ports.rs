//! What the grants need from the store: grants and their refresh tokens.

use crate::audit::AuditEvent;
use crate::error::StoreError;
use crate::ids::GrantId;
use crate::issuance::model::{Grant, RefreshTokenRecord, RotateOutcome};
use crate::secret::SecretHash;
use crate::time::UnixTime;

pub trait GrantStore: Send + Sync {
    /// Stores a new grant with its first refresh token, atomically. `Ok(false)` when it is
    /// stored revoked (a cut-off covers it, or its subject may not sign in: see
    /// `BulkRevocationStore`): no token of it may be handed out.
    fn create_grant(&self, grant: &Grant, first: &RefreshTokenRecord) -> Result<bool, StoreError>;

    /// The refresh token with this hash and its grant.
    fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<(RefreshTokenRecord, Grant)>, StoreError>;

    /// Exchanges `old` for `next` in one transaction: MUST mark `old` rotated at `now` only if
    /// it is not rotated yet and its grant is not revoked, store `next`, and raise the grant's
    /// `access_expires_at` to `access_expires_at`. Of concurrent calls for the same `old`,
    /// exactly one returns `Rotated`; the others return `Lost` having written nothing.
    /// Against a concurrent `revoke_grant` it MUST be serialised: either the rotation commits
    /// first and `revoke_grant` returns the raised `access_expires_at`, or the revocation
    /// commits first and this returns `Lost`.
    fn rotate_refresh_token(
        &self,
        old: &SecretHash,
        next: &RefreshTokenRecord,
        now: UnixTime,
        access_expires_at: UnixTime,
    ) -> Result<RotateOutcome, StoreError>;

    /// Stores a successor for a token already rotated within the grace period, without
    /// touching `old`'s state: the retry of a client that lost the first response. Like
    /// `rotate_refresh_token`, MUST return `Lost` (writing nothing) if the grant is revoked,
    /// serialised against a concurrent `revoke_grant`.
    fn add_refresh_token(
        &self,
        next: &RefreshTokenRecord,
        access_expires_at: UnixTime,
    ) -> Result<RotateOutcome, StoreError>;

    /// Marks the grant revoked at `now` (keeping an earlier revocation time) and returns it
    /// as stored afterwards. Idempotent. `Ok(None)` if no such grant. The audit entry is
    /// written with the grant's client and subject (as `user_id`) filled in.
    fn revoke_grant(
        &self,
        id: &GrantId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Option<Grant>, StoreError>;
}

/// Reading a user's grants for operators (the admin API, the CLI). Never writes.
pub trait GrantListing: Send + Sync {
    /// The grant with this id, live or not.
    fn find_grant(&self, id: &GrantId) -> Result<Option<Grant>, StoreError>;

    /// Up to `query.limit` grants of the subject `query.subject` that are live at
    /// `query.now`, in id order (byte order), with ids greater than `query.after`. Live:
    /// not revoked, and holding a refresh token not rotated whose `expires_at` is after
    /// `now` (one that can still be exchanged). Each comes with the latest `expires_at` of
    /// those tokens. Grants without a refresh token are never listed.
    fn list_user_grants(&self, query: &UserGrantQuery) -> Result<Vec<ListedGrant>, StoreError>;
}

/// A page of a subject's live grants, as [`GrantListing::list_user_grants`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserGrantQuery {
    pub subject: String,
    pub now: UnixTime,
    pub after: Option<GrantId>,
    pub limit: usize,
}

/// A live grant and when its refresh token expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedGrant {
    pub grant: Grant,
    /// The latest `expires_at` of its live refresh tokens: after it, the grant can issue
    /// nothing more.
    pub expires_at: UnixTime,
}
