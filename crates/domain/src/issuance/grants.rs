//! The client credentials grant (RFC 6749 §4.4) and the resource owner password
//! credentials grant (§4.3).

use std::net::IpAddr;

use super::{IssuedTokens, TokenError, TokenIssuer};
use crate::accounts::SignInError;
use crate::audit::{Actor, AuditAction, AuditEvent};
use crate::client::{Client, GrantType};
use crate::error::Fault;
use crate::ids::GrantId;
use crate::issuance::model::Grant;
use crate::kernel::ID_BYTES;
use crate::scope::Scope;
use crate::secret::Secret;

/// The scope a client_credentials grant gets, if the client may use the grant.
fn client_credentials_scope(client: &Client, scope: Option<&Scope>) -> Result<Scope, TokenError> {
    if client.is_public() || !client.allows(GrantType::ClientCredentials) {
        return Err(TokenError::UnauthorizedClient);
    }
    Ok(Scope::grant(scope, &client.scope)?)
}

impl TokenIssuer {
    /// RFC 6749 §4.4: confidential clients only, and no refresh token (§4.4.3).
    pub(super) fn client_credentials(
        &self,
        client: &Client,
        scope: Option<&Scope>,
    ) -> Result<IssuedTokens, TokenError> {
        let scope = client_credentials_scope(client, scope)?;
        let now = self.client_credentials_time(client);
        let access_token =
            self.access_tokens
                .mint(client, client.id.as_str(), &scope, None, now)?;
        Ok(self.client_credentials_tokens(access_token, scope))
    }

    /// [`TokenIssuer::client_credentials`] from memory alone (see
    /// [`TokenIssuer::issue_from_memory`]).
    pub(super) fn client_credentials_from_memory(
        &self,
        client: &Client,
        scope: Option<&Scope>,
    ) -> Option<Result<IssuedTokens, TokenError>> {
        let scope = match client_credentials_scope(client, scope) {
            Ok(scope) => scope,
            Err(refused) => return Some(Err(refused)),
        };
        let now = self.client_credentials_time(client);
        let minted =
            self.access_tokens
                .mint_from_memory(client, client.id.as_str(), &scope, now)?;
        Some(
            minted
                .map(|token| self.client_credentials_tokens(token, scope))
                .map_err(TokenError::from),
        )
    }

    fn client_credentials_time(&self, client: &Client) -> crate::time::UnixTime {
        self.access_tokens
            .issue_time(client.id.as_str(), &client.id, self.core.now())
    }

    fn client_credentials_tokens(&self, access_token: String, scope: Scope) -> IssuedTokens {
        IssuedTokens {
            access_token,
            expires_in: self.core.config.access_token_ttl,
            scope,
            refresh_token: None,
            id_token: None,
        }
    }

    /// RFC 6749 §4.3. A refresh token is issued when the client may use the refresh grant.
    /// Failures are throttled per username and per address (§4.3.2).
    pub(super) fn password_grant(
        &self,
        client: &Client,
        username: &str,
        password: &Secret,
        scope: Option<Scope>,
        client_address: Option<IpAddr>,
    ) -> Result<IssuedTokens, TokenError> {
        if !client.allows(GrantType::Password) {
            return Err(TokenError::UnauthorizedClient);
        }
        let scope = Scope::grant(scope.as_ref(), &client.scope)?;
        let user = self
            .accounts
            .sign_in(username, password, client_address)
            .map_err(|error| match error {
                SignInError::WrongCredentials => TokenError::InvalidGrant,
                SignInError::TooManyAttempts { retry_after } => {
                    TokenError::TooManyAttempts { retry_after }
                }
                SignInError::Unavailable(fault) => TokenError::Unavailable(fault),
            })?;
        // The proof of the password is what is recorded, before any token exists: an entry
        // whose tokens were then lost to an outage still tells a true story.
        let signed_in = AuditEvent::new(
            self.core.now(),
            Actor::User(user.id.clone()),
            AuditAction::SignInSucceeded,
        )
        .user(&user.id)
        .client(&client.id)
        .from_address(client_address);
        self.core
            .ports
            .store
            .append_audit(&signed_in)
            .map_err(Fault::from)?;
        self.learn_recent_cutoff(&user.id)?;
        let now = self
            .access_tokens
            .issue_time(user.id.as_str(), &client.id, self.core.now());
        if !client.allows(GrantType::RefreshToken) {
            let access_token =
                self.access_tokens
                    .mint(client, user.id.as_str(), &scope, None, now)?;
            // No grant records this token, so nothing else would refuse it if the user was
            // disabled since the password was checked (`may_still_sign_in`).
            if !self.may_still_sign_in(&user.id)? {
                return Err(TokenError::InvalidGrant);
            }
            return Ok(IssuedTokens {
                access_token,
                expires_in: self.core.config.access_token_ttl,
                scope,
                refresh_token: None,
                id_token: None,
            });
        }
        let grant = Grant {
            id: GrantId::new(self.core.random_string(ID_BYTES)),
            client_id: client.id.clone(),
            subject: user.id.as_str().to_owned(),
            scope: scope.clone(),
            created_at: now,
            access_expires_at: now.plus_seconds(self.core.config.access_token_ttl),
            revoked_at: None,
            session_id: None,
        };
        let (refresh_token, record) = self.new_refresh_token(&grant.id, now);
        // Sign before storing: a signing failure leaves no orphan grant behind.
        let access_token =
            self.access_tokens
                .mint(client, &grant.subject, &scope, Some(grant.id.clone()), now)?;
        // Stored revoked: the user was disabled (or cut off) since the password was checked.
        if !self.core.ports.store.create_grant(&grant, &record)? {
            return Err(TokenError::InvalidGrant);
        }
        Ok(IssuedTokens {
            access_token,
            expires_in: self.core.config.access_token_ttl,
            scope,
            refresh_token: Some(refresh_token),
            id_token: None,
        })
    }
}
