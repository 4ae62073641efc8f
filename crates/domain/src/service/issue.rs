//! The token endpoint's grants (RFC 6749 §4.3, §4.4, §6) and access token minting (RFC 9068).

use std::net::IpAddr;

use super::{TokenService, ID_BYTES, SECRET_BYTES};
use crate::claims::AccessClaims;
use crate::client::{Client, GrantType};
use crate::error::OAuthError;
use crate::grant::{Grant, RefreshTokenRecord, RotateOutcome};
use crate::ids::{GrantId, Jti};
use crate::input::is_name;
use crate::revocation::Revocation;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::time::UnixTime;
use crate::user::User;

/// A parsed token request, after client authentication.
#[derive(Debug)]
pub enum GrantRequest {
    ClientCredentials {
        scope: Option<Scope>,
    },
    Password {
        username: String,
        password: Secret,
        scope: Option<Scope>,
        /// Where the request came from, for throttling failures per address.
        client_address: Option<IpAddr>,
    },
    RefreshToken {
        refresh_token: Secret,
        scope: Option<Scope>,
    },
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: Scope,
    pub refresh_token: Option<Secret>,
}

/// Longest password hashed: argon2 cost grows with input, so a huge one is a DoS lever.
const MAX_PASSWORD_BYTES: usize = 1024;

