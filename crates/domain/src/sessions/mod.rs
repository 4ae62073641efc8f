//! Browser sessions: a successful sign-in on the hosted login page starts one, and while it
//! lives further authorization requests skip the form (single sign-on).

pub mod model;
mod of_user;
pub mod ports;

#[cfg(test)]
mod tests;

use std::net::IpAddr;
use std::sync::Arc;

use crate::access_token::AccessTokens;
use crate::accounts::model::User;
use crate::audit::{Actor, AuditAction, AuditEvent, Initiator};
use crate::claims::{LogoutTokenClaims, BACKCHANNEL_LOGOUT_EVENT};
use crate::clients::Clients;
use crate::error::Chain;
use crate::error::Fault;
use crate::ids::SessionId;
use crate::ids::{ClientId, Jti, UserId};
use crate::kernel::{Core, ID_BYTES, SECRET_BYTES};
use crate::ports::BulkRevoked;
use crate::ports::LogoutDelivery;
use crate::revocation::CutoffKind;
use crate::revocation::Revoker;
use crate::secret::Secret;
use crate::time::UnixTime;
use model::Session;

/// Seconds a logout token is valid: long enough for the retries of a delivery.
const LOGOUT_TOKEN_TTL: i64 = 300;

/// Longest cookie value looked up: ours are 43 characters.
const MAX_COOKIE_LEN: usize = 256;

/// Activity is written at most this often (seconds), so that every request of a busy
/// browser does not write to the store; the idle timeout is coarse by as much.
const TOUCH_EVERY: i64 = 60;

pub struct Sessions {
    core: Arc<Core>,
    /// Ending a session revokes the grants born in it.
    revocation: Arc<Revoker>,
    /// ... and tells their clients, with logout tokens.
    clients: Arc<Clients>,
    access_tokens: Arc<AccessTokens>,
}

impl Sessions {
    pub(crate) fn new(
        core: Arc<Core>,
        revocation: Arc<Revoker>,
        clients: Arc<Clients>,
        access_tokens: Arc<AccessTokens>,
    ) -> Sessions {
        Sessions {
            core,
            revocation,
            clients,
            access_tokens,
        }
    }

    /// Logout: ends `session` and revokes every grant born in it, so its refresh tokens die
    /// and its access tokens are refused by resource servers at once (the denylist). `Ok`
    /// means durable and visible, as for revocation (rule 9).
    ///
    /// Then every client with a back-channel logout URI that holds a grant of the session is
    /// sent a logout token (Back-Channel Logout 1.0), in the background: a client that does
    /// not answer never holds up the logout, and a failure to tell it is logged, not
    /// returned (the revocation, which is what protects resources, is done). Audited as
    /// done by `by`.
    pub fn end(&self, session: &Session, by: &Initiator) -> Result<(), Fault> {
        let now = self.core.now();
        let store = &self.core.ports.store;
        let clients = store.session_clients(&session.id)?;
        let audit = by
            .event(now, AuditAction::SessionEnded)
            .user(&session.user_id)
            .target(session.id.as_str());
        let revoked = store.end_session(&session.id, now, &audit)?;
        if !revoked.is_empty() {
            self.revocation.deny(&revoked, now)?;
        }
        self.tell_clients(&session.user_id, Some(&session.id), &clients, now);
        Ok(())
    }

    /// Signs `user` out everywhere: every session, grant and code of theirs ends and every
    /// access token of theirs issued until now is refused (a not-before cut-off,
    /// `Revoker::revoke_everything_of`). `Ok` means durable and visible.
    ///
    /// Every client that held one of their grants and registered a back-channel logout URI
    /// is sent one logout token with `sub` and no `sid` (Back-Channel Logout 1.0 §2.4):
    /// every session of the user at that client ends.
    pub fn sign_out_everywhere(
        &self,
        user_id: &UserId,
        by: &Initiator,
    ) -> Result<BulkRevoked, Fault> {
        let revoked =
            self.revocation
                .revoke_everything_of(CutoffKind::Subject, user_id.as_str(), by)?;
        self.tell_clients(user_id, None, &revoked.clients, self.core.now());
        Ok(revoked)
    }

