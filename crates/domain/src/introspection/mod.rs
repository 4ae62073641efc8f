//! Token introspection (RFC 7662): whether a token is active, and what it carries, for a
//! resource server or for the client the token was issued to.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::access_token::{AccessTokens, MAX_TOKEN_LEN};
use crate::claims::AccessClaims;
use crate::client::Client;
use crate::error::{faults_become, Fault};
use crate::grant::{Grant, RefreshTokenRecord};
use crate::kernel::Core;
use crate::revocation::{Fence, Freshness, Revoker, TokenTypeHint};
use crate::secret::Secret;
use crate::time::UnixTime;

/// What introspection may say about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Introspection {
    /// RFC 7662 §2.2: revoked, expired, unknown, malformed, or not the caller's to see.
    /// The response is `{"active": false}` and nothing else.
    Inactive,
    Access(AccessClaims),
    Refresh {
        record: RefreshTokenRecord,
        grant: Grant,
    },
}

pub struct Introspector {
    core: Arc<Core>,
    access_tokens: Arc<AccessTokens>,
    revocation: Arc<Revoker>,
}

/// Why introspection was refused, or could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntrospectError {
    /// Public clients may not introspect: their `client_id` proves nothing (RFC 7662 §4).
    /// Answered `invalid_client`.
    #[error("public clients may not introspect")]
    PublicClient,
    /// Never answered "inactive" for want of an answer: a revoked token must not look
    /// active, nor a live one revoked.
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(IntrospectError::Unavailable);

impl Introspector {
    pub(crate) fn new(
        core: Arc<Core>,
        access_tokens: Arc<AccessTokens>,
        revocation: Arc<Revoker>,
    ) -> Introspector {
        Introspector {
            core,
            access_tokens,
            revocation,
        }
    }

    /// Introspects `token` for the authenticated `caller`.
    ///
    /// Access tokens are answered to any confidential client (resource servers are clients
    /// of their own); refresh tokens only to the client they were issued to. Public clients
    /// may not introspect: their `client_id` proves nothing (RFC 7662 §4).
    pub fn introspect(
        &self,
        caller: &Client,
        token: &str,
        hint: Option<TokenTypeHint>,
    ) -> Result<Introspection, IntrospectError> {
        self.introspect_fenced(caller, token, hint, None)
    }

    /// A fence to await, holding no thread, before [`Introspector::introspect_after`]. Take
    /// it once the request has arrived: every revocation answered before is then seen.
    pub fn fence(&self) -> Fence {
        self.revocation.fence()
    }

    /// [`Introspector::introspect`], after awaiting [`Introspector::fence`]: on the full
    /// stack the denylist check is then answered from this node's replica, without a wait.
    pub fn introspect_after(
        &self,
        caller: &Client,
        token: &str,
        hint: Option<TokenTypeHint>,
        freshness: Freshness,
    ) -> Result<Introspection, IntrospectError> {
        self.introspect_fenced(caller, token, hint, Some(freshness))
    }

    fn introspect_fenced(
        &self,
        caller: &Client,
        token: &str,
        hint: Option<TokenTypeHint>,
        mut fenced: Option<Freshness>,
    ) -> Result<Introspection, IntrospectError> {
        if caller.is_public() {
            return Err(IntrospectError::PublicClient);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Ok(Introspection::Inactive);
        }
        let now = self.core.now();
        for kind in TokenTypeHint::lookup_order(hint) {
            let answer = match kind {
                TokenTypeHint::AccessToken => self.introspect_access(token, now, fenced.take())?,
                TokenTypeHint::RefreshToken => self.introspect_refresh(caller, token, now)?,
            };
            if let Some(answer) = answer {
                return Ok(answer);
            }
        }
        Ok(Introspection::Inactive)
    }

    /// `None` when `token` is not one of our access tokens at all; `Inactive` when it is
    /// but has been revoked.
    fn introspect_access(
        &self,
        token: &str,
        now: UnixTime,
        fenced: Option<Freshness>,
    ) -> Result<Option<Introspection>, Fault> {
        let Some(claims) = self.access_tokens.live_claims(token, now)? else {
            return Ok(None);
        };
        let revoked = self.revocation.is_revoked_after(&claims, now, fenced)?;
        Ok(Some(if revoked {
            Introspection::Inactive
        } else {
            Introspection::Access(claims)
        }))
    }

    fn introspect_refresh(
        &self,
        caller: &Client,
        token: &str,
        now: UnixTime,
    ) -> Result<Option<Introspection>, Fault> {
        let hash = Secret::new(token).hash();
        let Some((record, grant)) = self.core.ports.store.find_refresh_token(&hash)? else {
            return Ok(None);
        };
        let active = grant.client_id == caller.id && record.is_live(&grant, now);
        Ok(Some(if active {
            Introspection::Refresh { record, grant }
        } else {
            Introspection::Inactive
        }))
    }
}
