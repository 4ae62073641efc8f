//! The authorization endpoint's rules (RFC 6749 §4.1, RFC 7636, OpenID Connect Core §3.1):
//! which requests are trusted, what to do with a signed-in browser, and the codes issued.

pub mod model;
pub mod pkce;
pub mod ports;
mod validate;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::clients::Clients;
use crate::error::Fault;
use crate::kernel::{Core, SECRET_BYTES};
use crate::secret::Secret;
use crate::sessions::model::Session;
use model::{AuthorizationCode, AuthorizationRequest, Prompt};

pub use validate::{AuthorizeError, Refusal, UntrustedRequest};

/// Longest lifetime of a code (RFC 6749 §4.1.2: a maximum of 10 minutes is RECOMMENDED;
/// one minute is plenty for a redirect and a back-channel call).
pub const MAX_CODE_TTL: i64 = 60;

pub struct Authorizer {
    core: Arc<Core>,
    clients: Arc<Clients>,
}

/// What to do with a trusted request.
#[derive(Debug)]
pub enum Decision {
    /// A session lives and the request accepts it: answer with a code at once.
    UseSession(Session),
    /// Show the login form.
    SignIn,
    /// `prompt=none` and the form would be needed (OpenID Connect Core §3.1.2.6).
    LoginRequired,
}

impl Authorizer {
    pub(crate) fn new(core: Arc<Core>, clients: Arc<Clients>) -> Authorizer {
        Authorizer { core, clients }
    }

    /// Whether a live `session` may answer `request` without the form: not when the
    /// request asks for a fresh login (`prompt=login`), nor when the password was entered
    /// longer than `max_age` seconds ago (OpenID Connect Core §3.1.2.1).
    pub fn decide(&self, request: &AuthorizationRequest, session: Option<Session>) -> Decision {
        let now = self.core.now();
        let usable = session.filter(|session| {
            request.prompt != Prompt::Login
                && request
                    .max_age
                    .is_none_or(|max_age| now.0 - session.auth_time.0 <= max_age)
        });
        match (usable, request.prompt) {
            (Some(session), _) => Decision::UseSession(session),
            (None, Prompt::None) => Decision::LoginRequired,
            (None, _) => Decision::SignIn,
        }
    }

    /// A new code for `request`, answered by the user of `session`. Returned once; only its
    /// hash is stored.
    pub fn issue_code(
        &self,
        request: &AuthorizationRequest,
        session: &Session,
    ) -> Result<Secret, Fault> {
        let now = self.core.now();
        let code = Secret::new(self.core.random_string(SECRET_BYTES));
        let ttl = self.core.config.code_ttl.clamp(1, MAX_CODE_TTL);
        self.core.ports.store.insert_code(&AuthorizationCode {
            hash: code.hash(),
            client_id: request.client.id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            session_id: session.id.clone(),
            user_id: session.user_id.clone(),
            auth_time: session.auth_time,
            issued_at: now,
            expires_at: now.plus_seconds(ttl),
            used_at: None,
            grant_id: None,
        })?;
        Ok(code)
    }

    /// The issuer, for the `iss` of authorization responses (RFC 9207).
    pub fn issuer(&self) -> &str {
        &self.core.config.issuer
    }
}
