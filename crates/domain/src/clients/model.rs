use std::fmt;
use std::str::FromStr;

use crate::ids::ClientId;
use crate::scope::Scope;
use crate::secret::SecretHash;
use crate::time::UnixTime;

/// The grant types a client may be allowed (RFC 6749 §4, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    ClientCredentials,
    Password,
    RefreshToken,
}

impl GrantType {
    pub const ALL: [GrantType; 3] = [
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::RefreshToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
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
#[error("unknown grant type (expected client_credentials, password or refresh_token)")]
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
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}
