//! Who is calling the admin API: an OAuth client, proven by one of its live
//! `client_credentials` access tokens with the admin scope.

use std::net::IpAddr;

use super::{Admin, AdminAuthError};
use crate::audit::{Actor, Initiator};
use crate::ids::ClientId;
use crate::scope::Scope;

/// The scope an admin client is registered with and its tokens must carry. A valid
/// RFC 6749 §3.3 scope-token (`:` is in its %x23-5B range).
pub const ADMIN_SCOPE: &str = "ciam:admin";

/// An authorized admin caller. Only [`Admin::authorize`] makes one, so an operation that
/// takes it cannot run without a verified token, and knows whom to attribute it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCaller {
    client_id: ClientId,
    /// Who the audit trail says acted: the admin client, from the request's address.
    initiator: Initiator,
}

impl AdminCaller {
    /// The admin client acting: what every admin operation logs.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The admin client, as the audit trail records it.
    pub fn initiator(&self) -> &Initiator {
        &self.initiator
    }
}

impl Admin {
    /// The caller `token` proves: one of our access tokens, live and not revoked (the
    /// check of UserInfo and introspection), issued to a client for itself
    /// (`client_credentials`: its `sub` is its `client_id`), with [`ADMIN_SCOPE`]. `address`
    /// is the request's, for the audit trail.
    pub fn authorize(
        &self,
        token: &str,
        address: Option<IpAddr>,
    ) -> Result<AdminCaller, AdminAuthError> {
        let now = self.core.now();
        let claims = self
            .access_tokens
            .live_claims(token, now)?
            .ok_or(AdminAuthError::InvalidToken)?;
        if self.revocation.is_revoked(&claims, now)? {
            return Err(AdminAuthError::InvalidToken);
        }
        // A user's token, even one whose client may ask for the admin scope, acts for
        // that user, never as an operator: only the client's own token is attributable
        // to the client alone.
        if claims.sub != claims.client_id.as_str() || claims.gid.is_some() {
            return Err(AdminAuthError::InvalidToken);
        }
        let scope = Scope::parse(&claims.scope).map_err(|_| AdminAuthError::InvalidToken)?;
        if !scope.contains(ADMIN_SCOPE) {
            return Err(AdminAuthError::InsufficientScope);
        }
        Ok(AdminCaller {
            initiator: Initiator::new(Actor::AdminClient(claims.client_id.clone()), address),
            client_id: claims.client_id,
        })
    }
}
