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

/// The claims of an ID token (OpenID Connect Core 1.0 §2). Signed with `typ: JWT`, with the
/// key of the configured ID-token algorithm (RS256 by default, §15.1). Optional claims are
/// left out when absent, never sent as `null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    /// The end-user, unique within the issuer and never reassigned (§2).
    pub sub: String,
    /// The client's `client_id` (§2: it MUST contain it).
    pub aud: String,
    pub exp: UnixTime,
    pub iat: UnixTime,
    /// When the end-user authenticated: REQUIRED when the request had `max_age` (§2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<UnixTime>,
    /// The request's `nonce`, unchanged: REQUIRED when the request had one (§2, §3.1.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// [`at_hash`](super::at_hash::at_hash) of the access token issued with it (§3.1.3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// The session id, for logout (Front-/Back-Channel Logout 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// The `events` member of a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The claims of a logout token (Back-Channel Logout 1.0 §2.4): who was signed out of which
/// session, for one client. It MUST NOT contain a `nonce`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutTokenClaims {
    pub iss: String,
    pub aud: String,
    pub iat: UnixTime,
    pub exp: UnixTime,
    pub jti: Jti,
    pub sub: String,
    /// The session ended; absent when every session of `sub` ended at once (§2.4: a logout
    /// token MUST contain a `sub`, a `sid`, or both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `{"http://schemas.openid.net/event/backchannel-logout": {}}`.
    pub events: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}
