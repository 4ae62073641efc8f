//! What access tokens need: the key store and the JWT codec.

use crate::access_token::alg::SigningAlg;
use crate::access_token::claims::{AccessClaims, IdTokenClaims, LogoutTokenClaims};
use crate::access_token::keys::{KeyRing, SigningKey};
use crate::audit::AuditEvent;
use crate::error::{CodecError, StoreError};
use crate::ids::Kid;
use crate::time::UnixTime;

pub trait KeyStore: Send + Sync {
    fn list_keys(&self) -> Result<Vec<SigningKey>, StoreError>;
    /// Stores `key` and, in the same transaction, retires at `now` every other active key of
    /// the same algorithm. Keys of other algorithms MUST stay as they are: each algorithm
    /// has its own active key. A `kid` already stored MUST be `Duplicate`, retiring nothing.
    fn add_key_retiring_others(
        &self,
        key: &SigningKey,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

/// Signs and decodes JWT access tokens (RFC 9068), and signs ID tokens, with keys from the
/// key ring.
pub trait AccessTokenCodec: Send + Sync {
    /// A new key pair of `alg` with this `kid`: Ed25519 for EdDSA (RFC 8037), RSA of at
    /// least 2048 bits for RS256 (RFC 7518 §3.3). Its public JWK carries `alg`, `kid` and
    /// `use: sig`. RSA generation is slow (up to about a second): call it at rotation only.
    fn generate_key(
        &self,
        kid: Kid,
        alg: SigningAlg,
        now: UnixTime,
    ) -> Result<SigningKey, CodecError>;

    /// A JWT with header `typ: at+jwt`, the key's `alg` and its `kid`.
    fn sign(&self, key: &SigningKey, claims: &AccessClaims) -> Result<String, CodecError>;

    /// An ID token: a JWT with header `typ: JWT`, the key's `alg` and its `kid`
    /// (OpenID Connect Core 1.0 §2).
    fn sign_id_token(&self, key: &SigningKey, claims: &IdTokenClaims)
        -> Result<String, CodecError>;

    /// A logout token: a JWT with header `typ: logout+jwt` (Back-Channel Logout 1.0 §2.4).
    fn sign_logout_token(
        &self,
        key: &SigningKey,
        claims: &LogoutTokenClaims,
    ) -> Result<String, CodecError>;

    /// Checks the header (`typ: at+jwt`, an `alg` equal to the algorithm of the key its
    /// `kid` names in the ring, never `none` or an HMAC) and the signature, and returns the
    /// claims. Time and issuer rules are the domain's, not the codec's.
    fn decode(&self, token: &str, keys: &KeyRing) -> Result<AccessClaims, CodecError>;

    /// The same checks for one of our ID tokens (header `typ: JWT`): its claims. Used to
    /// read an `id_token_hint`, which may have expired (RP-Initiated Logout 1.0 §2).
    fn decode_id_token(&self, token: &str, keys: &KeyRing) -> Result<IdTokenClaims, CodecError>;
}
