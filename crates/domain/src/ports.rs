//! The ports: what the domain needs from the outside world. Adapters implement them;
//! each trait's docs are the contract every adapter MUST honour, and the contract test
//! suites in the adapter crates check it.
//!
//! Each port lives in the context that needs it (`clients/ports.rs`, `revocation/ports.rs`,
//! ...); this module gathers them for adapters, and defines the two every context uses.
//!
//! The audit rule, for every store method that takes an [`AuditEvent`]: the adapter MUST
//! write the event in the same transaction as the change, so that it commits exactly when
//! the change does; when the method finds no such target (it answers `None`, `false` or
//! "nothing"), it writes neither. A repeat of an idempotent change is recorded again.

use crate::time::UnixTime;

pub use crate::audit::ports::AuditLog;
pub use crate::audit::AuditEvent;

pub use crate::access_token::ports::{AccessTokenCodec, KeyStore};
pub use crate::accounts::mail::Mailer;
pub use crate::accounts::ports::{PasswordHasher, PasswordStore, UserStore};
pub use crate::authorization::ports::CodeStore;
pub use crate::clients::ports::{ClientAdminStore, ClientStore};
pub use crate::issuance::ports::{GrantListing, GrantStore, ListedGrant, UserGrantQuery};
pub use crate::revocation::ports::{
    AccessTokenRevocation, BulkRevocationStore, BulkRevoked, Denylist, RevocationStore,
};
pub use crate::sessions::ports::{
    ListedSession, LogoutDelivery, LogoutNotifier, SessionListing, SessionStore, UserSessionQuery,
};

/// Every store port, implemented by one value (the diesel store, the fake): what `Ports`
/// holds and what the store contract suite is written against. A new store port is added
/// to this list, implemented by the adapters, and reaches every use case through
/// `Ports::store` without further wiring.
pub trait Store:
    ClientStore
    + ClientAdminStore
    + UserStore
    + PasswordStore
    + GrantStore
    + RevocationStore
    + BulkRevocationStore
    + KeyStore
    + SessionStore
    + SessionListing
    + CodeStore
    + AuditLog
    + GrantListing
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ClientStore
        + ClientAdminStore
        + UserStore
        + PasswordStore
        + GrantStore
        + RevocationStore
        + BulkRevocationStore
        + KeyStore
        + SessionStore
        + SessionListing
        + CodeStore
        + AuditLog
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
