//! What a user does to their own account through an API, with their own access token:
//! change their password, reset a forgotten one by a mailed code, update their profile.
//! docs/accounts.md describes the endpoints.

mod change_password;
mod error;
mod profile;
mod reset_password;

#[cfg(test)]
mod tests;

use std::net::IpAddr;
use std::sync::Arc;

use crate::access_token::AccessTokens;
use crate::accounts::model::User;
use crate::accounts::throttle::SignInThrottle;
use crate::accounts::Accounts;
use crate::audit::{Actor, Initiator};
use crate::clients::Clients;
use crate::ids::{ClientId, GrantId, UserId};
use crate::issuance::TokenIssuer;
use crate::kernel::Core;
use crate::revocation::Revoker;
use crate::scope::Scope;
use crate::sessions::Sessions;

pub use change_password::PasswordChange;

pub use error::{
    ChangePasswordError, ProfileError, ResetPasswordError, ResetRequestError, SelfServiceAuthError,
};
pub use profile::{FieldChange, ProfileChange, PROFILE_WRITE_SCOPE};

pub struct SelfService {
    core: Arc<Core>,
    access_tokens: Arc<AccessTokens>,
    revocation: Arc<Revoker>,
    accounts: Arc<Accounts>,
    sessions: Arc<Sessions>,
    clients: Arc<Clients>,
    tokens: Arc<TokenIssuer>,
    /// Reset requests, counted per username and per address (each one a "failure").
    reset_requests: SignInThrottle,
}

/// A user acting on their own account, proven by one of their live access tokens. Only
/// [`SelfService::caller`] makes one.
#[derive(Debug, Clone)]
pub struct UserCaller {
    user: User,
    client_id: ClientId,
    scope: Scope,
    gid: Option<GrantId>,
    /// The user, from the request's address: who the audit trail says acted.
    initiator: Initiator,
}

impl UserCaller {
    pub fn initiator(&self) -> &Initiator {
        &self.initiator
    }

    pub fn user_id(&self) -> &UserId {
        &self.user.id
    }

    /// The client the token was issued to: what the logs attribute the change to.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }
}

impl SelfService {
    pub(crate) fn new(
        core: Arc<Core>,
        access_tokens: Arc<AccessTokens>,
        revocation: Arc<Revoker>,
        accounts: Arc<Accounts>,
        sessions: Arc<Sessions>,
        clients: Arc<Clients>,
        tokens: Arc<TokenIssuer>,
    ) -> SelfService {
        let reset_requests = SignInThrottle::new(core.config.password_reset_throttle);
        SelfService {
            core,
            access_tokens,
            revocation,
            accounts,
            sessions,
            clients,
            tokens,
            reset_requests,
        }
    }

    /// The user `token` proves: one of our access tokens, live and not revoked (the check
    /// of UserInfo), issued to a client for a user that exists, never a client's own
    /// `client_credentials` token; with `required_scope` when one is given. `address` is the
    /// request's, for the audit trail.
    pub fn caller(
        &self,
        token: &str,
        required_scope: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<UserCaller, SelfServiceAuthError> {
        let now = self.core.now();
        let claims = self
            .access_tokens
            .live_claims(token, now)?
            .ok_or(SelfServiceAuthError::InvalidToken)?;
        if self.revocation.is_revoked(&claims, now)? {
            return Err(SelfServiceAuthError::InvalidToken);
        }
        // A client_credentials token's subject is its client: it acts for no user.
        if claims.sub == claims.client_id.as_str() {
            return Err(SelfServiceAuthError::InvalidToken);
        }
        let scope = Scope::parse(&claims.scope).map_err(|_| SelfServiceAuthError::InvalidToken)?;
        if required_scope.is_some_and(|required| !scope.contains(required)) {
            return Err(SelfServiceAuthError::InsufficientScope);
        }
        let user = self
            .core
            .ports
            .store
            .find_user_by_id(&UserId::new(claims.sub.as_str()))?
            .ok_or(SelfServiceAuthError::InvalidToken)?;
        Ok(UserCaller {
            initiator: Initiator::new(Actor::User(user.id.clone()), address),
            user,
            client_id: claims.client_id,
            scope,
            gid: claims.gid,
        })
    }
}
