//! The resource-server SDK of ciam: is this access token one ciam issued, for me, still
//! valid, and not revoked?
//!
//! A [`Verifier`] checks, in this order: the JWS header (`alg` one of the asymmetric
//! algorithms allowed and the one the key is for, never `none` or `HS*`; `typ` `at+jwt`,
//! RFC 9068 §4), the signature against the issuer's JWKS (discovered from
//! `{issuer}/.well-known/openid-configuration`, cached, refetched when an unknown `kid`
//! appears, at most once per [`VerifierConfig::jwks_refetch_floor`]), `iss`, `aud`, `exp`
//! and `nbf` (with [`VerifierConfig::leeway`]), then revocation, in one of the
//! [`DenylistConfig`] modes: one Redis round trip per check, a synced in-memory copy of the
//! Redis denylist, or RFC 7662 introspection. The Redis modes read contract v2 by default
//! (revoked `jti`s and grants, and subject and client cut-offs compared with `iat`). The
//! answer is the token's [`AccessTokenClaims`] or a [`Rejection`] saying why not.
//!
//! ```no_run
//! use ciam_resource::{DenylistConfig, SyncedConfig, Verifier, VerifierConfig};
//!
//! let verifier = Verifier::new(VerifierConfig::new(
//!     "http://127.0.0.1:8080",
//!     "http://127.0.0.1:8080",
//!     DenylistConfig::Synced(SyncedConfig::new("redis://127.0.0.1:6379")),
//! ))?;
//! verifier.wait_ready(std::time::Duration::from_secs(5))?;
//! # let token = "";
//! match verifier.verify(token) {
//!     Ok(claims) => println!("{} may {:?}", claims.sub, claims.scope),
//!     Err(rejection) => println!("refused: {rejection}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With the `actix` feature (on by default), [`actix::Authenticated`] is an extractor that
//! does the same for a handler and answers RFC 6750 errors. docs/resource-servers.md is the
//! guide.

#[cfg(feature = "actix")]
pub mod actix;
mod config;
mod denylist;
mod http;
mod jwks;
mod rejection;
mod throttle;
mod token;
mod verifier;

pub use ciam_contract::{
    AccessTokenClaims, ContractVersion, DenylistKeys, EventKind, RevocationEvent,
};
pub use config::{
    ConfigError, DenylistConfig, IntrospectionConfig, RedisConfig, SyncedConfig, VerifierConfig,
};
pub use denylist::RevocationSet;
pub use jsonwebtoken::jwk::JwkSet;
pub use jsonwebtoken::Algorithm;
pub use rejection::Rejection;
pub use verifier::Verifier;
