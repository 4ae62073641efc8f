//! What the authorization code flow needs from the store.

use crate::authorization::model::{AuthorizationCode, Redemption};
use crate::error::StoreError;
use crate::issuance::model::{Grant, RefreshTokenRecord};
use crate::secret::SecretHash;
use crate::time::UnixTime;

pub trait CodeStore: Send + Sync {
    /// MUST fail with `Duplicate` if the hash exists.
    fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError>;

    fn find_code(&self, hash: &SecretHash) -> Result<Option<AuthorizationCode>, StoreError>;

    /// Exchanges the code, in one transaction: if it is unused, marks it used at `now` with
    /// `grant.id`, and stores `grant` and its `first` refresh token; if it was used, writes
    /// nothing and returns `Replayed` with the grant of the first exchange. Of concurrent
    /// calls for one code exactly one returns `Redeemed` (RFC 6749 §4.1.2: single use).
    fn redeem_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        grant: &Grant,
        first: Option<&RefreshTokenRecord>,
    ) -> Result<Redemption, StoreError>;
}
