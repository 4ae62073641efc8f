//! Token revocation (RFC 7009).

use std::str::FromStr;

use super::TokenService;
use crate::claims::AccessClaims;
use crate::client::Client;
use crate::error::{CodecError, OAuthError};
use crate::revocation::Revocation;
use crate::secret::Secret;
use crate::time::UnixTime;

/// `token_type_hint` (RFC 7009 §2.1). Only orders the lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

impl FromStr for TokenTypeHint {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value {
            "access_token" => Ok(TokenTypeHint::AccessToken),
            "refresh_token" => Ok(TokenTypeHint::RefreshToken),
            _ => Err(()),
        }
    }
}

impl TokenTypeHint {
    /// RFC 7009 §2.1: if the token is not found under the hinted type, the server MUST
    /// extend its search across all of its supported token types. An absent or unknown
    /// hint searches access tokens first: they are the common case and need no store read.
    pub(super) fn lookup_order(hint: Option<TokenTypeHint>) -> [TokenTypeHint; 2] {
        match hint {
            Some(TokenTypeHint::RefreshToken) => {
                [TokenTypeHint::RefreshToken, TokenTypeHint::AccessToken]
            }
            _ => [TokenTypeHint::AccessToken, TokenTypeHint::RefreshToken],
        }
    }
}

/// Tokens longer than this are not ours, whatever they are: ours are well under 1 KiB.
pub(super) const MAX_TOKEN_LEN: usize = 4096;

impl TokenService {
    /// Revokes `token` on behalf of the authenticated `client`.
    ///
    /// `Ok(())` means the revocation is committed to the store and visible in the denylist,
    /// or that there was nothing of this client's to revoke (RFC 7009 §2.2: invalid tokens
    /// get 200 too). `InvalidClient` when the token belongs to another client (RFC 7009 §2.1);
    /// nothing is revoked then.
    pub fn revoke(
        &self,
        client: &Client,
        token: &str,
        hint: Option<TokenTypeHint>,
    ) -> Result<(), OAuthError> {
        if token.len() > MAX_TOKEN_LEN {
            return Ok(());
        }
        let now = self.now();
        for kind in TokenTypeHint::lookup_order(hint) {
            let found = match kind {
                TokenTypeHint::AccessToken => self.revoke_access_token(client, token, now)?,
                TokenTypeHint::RefreshToken => self.revoke_refresh_token(client, token, now)?,
            };
            if found {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Rule 5: an access token revokes only itself, until its `exp`.
    fn revoke_access_token(
        &self,
        client: &Client,
        token: &str,
        now: UnixTime,
    ) -> Result<bool, OAuthError> {
        let Some(claims) = self.live_access_claims(token, now)? else {
            return Ok(false);
        };
        if claims.client_id != client.id {
            return Err(OAuthError::InvalidClient);
        }
        // Durable first: a 200 must survive a restart (and the store is what rebuilds the
        // denylist), then visible to resource servers.
        self.ports.revocations.revoke_access_token(
            &claims.jti,
            &claims.client_id,
            claims.exp,
            now,
        )?;
        let entry = Revocation::AccessToken {
            jti: claims.jti,
            until: claims.exp,
        };
        self.deny(&[entry], now)?;
        Ok(true)
    }

    /// Rule 6: a refresh token revokes its whole grant: itself, its rotations, and every
    /// access token issued under it (RFC 7009 §2.1 SHOULD, done).
    fn revoke_refresh_token(
        &self,
        client: &Client,
        token: &str,
        now: UnixTime,
    ) -> Result<bool, OAuthError> {
        let hash = Secret::new(token).hash();
        let Some((record, grant)) = self.ports.grants.find_refresh_token(&hash)? else {
            return Ok(false);
        };
        if grant.client_id != client.id {
            // Rule 4 concerns live tokens. One that can no longer be used (expired, rotated,
            // its grant revoked) has nothing left to revoke: 200, as for garbage, so the
            // answer tells nothing of whose it once was (rule 3).
            return if record.is_live(&grant, now) {
                Err(OAuthError::InvalidClient)
            } else {
                Ok(true)
            };
        }
        // Any genuine token of the grant (expired or rotated ones too) revokes it: the
        // client has said the authorization is over.
        self.revoke_grant(&grant.id, now)?;
        Ok(true)
    }

    /// The claims of a token that is one of our access tokens, correctly signed, for our
    /// issuer and not expired. `None` for anything else: to revocation and introspection
    /// such a token is simply not a live access token.
    pub(super) fn live_access_claims(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<Option<AccessClaims>, OAuthError> {
        if token.len() > MAX_TOKEN_LEN || token.bytes().filter(|b| *b == b'.').count() != 2 {
            return Ok(None);
        }
        let ring = self.key_ring()?;
        let claims = match self.ports.codec.decode(token, &ring) {
            Ok(claims) => claims,
            Err(CodecError::UnknownKey) => match self.key_ring_after_unknown_kid()? {
                Some(ring) => match self.ports.codec.decode(token, &ring) {
                    Ok(claims) => claims,
                    Err(_) => return Ok(None),
                },
                None => return Ok(None),
            },
            Err(_) => return Ok(None),
        };
        if claims.iss != self.config.issuer || claims.exp <= now {
            return Ok(None);
        }
        Ok(Some(claims))
    }
}
