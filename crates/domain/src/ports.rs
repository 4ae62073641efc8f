//! The ports: what the domain needs from the outside world. Adapters implement them;
//! each trait's docs are the contract every adapter MUST honour, and the contract test
//! suites in the adapter crates check it.
//!
//! Each port lives in the context that needs it (`clients/ports.rs`, `revocation/ports.rs`,
//! ...); this module gathers them for adapters, and defines the two every context uses.

use crate::time::UnixTime;

pub use crate::access_token::ports::{AccessTokenCodec, KeyStore};
pub use crate::accounts::mail::Mailer;
pub use crate::accounts::ports::{PasswordHasher, PasswordStore, UserStore};
pub use crate::authorization::ports::CodeStore;
pub use crate::clients::ports::ClientStore;
pub use crate::issuance::ports::{GrantListing, GrantStore, ListedGrant, UserGrantQuery};
pub use crate::revocation::ports::{BulkRevocationStore, BulkRevoked, Denylist, RevocationStore};
pub use crate::sessions::ports::{
    ListedSession, LogoutDelivery, LogoutNotifier, SessionListing, SessionStore, UserSessionQuery,
};

/// Every store port, implemented by one value (the diesel store, the fake): what `Ports`
/// holds and what the store contract suite is written against. A new store port is added
/// to this list, implemented by the adapters, and reaches every use case through
/// `Ports::store` without further wiring.
pub trait Store:
    ClientStore
    + UserStore
    + PasswordStore
    + GrantStore
    + RevocationStore
    + BulkRevocationStore
    + KeyStore
    + SessionStore
    + SessionListing
    + CodeStore
    + GrantListing
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ClientStore
        + UserStore
        + PasswordStore
        + GrantStore
        + RevocationStore
        + BulkRevocationStore
        + KeyStore
        + SessionStore
        + SessionListing
        + CodeStore
        + GrantListing
        + Send
        + Sync
        + 'static
{
}

pub trait Clock: Send + Sync {
    fn now(&self) -> UnixTime;
}

/// A cryptographically secure random source.
pub trait Random: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}
