//! Authorization requests (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1) and the codes
//! that answer them.

use crate::client::Client;
use crate::ids::{ClientId, GrantId, SessionId, UserId};
use crate::scope::Scope;
use crate::secret::SecretHash;
use crate::time::UnixTime;

/// The parameters of an authorization request as received, before any check.
#[derive(Clone, Debug, Default)]
pub struct AuthorizationParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
}

/// `prompt` (OpenID Connect Core §3.1.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Sign in with the form unless a session lives.
    Default,
    /// Never show the form: a session, or `login_required`.
    None,
    /// Show the form even if a session lives.
    Login,
}

/// An authorization request that passed every check: its client and redirect URI are
/// trusted, so errors from here on go back to the client.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    pub client: Client,
    pub redirect_uri: String,
    pub scope: Scope,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// S256 only.
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    /// Seconds: a session whose password entry is older asks for it again.
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
}

/// An authorization code as stored: only its hash. Bound to everything the token request
/// must match (RFC 6749 §4.1.3, RFC 7636 §4.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub hash: SecretHash,
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub scope: Scope,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub auth_time: UnixTime,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
    /// When it was exchanged. A second exchange is a replay.
    pub used_at: Option<UnixTime>,
    /// The grant its exchange created: revoked if the code is replayed.
    pub grant_id: Option<GrantId>,
}

/// What exchanging a code did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redemption {
    /// The code was unused: it is now used, and the grant (with its first refresh token,
    /// if any) is stored; `live` is false when it was stored revoked (a cut-off covers it,
    /// or its subject may not sign in): no token of it may be handed out.
    Redeemed { live: bool },
    /// The code was used before: nothing was written. The grant of its first exchange.
    Replayed { grant_id: Option<GrantId> },
}
