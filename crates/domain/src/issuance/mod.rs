//! The token endpoint's grants (RFC 6749 §4.3, §4.4, §6): grants (refresh-token families),
//! their refresh tokens, and the access tokens issued under them.

mod authorization_code;
mod error;
mod grants;
pub mod model;
pub mod ports;
mod refresh;
mod reissue;
mod request;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::access_token::AccessTokens;
use crate::accounts::Accounts;
use crate::client::Client;
use crate::ids::GrantId;
use crate::kernel::{Core, SECRET_BYTES};
use crate::revocation::Revoker;
use crate::secret::Secret;
use crate::time::UnixTime;
use model::RefreshTokenRecord;

pub use error::TokenError;
pub use request::{GrantRequest, IssuedTokens};

pub struct TokenIssuer {
    core: Arc<Core>,
    access_tokens: Arc<AccessTokens>,
    accounts: Arc<Accounts>,
    /// Reuse of a rotated refresh token revokes its grant.
    revocation: Arc<Revoker>,
}

impl TokenIssuer {
    pub(crate) fn new(
        core: Arc<Core>,
        access_tokens: Arc<AccessTokens>,
        accounts: Arc<Accounts>,
        revocation: Arc<Revoker>,
    ) -> TokenIssuer {
        TokenIssuer {
            core,
            access_tokens,
            accounts,
            revocation,
        }
    }

    /// Answers a token request of an authenticated `client`.
    pub fn issue(
        &self,
        client: &Client,
        request: GrantRequest,
    ) -> Result<IssuedTokens, TokenError> {
        match request {
            GrantRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => self.authorization_code(
                client,
                &code,
                redirect_uri.as_deref(),
                code_verifier.as_ref(),
            ),
            GrantRequest::ClientCredentials { scope } => {
                self.client_credentials(client, scope.as_ref())
            }
            GrantRequest::Password {
                username,
                password,
                scope,
                client_address,
            } => self.password_grant(client, &username, &password, scope, client_address),
            GrantRequest::RefreshToken {
                refresh_token,
                scope,
            } => self.refresh(client, &refresh_token, scope),
        }
    }

    /// [`TokenIssuer::issue`] for a caller that must not wait on the store or on a long
    /// computation (an event loop): `None` when the grant needs either, and the caller then
    /// calls `issue` where it may wait. Only the client_credentials grant of an EdDSA
    /// deployment whose key ring is fresh is answered here; it writes nothing.
    pub fn issue_from_memory(
        &self,
        client: &Client,
        request: &GrantRequest,
    ) -> Option<Result<IssuedTokens, TokenError>> {
        match request {
            GrantRequest::ClientCredentials { scope } => {
                self.client_credentials_from_memory(client, scope.as_ref())
            }
            _ => None,
        }
    }

    fn new_refresh_token(&self, grant_id: &GrantId, now: UnixTime) -> (Secret, RefreshTokenRecord) {
        let token = Secret::new(self.core.random_string(SECRET_BYTES));
        let record = RefreshTokenRecord {
            hash: token.hash(),
            grant_id: grant_id.clone(),
            issued_at: now,
            expires_at: now.plus_seconds(self.core.config.refresh_token_ttl),
            rotated_at: None,
        };
        (token, record)
    }
}
