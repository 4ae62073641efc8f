//! The authorization code grant (RFC 6749 §4.1.3), with PKCE (RFC 7636 §4.6).

use super::{IssuedTokens, TokenError, TokenIssuer};
use crate::access_token::at_hash::at_hash;
use crate::audit::Initiator;
use crate::authorization::model::{AuthorizationCode, Redemption};
use crate::authorization::pkce;
use crate::claims::IdTokenClaims;
use crate::client::{Client, GrantType};
use crate::ids::GrantId;
use crate::issuance::model::Grant;
use crate::kernel::ID_BYTES;
use crate::secret::Secret;
use crate::time::UnixTime;
use crate::userinfo::OPENID;

/// Longest code looked up: ours are 43 characters.
const MAX_CODE_LEN: usize = 256;

impl TokenIssuer {
    pub(super) fn authorization_code(
        &self,
        client: &Client,
        code: &Secret,
        redirect_uri: Option<&str>,
        code_verifier: Option<&Secret>,
    ) -> Result<IssuedTokens, TokenError> {
        if !client.allows(GrantType::AuthorizationCode) {
            return Err(TokenError::UnauthorizedClient);
        }
        if code.expose().len() > MAX_CODE_LEN {
            return Err(TokenError::InvalidGrant);
        }
        let now = self.core.now();
        let hash = code.hash();
        let store = &self.core.ports.store;
        let Some(stored) = store.find_code(&hash)? else {
            return Err(TokenError::InvalidGrant);
        };
        // RFC 6749 §4.1.3: issued to this client (authenticated, or identified if public).
        if stored.client_id != client.id {
            return Err(TokenError::InvalidGrant);
        }
        if let Some(grant_id) = &stored.grant_id {
            // Used before: RFC 6749 §4.1.2 SHOULD revoke what it was exchanged for.
            self.revocation
                .revoke_grant(grant_id, now, &Initiator::system())?;
            return Err(TokenError::InvalidGrant);
        }
        if stored.expires_at <= now {
            return Err(TokenError::InvalidGrant);
        }
        // RFC 6749 §4.1.3: the redirect_uri of the authorization request, identical.
        if redirect_uri != Some(stored.redirect_uri.as_str()) {
            return Err(TokenError::InvalidGrant);
        }
        check_pkce(&stored, code_verifier)?;
        self.learn_recent_cutoff(&stored.user_id)?;
        let issued_at = self
            .access_tokens
            .issue_time(stored.user_id.as_str(), &client.id, now);
        let grant = Grant {
            id: GrantId::new(self.core.random_string(ID_BYTES)),
            client_id: client.id.clone(),
            subject: stored.user_id.as_str().to_owned(),
            scope: stored.scope.clone(),
            created_at: issued_at,
            access_expires_at: issued_at.plus_seconds(self.core.config.access_token_ttl),
            revoked_at: None,
            session_id: Some(stored.session_id.clone()),
        };
        let refresh = client
            .allows(GrantType::RefreshToken)
            .then(|| self.new_refresh_token(&grant.id, now));
        // Sign before storing: a signing failure leaves the code unused and no grant.
        let access_token = self.access_tokens.mint(
            client,
            &grant.subject,
            &grant.scope,
            Some(grant.id.clone()),
            issued_at,
        )?;
        let first = refresh.as_ref().map(|(_, record)| record);
        match store.redeem_code(&hash, now, &grant, first)? {
            Redemption::Redeemed { live: true } => {}
            // The user was disabled or cut off after the code was issued (a code inserted
            // while a cut-off burnt the others): the code is spent, no token goes out.
            Redemption::Redeemed { live: false } => return Err(TokenError::InvalidGrant),
            Redemption::Replayed { grant_id } => {
                // A concurrent exchange won: that one is a replay of this, or this of it.
                if let Some(grant_id) = grant_id {
                    self.revocation
                        .revoke_grant(&grant_id, now, &Initiator::system())?;
                }
                return Err(TokenError::InvalidGrant);
            }
        }
        let id_token = if grant.scope.contains(OPENID) {
            Some(self.id_token(client, &stored, &access_token, now)?)
        } else {
            None
        };
        Ok(IssuedTokens {
            access_token,
            expires_in: self.core.config.access_token_ttl,
            scope: grant.scope,
            refresh_token: refresh.map(|(token, _)| token),
            id_token,
        })
    }

    /// OpenID Connect Core §3.1.3.6: who signed in, for which client, when, in which session,
    /// and the hash binding it to the access token issued with it.
    fn id_token(
        &self,
        client: &Client,
        code: &AuthorizationCode,
        access_token: &str,
        now: UnixTime,
    ) -> Result<String, TokenError> {
        let config = &self.core.config;
        let claims = IdTokenClaims {
            iss: config.issuer.clone(),
            sub: code.user_id.to_string(),
            aud: client.id.to_string(),
            // As long as the access token: the JWKS keeps a retired key published that long.
            exp: now.plus_seconds(config.access_token_ttl),
            iat: now,
            auth_time: Some(code.auth_time),
            nonce: code.nonce.clone(),
            at_hash: Some(at_hash(access_token, config.id_token_alg)),
            sid: Some(code.session_id.to_string()),
        };
        Ok(self.access_tokens.sign_id_token(&claims)?)
    }
}

/// RFC 7636 §4.6: a code bound to a challenge needs the verifier that hashes to it; a
/// verifier for a code without a challenge is refused too, so PKCE cannot be downgraded
/// (RFC 9700 §2.1.1).
fn check_pkce(stored: &AuthorizationCode, verifier: Option<&Secret>) -> Result<(), TokenError> {
    match (&stored.code_challenge, verifier) {
        (None, None) => Ok(()),
        (Some(challenge), Some(verifier)) if pkce::verifies(verifier.expose(), challenge) => Ok(()),
        _ => Err(TokenError::InvalidGrant),
    }
}