    /// Sends `clients` logout tokens in the background; a failure to sign them is logged,
    /// not returned (the revocation, which is what protects resources, is done).
    fn tell_clients(
        &self,
        user_id: &UserId,
        session: Option<&SessionId>,
        clients: &[ClientId],
        now: UnixTime,
    ) {
        match self.logout_deliveries(user_id, session, clients, now) {
            Ok(deliveries) if !deliveries.is_empty() => {
                self.core.ports.logout_notifier.notify(deliveries)
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %Chain(&error), "logout tokens not sent");
            }
        }
    }

    /// A logout token (Back-Channel Logout 1.0 §2.4) for each of `clients` that registered
    /// a back-channel logout URI.
    fn logout_deliveries(
        &self,
        user_id: &UserId,
        session: Option<&SessionId>,
        clients: &[ClientId],
        now: UnixTime,
    ) -> Result<Vec<LogoutDelivery>, Fault> {
        let mut deliveries = Vec::new();
        for id in clients {
            let Some(client) = self.clients.find(id.as_str())? else {
                continue;
            };
            let Some(uri) = client.redirects.backchannel_logout_uri.clone() else {
                continue;
            };
            let claims = LogoutTokenClaims {
                iss: self.core.config.issuer.clone(),
                aud: client.id.to_string(),
                iat: now,
                exp: now.plus_seconds(LOGOUT_TOKEN_TTL),
                jti: Jti::new(self.core.random_string(ID_BYTES)),
                sub: user_id.to_string(),
                sid: session.map(SessionId::to_string),
                events: [(BACKCHANNEL_LOGOUT_EVENT.to_owned(), Default::default())].into(),
            };
            deliveries.push(LogoutDelivery {
                uri,
                logout_token: self.access_tokens.sign_logout_token(&claims)?,
            });
        }
        Ok(deliveries)
    }

    /// A new session for `user`, who has just proven their password. Returns the cookie's
    /// secret (shown to the browser once, stored only as its hash) and the session. The
    /// sign-in is audited with the session, from `address`.
    pub fn start(&self, user: &User, address: Option<IpAddr>) -> Result<(Secret, Session), Fault> {
        let now = self.core.now();
        let secret = Secret::new(self.core.random_string(SECRET_BYTES));
        let session = Session {
            id: SessionId::new(self.core.random_string(ID_BYTES)),
            token_hash: secret.hash(),
            user_id: user.id.clone(),
            auth_time: now,
            last_seen_at: now,
            expires_at: now.plus_seconds(self.core.config.session_lifetime),
            ended_at: None,
        };
        let audit = AuditEvent::new(
            now,
            Actor::User(user.id.clone()),
            AuditAction::SignInSucceeded,
        )
        .user(&user.id)
        .target(session.id.as_str())
        .from_address(address);
        self.core.ports.store.insert_session(&session, &audit)?;
        Ok((secret, session))
    }

    /// The live session the cookie `value` refers to, if any. Anything else (no such
    /// session, ended, expired, idle too long, a value that cannot be ours) is `None`.
    pub fn current(&self, value: &str) -> Result<Option<Session>, Fault> {
        if value.is_empty() || value.len() > MAX_COOKIE_LEN || !value.is_ascii() {
            return Ok(None);
        }
        let now = self.core.now();
        let Some(session) = self
            .core
            .ports
            .store
            .find_session(&Secret::new(value).hash())?
        else {
            return Ok(None);
        };
        if !session.is_live(now, self.core.config.session_idle_timeout) {
            return Ok(None);
        }
        if now.0 - session.last_seen_at.0 >= TOUCH_EVERY {
            self.core.ports.store.touch_session(&session.id, now)?;
        }
        Ok(Some(session))
    }

    /// Seconds since the user last entered their password in `session`.
    pub fn age_of_authentication(&self, session: &Session) -> i64 {
        self.core.now().0 - session.auth_time.0
    }
}
