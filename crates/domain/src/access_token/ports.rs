//! What access tokens need: the key store and the JWT codec.

use crate::access_token::claims::AccessClaims;
use crate::access_token::keys::{KeyRing, SigningKey};
use crate::error::{CodecError, StoreError};
use crate::ids::Kid;
use crate::time::UnixTime;

pub trait KeyStore: Send + Sync {
    fn list_keys(&self) -> Result<Vec<SigningKey>, StoreError>;
    /// Stores `key` and, in the same transaction, retires every other active key at `now`.
    fn add_key_retiring_others(&self, key: &SigningKey, now: UnixTime) -> Result<(), StoreError>;
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
