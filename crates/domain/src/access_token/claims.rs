use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, GrantId, Jti};
use crate::time::UnixTime;

/// The claims of a JWT access token (RFC 9068 §2.2). The header carries `typ: at+jwt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: UnixTime,
    pub iat: UnixTime,
    pub jti: Jti,
    pub client_id: ClientId,
    /// Space-delimited (RFC 9068 §2.2.3); omitted when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The grant (refresh-token family) this token was issued under, if any: revoking
    /// the grant's refresh token revokes every access token carrying it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<GrantId>,
}
