use serde::{Deserialize, Serialize};

/// RFC 9068 §2.1: the `typ` header of every ciam access token.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The claims of a ciam access token (RFC 9068 §2.2), as a resource server reads them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    /// Space-delimited scopes; absent when none were granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The grant (refresh-token family) the token was issued under. Revoking the grant's
    /// refresh token revokes every access token carrying it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
}

impl AccessTokenClaims {
    /// Whether the token carries `scope` (RFC 6749 §3.3: space-delimited, case-sensitive).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|scopes| scopes.split(' ').any(|s| s == scope))
    }
}
