//! What the token endpoint asks for, and what it answers (RFC 6749 §4, §5.1).

use std::net::IpAddr;

use crate::scope::Scope;
use crate::secret::Secret;

/// A parsed token request, after client authentication.
#[derive(Debug)]
pub enum GrantRequest {
    /// RFC 6749 §4.1.3, with the PKCE verifier (RFC 7636 §4.5).
    AuthorizationCode {
        code: Secret,
        redirect_uri: Option<String>,
        code_verifier: Option<Secret>,
    },
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
    /// OpenID Connect Core §3.1.3.3: when `openid` was granted by an authorization code.
    pub id_token: Option<String>,
}
