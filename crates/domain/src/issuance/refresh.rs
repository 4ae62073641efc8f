//! The refresh token grant (RFC 6749 §6), rotating the refresh token on every use
//! (RFC 9700 §4.14.2).

use super::{IssuedTokens, TokenError, TokenIssuer};
use crate::audit::Initiator;
use crate::client::{Client, GrantType};
use crate::issuance::model::RotateOutcome;
use crate::scope::Scope;
use crate::secret::Secret;

impl TokenIssuer {
    /// RFC 6749 §6 with rotation on every use (RFC 9700 §4.14.2).
    pub(super) fn refresh(
        &self,
        client: &Client,
        presented: &Secret,
        scope: Option<Scope>,
    ) -> Result<IssuedTokens, TokenError> {
        if !client.allows(GrantType::RefreshToken) {
            return Err(TokenError::UnauthorizedClient);
        }
        let now = self.core.now();
        let hash = presented.hash();
        let Some((record, grant)) = self.core.ports.store.find_refresh_token(&hash)? else {
            return Err(TokenError::InvalidGrant);
        };
        // RFC 6749 §6: the refresh token is bound to the client it was issued to.
        if grant.client_id != client.id || grant.is_revoked() || record.expires_at <= now {
            return Err(TokenError::InvalidGrant);
        }
        // RFC 6749 §6: the new scope MUST NOT include any scope not originally granted.
        let scope = Scope::grant(scope.as_ref(), &grant.scope)?;
        let issued_at = self
            .access_tokens
            .issue_time(&grant.subject, &client.id, now);
        let access_expires_at = issued_at.plus_seconds(self.core.config.access_token_ttl);
        let (refresh_token, next) = self.new_refresh_token(&grant.id, now);
        let access_token = self.access_tokens.mint(
            client,
            &grant.subject,
            &scope,
            Some(grant.id.clone()),
            issued_at,
        )?;

        let since_rotation = record.rotated_at.map(|rotated_at| now.0 - rotated_at.0);
        let outcome = match since_rotation {
            Some(age) if age < self.core.config.refresh_reuse_grace => self
                .core
                .ports
                .store
                .add_refresh_token(&next, access_expires_at)?,
            Some(age) if age < self.core.config.refresh_race_window => {
                // Lost a race with a rotation that committed just now (two tabs, a client
                // retrying on a flaky network): refused, but the winner stays signed in.
                return Err(TokenError::InvalidGrant);
            }
            Some(_) => {
                // RFC 9700 §4.14.2: a rotated refresh token presented again means it leaked;
                // revoke the whole family so neither holder can go on.
                self.revocation
                    .revoke_grant(&grant.id, now, &Initiator::system())?;
                return Err(TokenError::InvalidGrant);
            }
            None => {
                self.core
                    .ports
                    .store
                    .rotate_refresh_token(&hash, &next, now, access_expires_at)?
            }
        };
        if outcome == RotateOutcome::Lost {
            // A concurrent request with the same token won (exactly one succeeds), or the
            // grant was revoked meanwhile.
            return Err(TokenError::InvalidGrant);
        }
        Ok(IssuedTokens {
            access_token,
            expires_in: self.core.config.access_token_ttl,
            scope,
            refresh_token: Some(refresh_token),
            id_token: None,
        })
    }
}
