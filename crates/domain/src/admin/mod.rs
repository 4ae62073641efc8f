//! The admin API's use cases: operators and back offices acting on users and clients.
//!
//! Every operation takes an [`AdminCaller`], which only [`Admin::authorize`] makes, from a
//! live `client_credentials` access token carrying [`ADMIN_SCOPE`]: no operation can run
//! unattributed, and each logs the caller's `client_id` (never the token).

mod audit;
mod caller;
mod client_directory;
mod clients;
mod keys;
mod user_activity;
mod user_directory;
mod user_lifecycle;
mod users;

#[cfg(test)]
mod activity_tests;
#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::access_token::AccessTokens;
use crate::accounts::lifecycle::AccountLifecycle;
use crate::accounts::validation::InvalidUser;
use crate::accounts::Accounts;
use crate::audit::AuditTrail;
use crate::clients::Clients;
use crate::clients::InvalidClient;
use crate::error::{faults_become, AdminError, Fault};
use crate::kernel::Core;
use crate::revocation::Revoker;
use crate::sessions::Sessions;

pub use caller::{AdminCaller, ADMIN_SCOPE};
pub use client_directory::{ClientDraft, ClientView};
pub use keys::KeyView;
pub use user_activity::{GrantView, SessionView};
pub use user_directory::{NewUser, ProfilePatch};
pub use users::UserView;

pub struct Admin {
    core: Arc<Core>,
    access_tokens: Arc<AccessTokens>,
    revocation: Arc<Revoker>,
    accounts: Arc<Accounts>,
    clients: Arc<Clients>,
    /// Revoking a user signs them out everywhere (sessions and logout tokens included).
    sessions: Arc<Sessions>,
    lifecycle: Arc<AccountLifecycle>,
    /// Reading the trail needs only the kernel: the admin API's own handle on it.
    audit: AuditTrail,
}

impl Admin {
    pub(crate) fn new(
        core: Arc<Core>,
        access_tokens: Arc<AccessTokens>,
        revocation: Arc<Revoker>,
        accounts: Arc<Accounts>,
        clients: Arc<Clients>,
        sessions: Arc<Sessions>,
        lifecycle: Arc<AccountLifecycle>,
    ) -> Admin {
        Admin {
            audit: AuditTrail::new(Arc::clone(&core)),
            core,
            access_tokens,
            revocation,
            accounts,
            clients,
            sessions,
            lifecycle,
        }
    }
}

/// Why a bearer may not call the admin API (RFC 6750 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminAuthError {
    /// Not one of our live access tokens, revoked, or not a client's own
    /// (`client_credentials`) token: a person's token never acts as an operator.
    #[error("invalid_token")]
    InvalidToken,
    /// A live client token without [`ADMIN_SCOPE`].
    #[error("insufficient_scope")]
    InsufficientScope,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(AdminAuthError::Unavailable);

/// Why an authorized admin operation did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminOpError {
    /// No such user or client (an id that cannot be one included).
    #[error("not found")]
    NotFound,
    /// The user has no session with this id: unknown, or another user's (never told apart).
    #[error("no such session of the user")]
    NoSuchSession,
    /// The user has no grant with this id: unknown, or another user's (never told apart).
    #[error("no such grant of the user")]
    NoSuchGrant,
    /// A field of the user sent is not acceptable.
    #[error(transparent)]
    InvalidUser(InvalidUser),
    /// A list's `limit` or `after` is not acceptable: the sentence says which.
    #[error("{0}")]
    InvalidQuery(&'static str),
    /// Another user has this username.
    #[error("the username is taken")]
    UsernameTaken,
    /// A field of the client sent is not acceptable.
    #[error(transparent)]
    InvalidClient(InvalidClient),
    /// The operation needs a confidential client (rotating a secret).
    #[error("a public client has no secret")]
    PublicClient,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(AdminOpError::Unavailable);

impl From<AdminError> for AdminOpError {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::Unavailable(fault) => AdminOpError::Unavailable(fault),
            // The lookups and revocations used here refuse no input and create nothing:
            // an id they would call invalid names nothing.
            AdminError::Invalid(_) | AdminError::Conflict(_) => AdminOpError::NotFound,
        }
    }
}