impl TokenService {
    pub fn issue(
        &self,
        client: &Client,
        request: GrantRequest,
    ) -> Result<IssuedTokens, OAuthError> {
        match request {
            GrantRequest::ClientCredentials { scope } => self.client_credentials(client, scope),
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

    /// RFC 6749 §4.4: confidential clients only, and no refresh token (§4.4.3).
    fn client_credentials(
        &self,
        client: &Client,
        scope: Option<Scope>,
    ) -> Result<IssuedTokens, OAuthError> {
        if client.is_public() || !client.allows(GrantType::ClientCredentials) {
            return Err(OAuthError::UnauthorizedClient);
        }
        let scope = Scope::grant(scope.as_ref(), &client.scope)?;
        let now = self.now();
        let access_token = self.mint_access_token(client, client.id.as_str(), &scope, None, now)?;
        Ok(IssuedTokens {
            access_token,
            expires_in: self.config.access_token_ttl,
            scope,
            refresh_token: None,
        })
    }

    /// RFC 6749 §4.3. A refresh token is issued when the client may use the refresh grant.
    /// Failures are throttled per username and per address (§4.3.2).
    fn password_grant(
        &self,
        client: &Client,
        username: &str,
        password: &Secret,
        scope: Option<Scope>,
        client_address: Option<IpAddr>,
    ) -> Result<IssuedTokens, OAuthError> {
        if !client.allows(GrantType::Password) {
            return Err(OAuthError::UnauthorizedClient);
        }
        let scope = Scope::grant(scope.as_ref(), &client.scope)?;
        let now = self.now();
        if let Some(retry_after) = self.sign_in.retry_after(username, client_address, now) {
            return Err(OAuthError::TooManyAttempts { retry_after });
        }
        let user = match self.verify_password(username, password)? {
            Some(user) => user,
            None => {
                self.sign_in.failed(username, client_address, now);
                return Err(OAuthError::InvalidGrant);
            }
        };
        self.sign_in.succeeded(username);
        if !client.allows(GrantType::RefreshToken) {
            let access_token =
                self.mint_access_token(client, user.id.as_str(), &scope, None, now)?;
            return Ok(IssuedTokens {
                access_token,
                expires_in: self.config.access_token_ttl,
                scope,
                refresh_token: None,
            });
        }
        let grant = Grant {
            id: GrantId::new(self.random_string(ID_BYTES)),
            client_id: client.id.clone(),
            subject: user.id.as_str().to_owned(),
            scope: scope.clone(),
            created_at: now,
            access_expires_at: now.plus_seconds(self.config.access_token_ttl),
            revoked_at: None,
        };
        let (refresh_token, record) = self.new_refresh_token(&grant.id, now);
        // Sign before storing: a signing failure leaves no orphan grant behind.
        let access_token =
            self.mint_access_token(client, &grant.subject, &scope, Some(grant.id.clone()), now)?;
        self.ports.grants.create_grant(&grant, &record)?;
        Ok(IssuedTokens {
            access_token,
            expires_in: self.config.access_token_ttl,
            scope,
            refresh_token: Some(refresh_token),
        })
    }

    /// The user, if `password` is theirs. An unknown username costs the same hash as a
    /// known one, so the response time does not reveal which usernames exist.
    fn verify_password(
        &self,
        username: &str,
        password: &Secret,
    ) -> Result<Option<User>, OAuthError> {
        if password.expose().len() > MAX_PASSWORD_BYTES {
            return Ok(None);
        }
        // A name no user can have (a NUL, which Postgres refuses) is not looked up: it is
        // an unknown user, at the same cost, never an outage.
        let user = if is_name(username) {
            self.ports.users.find_user_by_username(username)?
        } else {
            None
        };
        let verified = match &user {
            Some(user) => self
                .ports
                .passwords
                .verify(password.expose(), &user.password_hash),
            None => self.ports.passwords.hash(password.expose()).map(|_| false),
        }
        .map_err(|e| OAuthError::Unavailable(e.to_string()))?;
        Ok(user.filter(|_| verified))
    }

    /// RFC 6749 §6 with rotation on every use (RFC 9700 §4.14.2).
    fn refresh(
        &self,
        client: &Client,
        presented: &Secret,
        scope: Option<Scope>,
    ) -> Result<IssuedTokens, OAuthError> {
        if !client.allows(GrantType::RefreshToken) {
            return Err(OAuthError::UnauthorizedClient);
        }
        let now = self.now();
        let hash = presented.hash();
        let Some((record, grant)) = self.ports.grants.find_refresh_token(&hash)? else {
            return Err(OAuthError::InvalidGrant);
        };
        // RFC 6749 §6: the refresh token is bound to the client it was issued to.
        if grant.client_id != client.id || grant.is_revoked() || record.expires_at <= now {
            return Err(OAuthError::InvalidGrant);
        }
        // RFC 6749 §6: the new scope MUST NOT include any scope not originally granted.
        let scope = Scope::grant(scope.as_ref(), &grant.scope)?;
        let access_expires_at = now.plus_seconds(self.config.access_token_ttl);
        let (refresh_token, next) = self.new_refresh_token(&grant.id, now);
        let access_token =
            self.mint_access_token(client, &grant.subject, &scope, Some(grant.id.clone()), now)?;

        let since_rotation = record.rotated_at.map(|rotated_at| now.0 - rotated_at.0);
        let outcome = match since_rotation {
            Some(age) if age < self.config.refresh_reuse_grace => self
                .ports
                .grants
                .add_refresh_token(&next, access_expires_at)?,
            Some(age) if age < self.config.refresh_race_window => {
                // Lost a race with a rotation that committed just now (two tabs, a client
                // retrying on a flaky network): refused, but the winner stays signed in.
                return Err(OAuthError::InvalidGrant);
            }
            Some(_) => {
                // RFC 9700 §4.14.2: a rotated refresh token presented again means it leaked;
                // revoke the whole family so neither holder can go on.
                self.revoke_grant(&grant.id, now)?;
                return Err(OAuthError::InvalidGrant);
            }
            None => self
                .ports
                .grants
                .rotate_refresh_token(&hash, &next, now, access_expires_at)?,
        };
        if outcome == RotateOutcome::Lost {
            // A concurrent request with the same token won (exactly one succeeds), or the
            // grant was revoked meanwhile.
            return Err(OAuthError::InvalidGrant);
        }
        Ok(IssuedTokens {
            access_token,
            expires_in: self.config.access_token_ttl,
            scope,
            refresh_token: Some(refresh_token),
        })
    }

    fn new_refresh_token(&self, grant_id: &GrantId, now: UnixTime) -> (Secret, RefreshTokenRecord) {
        let token = Secret::new(self.random_string(SECRET_BYTES));
        let record = RefreshTokenRecord {
            hash: token.hash(),
            grant_id: grant_id.clone(),
            issued_at: now,
            expires_at: now.plus_seconds(self.config.refresh_token_ttl),
            rotated_at: None,
        };
        (token, record)
    }

    fn mint_access_token(
        &self,
        client: &Client,
        subject: &str,
        scope: &Scope,
        gid: Option<GrantId>,
        now: UnixTime,
    ) -> Result<String, OAuthError> {
        let ring = self.key_ring()?;
        let key = ring
            .active()
            .ok_or_else(|| OAuthError::Unavailable("no active signing key".into()))?;
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            sub: subject.to_owned(),
            aud: self.config.audience.clone(),
            exp: now.plus_seconds(self.config.access_token_ttl),
            iat: now,
            jti: Jti::new(self.random_string(ID_BYTES)),
            client_id: client.id.clone(),
            scope: scope.to_string(),
            gid,
        };
        self.ports
            .codec
            .sign(key, &claims)
            .map_err(|e| OAuthError::Unavailable(e.to_string()))
    }

    /// Durably revokes a grant, then denies its access tokens. Shared by revocation of a
    /// refresh token and by reuse detection.
    pub(super) fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> Result<(), OAuthError> {
        let Some(grant) = self.ports.grants.revoke_grant(grant_id, now)? else {
            return Ok(());
        };
        if grant.access_expires_at > now {
            let entry = Revocation::Grant {
                grant_id: grant.id,
                until: grant.access_expires_at,
            };
            self.deny(&[entry], now)?;
        }
        Ok(())
    }
}
