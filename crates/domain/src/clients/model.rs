use std::fmt;
use std::str::FromStr;

use crate::ids::ClientId;
use crate::scope::Scope;
use crate::secret::SecretHash;
use crate::time::UnixTime;

/// The grant types a client may be allowed (RFC 6749 §4, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    Password,
    RefreshToken,
}

impl GrantType {
    pub const ALL: [GrantType; 4] = [
        GrantType::AuthorizationCode,
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::RefreshToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::RefreshToken => "refresh_token",
        }
    }
}

impl FromStr for GrantType {
    type Err = UnknownGrantType;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        GrantType::ALL
            .into_iter()
            .find(|grant| grant.as_str() == value)
            .ok_or(UnknownGrantType)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown grant type (expected authorization_code, client_credentials, password or refresh_token)"
)]
pub struct UnknownGrantType;

/// A registered OAuth client. A client without a secret is public (RFC 6749 §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub secret_hash: Option<SecretHash>,
    pub grant_types: Vec<GrantType>,
    pub scope: Scope,
    pub created_at: UnixTime,
    pub redirects: Redirects,
}

/// Where a browser may be sent back to the client: registered in full and matched exactly
/// (RFC 6749 §3.1.2, RFC 9700 §4.1.1), so ciam is never an open redirector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redirects {
    /// After authorization (RFC 6749 §3.1.2).
    pub redirect_uris: Vec<String>,
    /// After logout (OpenID Connect RP-Initiated Logout 1.0 §3).
    pub post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted (OpenID Connect Back-Channel Logout 1.0 §2.2).
    pub backchannel_logout_uri: Option<String>,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether `uri` is one of the client's redirect URIs: an exact match, except that a
    /// loopback redirect may use any port (RFC 8252 §7.3).
    pub fn redirects_to(&self, uri: &str) -> bool {
        self.redirects
            .redirect_uris
            .iter()
            .any(|registered| super::redirect_uri::matches(registered, uri))
    }
}
