//! ciam's domain: the token model, the revocation rules and the ports they need.
//!
//! Nothing here performs I/O. Everything outside (storage, the denylist, signing,
//! password hashing, clocks, randomness) is reached through the traits in [`ports`],
//! which the adapter crates implement. docs/architecture.md explains the hexagon.

pub mod claims;
pub mod client;
pub mod error;
pub mod grant;
pub mod ids;
pub mod input;
pub mod keys;
pub mod ports;
pub mod redact;
pub mod revocation;
pub mod scope;
pub mod secret;
pub mod service;
pub mod throttle;
pub mod time;
pub mod user;

/// In-memory fakes of every port: the domain's unit tests run on them, and the store's
/// contract suite checks the fake store like the real ones (feature `testing`).
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use claims::AccessClaims;
pub use client::{Client, GrantType};
pub use error::{CodecError, DenylistError, OAuthError, StoreError};
pub use grant::{Grant, RefreshTokenRecord, RotateOutcome};
pub use ids::{ClientId, GrantId, Jti, Kid, UserId};
pub use keys::{KeyRing, PublicJwk, SigningKey};
pub use revocation::Revocation;
pub use scope::Scope;
pub use secret::{Secret, SecretHash};
pub use service::{
    ClientCredentials, GrantRequest, Introspection, IssuedTokens, NewClient, Ports, ServiceConfig,
    TokenService, TokenTypeHint,
};
pub use time::UnixTime;
pub use user::User;
