//! The ports: what the domain needs from the outside world. Adapters implement them;
//! each trait's docs are the contract every adapter MUST honour, and the contract test
//! suites in the adapter crates check it.

use crate::claims::AccessClaims;
use crate::client::Client;
use crate::error::{CodecError, DenylistError, StoreError};
use crate::grant::{Grant, RefreshTokenRecord, RotateOutcome};
use crate::ids::{ClientId, GrantId, Jti, Kid};
use crate::keys::{KeyRing, SigningKey};
use crate::revocation::Revocation;
use crate::secret::SecretHash;
use crate::time::UnixTime;
use crate::user::User;

pub trait ClientStore: Send + Sync {
    /// MUST return `Ok(None)` only when the client does not exist, never on an outage.
    fn find_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;
    /// MUST fail with `Duplicate` if the id exists.
    fn insert_client(&self, client: &Client) -> Result<(), StoreError>;
    fn list_clients(&self) -> Result<Vec<Client>, StoreError>;
    /// In one transaction: marks every grant of the client revoked at `now`, deletes its
    /// refresh tokens and the client. Returns the denylist entries the revoked grants need
    /// (those with access tokens still alive), or `None` if there was no such client.
    fn delete_client(
        &self,
        id: &ClientId,
        now: UnixTime,
    ) -> Result<Option<Vec<Revocation>>, StoreError>;
}

pub trait UserStore: Send + Sync {
    fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// MUST fail with `Duplicate` if the username is taken.
    fn insert_user(&self, user: &User) -> Result<(), StoreError>;
}

pub trait GrantStore: Send + Sync {
    /// Stores a new grant with its first refresh token, atomically.
    fn create_grant(&self, grant: &Grant, first: &RefreshTokenRecord) -> Result<(), StoreError>;

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
    /// as stored afterwards. Idempotent. `Ok(None)` if no such grant.
    fn revoke_grant(&self, id: &GrantId, now: UnixTime) -> Result<Option<Grant>, StoreError>;
}

pub trait RevocationStore: Send + Sync {
    /// Durably records that the access token `jti` of `client_id` is revoked until `until`.
    /// Idempotent: revoking a revoked token succeeds and changes nothing.
    fn revoke_access_token(
        &self,
        jti: &Jti,
        client_id: &ClientId,
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Whether `jti`, or the grant `grant_id`, is durably revoked. The source of truth when
    /// the denylist cannot answer.
    fn is_revoked(&self, jti: &Jti, grant_id: Option<&GrantId>) -> Result<bool, StoreError>;

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
    /// Nothing else: never clients, users or signing keys. So for any `now` at or after
    /// `cutoff`, `live_revocations(now)` and `is_revoked` of live tokens answer as before.
    /// A grant that gains a refresh token or a later `access_expires_at` concurrently MUST
    /// survive.
    fn prune_expired(&self, cutoff: UnixTime, batch: usize) -> Result<usize, StoreError>;

    /// Cheap round trip for readiness checks.
    fn ping(&self) -> Result<(), StoreError>;
}

pub trait KeyStore: Send + Sync {
    fn list_keys(&self) -> Result<Vec<SigningKey>, StoreError>;
    /// Stores `key` and, in the same transaction, retires every other active key at `now`.
    fn add_key_retiring_others(&self, key: &SigningKey, now: UnixTime) -> Result<(), StoreError>;
}

/// The fast revocation check resource servers share. A cache of `RevocationStore`:
/// anything it holds can be rebuilt from `live_revocations`.
pub trait Denylist: Send + Sync {
    /// MUST make every entry visible to `is_denied` before returning `Ok`, and keep it
    /// at least until its `until`.
    fn deny(&self, entries: &[Revocation], now: UnixTime) -> Result<(), DenylistError>;

    /// Whether the token `jti`, or its grant, is denied. MUST return `Err`, never `Ok(false)`,
    /// when it cannot tell.
    fn is_denied(
        &self,
        jti: &Jti,
        grant_id: Option<&GrantId>,
        now: UnixTime,
    ) -> Result<bool, DenylistError>;

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

/// Signs and decodes JWT access tokens (RFC 9068) with keys from the key ring.
pub trait AccessTokenCodec: Send + Sync {
    /// A new key pair with this `kid`.
    fn generate_key(&self, kid: Kid, now: UnixTime) -> Result<SigningKey, CodecError>;

    /// A JWT with header `typ: at+jwt`, `alg` of the key and its `kid`.
    fn sign(&self, key: &SigningKey, claims: &AccessClaims) -> Result<String, CodecError>;

    /// Checks the header (`typ: at+jwt`, an asymmetric `alg` matching the key, a `kid` in the
    /// ring) and the signature, and returns the claims. Time and issuer rules are the
    /// domain's, not the codec's.
    fn decode(&self, token: &str, keys: &KeyRing) -> Result<AccessClaims, CodecError>;
}

/// Password hashing for resource owners (argon2id). Each call costs much memory and CPU:
/// adapters MUST bound how many run at once, and answer `Err(CodecError::Saturated)` to a
/// call that cannot get a turn in reasonable time rather than queue without limit.
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: &str) -> Result<String, CodecError>;
    /// Constant-time with respect to the password. `Ok(false)` for a malformed hash.
    fn verify(&self, password: &str, hash: &str) -> Result<bool, CodecError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> UnixTime;
}

/// A cryptographically secure random source.
pub trait Random: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}
