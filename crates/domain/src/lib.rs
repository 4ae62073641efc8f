//! ciam's domain: the token model, the revocation rules and the ports they need.
//!
//! Nothing here performs I/O. Everything outside (storage, the denylist, signing,
//! password hashing, clocks, randomness) is reached through the traits in [`ports`],
//! which the adapter crates implement. docs/architecture.md explains the hexagon.
//!
//! Each context has a folder of its own, holding its model, its ports, its service and
//! its tests: [`clients`], [`accounts`], [`sessions`], [`authorization`], [`access_token`],
//! [`issuance`], [`revocation`], [`introspection`], [`userinfo`], [`admin`],
//! [`self_service`]. They stand on
//! a shared kernel (the ports, the configuration, the clock and randomness) and are built
//! together as [`Services`].

pub mod access_token;
pub mod accounts;
pub mod admin;
pub mod audit;
pub mod authorization;
pub mod clients;
pub mod error;
#[cfg(test)]
mod from_memory_tests;
pub mod ids;
pub mod input;
pub mod introspection;
pub mod issuance;
mod kernel;
pub mod paging;
pub mod ports;
pub mod redact;
pub mod revocation;
pub mod scope;
pub mod secret;
pub mod self_service;
pub mod services;
pub mod sessions;
pub mod time;
pub mod userinfo;

/// In-memory fakes of every port: the domain's unit tests run on them, and the store's
/// contract suite checks the fake store like the real ones (feature `testing`).
#[cfg(any(test, feature = "testing"))]
pub mod testing;

// The models under the names the adapters know them by.
pub use access_token::{claims, keys};
pub use accounts::{model as user, throttle};
pub use clients::model as client;
pub use issuance::model as grant;

pub use access_token::alg::{SigningAlg, UnsupportedAlg};
pub use access_token::at_hash::at_hash;
pub use access_token::AccessTokens;
pub use accounts::lifecycle::AccountLifecycle;
pub use accounts::listing::{UserPage, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use accounts::mail::{MailError, MailMessage};
pub use accounts::password_policy::{
    PasswordCheckError, PasswordPolicy, PasswordRejected, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS,
};
pub use accounts::validation::InvalidUser;
pub use accounts::{Accounts, ListUsersError, SignInError};
pub use admin::{
    Admin, AdminAuthError, AdminCaller, AdminOpError, ClientDraft, ClientView, GrantView, KeyView,
    NewUser, ProfilePatch, SessionView, UserView, ADMIN_SCOPE,
};
pub use audit::{
    Actor, AuditAction, AuditEvent, AuditFilter, AuditPage, AuditQuery, AuditRecord, AuditTrail,
    Initiator, ListAuditError, Outcome,
};
pub use authorization::{AuthorizeError, Authorizer, Decision, Refusal, UntrustedRequest};
pub use claims::{AccessClaims, IdTokenClaims, LogoutTokenClaims};
pub use client::{Client, GrantType, Redirects};
pub use clients::{
    AuthError, ClientChangeError, ClientCredentials, ClientPage, Clients, InvalidClient,
    ListClientsError, NewClient,
};
pub use error::{AdminError, Cause, Chain, CodecError, DenylistError, Fault, StoreError};
pub use grant::{Grant, RefreshTokenRecord, RotateOutcome};
pub use ids::{ClientId, GrantId, Jti, Kid, SessionId, UserId};
pub use introspection::{IntrospectError, Introspection, Introspector};
pub use issuance::{GrantRequest, IssuedTokens, TokenError, TokenIssuer};
pub use kernel::{Ports, ServiceConfig};
pub use keys::{KeyRing, PublicJwk, SigningKey};
pub use revocation::{
    Completion, Cutoff, CutoffKind, Fence, Freshness, Lead, PendingRevocation, Revocation,
    RevokeError, Revoker, TokenRef, TokenTypeHint,
};
pub use scope::{InvalidScope, Scope};
pub use secret::{Secret, SecretHash};
pub use self_service::{
    ChangePasswordError, FieldChange, PasswordChange, ProfileChange, ProfileError,
    ResetPasswordError, ResetRequestError, SelfService, SelfServiceAuthError, UserCaller,
    PROFILE_WRITE_SCOPE,
};
pub use services::{Readiness, Services};
pub use sessions::Sessions;
pub use time::UnixTime;
pub use user::{PasswordReset, Profile, User, UserQuery};
pub use userinfo::{UserClaims, UserInfo, UserInfoError};
