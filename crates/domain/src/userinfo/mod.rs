//! The UserInfo endpoint's rules (OpenID Connect Core §5.3): who the bearer of a live access
//! token is, in the standard claims its scope releases (§5.4).

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::access_token::AccessTokens;
use crate::error::{faults_become, Fault};
use crate::ids::UserId;
use crate::kernel::Core;
use crate::revocation::Revoker;
use crate::scope::Scope;

/// The scope every UserInfo request needs: the token came from an OpenID request.
pub const OPENID: &str = "openid";

pub struct UserInfo {
    core: Arc<Core>,
    access_tokens: Arc<AccessTokens>,
    revocation: Arc<Revoker>,
}

/// What the UserInfo endpoint answers (OpenID Connect Core §5.3.2): `sub` always, the
/// others when the scope releases them and the user has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserClaims {
    pub sub: String,
    /// `profile` scope.
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    /// `email` scope.
    pub email: Option<String>,
    pub email_verified: Option<bool>,
}

/// Why the bearer gets no claims (RFC 6750 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserInfoError {
    /// Not one of our live access tokens, revoked, or not a user's.
    #[error("invalid_token")]
    InvalidToken,
    /// A live token without the `openid` scope.
    #[error("insufficient_scope")]
    InsufficientScope,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(UserInfoError::Unavailable);

impl UserInfo {
    pub(crate) fn new(
        core: Arc<Core>,
        access_tokens: Arc<AccessTokens>,
        revocation: Arc<Revoker>,
    ) -> UserInfo {
        UserInfo {
            core,
            access_tokens,
            revocation,
        }
    }

    /// The claims of the user `token` was issued for.
    pub fn claims(&self, token: &str) -> Result<UserClaims, UserInfoError> {
        let now = self.core.now();
        let claims = self
            .access_tokens
            .live_claims(token, now)?
            .ok_or(UserInfoError::InvalidToken)?;
        if self.revocation.is_revoked(&claims, now)? {
            return Err(UserInfoError::InvalidToken);
        }
        let scope = Scope::parse(&claims.scope).map_err(|_| UserInfoError::InvalidToken)?;
        if !scope.contains(OPENID) {
            return Err(UserInfoError::InsufficientScope);
        }
        // A client_credentials token's subject is its client: no user, no claims.
        let user = self
            .core
            .ports
            .store
            .find_user_by_id(&UserId::new(claims.sub.as_str()))?
            .ok_or(UserInfoError::InvalidToken)?;
        let profile = scope.contains("profile");
        let email = scope.contains("email") && user.profile.email.is_some();
        Ok(UserClaims {
            sub: user.id.to_string(),
            name: user.profile.name.filter(|_| profile),
            preferred_username: profile.then_some(user.username),
            email: user.profile.email.filter(|_| email),
            email_verified: email.then_some(user.profile.email_verified),
        })
    }
}
