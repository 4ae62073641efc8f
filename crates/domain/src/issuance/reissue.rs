//! Fresh tokens for a user who just changed their password and asked to stay signed in on
//! the client they changed it from: a new grant, since the cut-off revoked the old one.

use super::{IssuedTokens, TokenIssuer};
use crate::client::{Client, GrantType};
use crate::error::Fault;
use crate::ids::{GrantId, UserId};
use crate::issuance::model::Grant;
use crate::kernel::ID_BYTES;
use crate::revocation::CutoffKind;
use crate::scope::Scope;

impl TokenIssuer {
    /// A new grant of `client` for `user` with `scope`, its first refresh token (if the
    /// client may refresh) and an access token. Issued after the user's cut-off, so the
    /// issue time is past it (`issue_time`) and the grant is not stored revoked, unless the
    /// user was disabled meanwhile: then `None`, and no token goes out.
    pub(crate) fn reissue(
        &self,
        client: &Client,
        user: &UserId,
        scope: &Scope,
    ) -> Result<Option<IssuedTokens>, Fault> {
        let now = self
            .access_tokens
            .issue_time(user.as_str(), &client.id, self.core.now());
        let ttl = self.core.config.access_token_ttl;
        if !client.allows(GrantType::RefreshToken) {
            let access_token = self
                .access_tokens
                .mint(client, user.as_str(), scope, None, now)?;
            if !self.may_still_sign_in(user)? {
                return Ok(None);
            }
            return Ok(Some(IssuedTokens {
                access_token,
                expires_in: ttl,
                scope: scope.clone(),
                refresh_token: None,
                id_token: None,
            }));
        }
        let grant = Grant {
            id: GrantId::new(self.core.random_string(ID_BYTES)),
            client_id: client.id.clone(),
            subject: user.as_str().to_owned(),
            scope: scope.clone(),
            created_at: now,
            access_expires_at: now.plus_seconds(ttl),
            revoked_at: None,
            session_id: None,
        };
        let (refresh_token, record) = self.new_refresh_token(&grant.id, now);
        let access_token =
            self.access_tokens
                .mint(client, &grant.subject, scope, Some(grant.id.clone()), now)?;
        if !self.core.ports.store.create_grant(&grant, &record)? {
            return Ok(None);
        }
        Ok(Some(IssuedTokens {
            access_token,
            expires_in: ttl,
            scope: scope.clone(),
            refresh_token: Some(refresh_token),
            id_token: None,
        }))
    }

    /// Learns a cut-off of `user` made in this second by another process (the CLI, another
    /// node), so that `issue_time` dates the user's new tokens past it: without it, a user
    /// enabled (or signed out everywhere) elsewhere in this second would get a grant the
    /// cut-off covers, stored revoked, and be refused until the next second.
    pub(crate) fn learn_recent_cutoff(&self, user: &UserId) -> Result<(), Fault> {
        let now = self.core.now();
        let cutoff = self
            .core
            .ports
            .store
            .find_cutoff(CutoffKind::Subject, user.as_str(), now)?;
        if let Some(cutoff) = cutoff.filter(|cutoff| cutoff.at >= now) {
            self.access_tokens.note_cutoff(&cutoff, now);
        }
        Ok(())
    }

    /// Whether `user` exists and is not disabled, read after a grantless token was minted:
    /// disabling commits the flag before it cuts off, so a token minted after the cut-off
    /// (its `iat` past it, `issue_time`) is minted after the flag is visible here, and one
    /// minted before is covered by the cut-off.
    pub(crate) fn may_still_sign_in(&self, user: &UserId) -> Result<bool, Fault> {
        Ok(self
            .core
            .ports
            .store
            .find_user_by_id(user)?
            .is_some_and(|user| !user.is_disabled()))
    }
}
