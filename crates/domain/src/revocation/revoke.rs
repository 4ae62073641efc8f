//! Token revocation (RFC 7009): an access token revokes itself (rule 5), a refresh token
//! its whole grant (rule 6). Rule numbers follow docs/architecture.md.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::ports::AccessTokenRevocation;
use super::queue::{Batch, Completion, Lead};
use super::{RevokeError, Revoker, TokenTypeHint};
use crate::access_token::MAX_TOKEN_LEN;
use crate::audit::{Actor, AuditAction, Initiator};
use crate::claims::AccessClaims;
use crate::client::Client;
use crate::error::Fault;
use crate::ids::{GrantId, UserId};
use crate::revocation::model::Revocation;
use crate::secret::Secret;
use crate::time::UnixTime;

/// A revocation under way: [`Revoker::begin_revoke`]'s answer.
pub struct PendingRevocation {
    /// `Ok` once durable and visible, or at once when there was nothing to revoke.
    pub completion: Completion,
    /// Set when this request must write the queued revocations: its own, and whatever
    /// else is waiting (see [`Lead`]).
    pub lead: Option<Lead>,
}

impl PendingRevocation {
    fn done() -> PendingRevocation {
        PendingRevocation {
            completion: Completion::ready(Ok(())),
            lead: None,
        }
    }
}

impl Revoker {
    /// Revokes `token` on behalf of the authenticated `client`, blocking this thread until
    /// it is durable and visible, at most `durable_wait`.
    ///
    /// `Ok(())` means the revocation is committed to the store and visible in the denylist,
    /// or that there was nothing of this client's to revoke (RFC 7009 §2.2: invalid tokens
    /// get 200 too). `InvalidClient` when the token belongs to another client (RFC 7009 §2.1);
    /// nothing is revoked then. What is revoked, and a refusal, is audited as done by the
    /// client from `address`; a token that is nobody's leaves no entry.
    pub fn revoke(
        self: &Arc<Self>,
        client: &Client,
        token: &str,
        hint: Option<TokenTypeHint>,
        address: Option<IpAddr>,
    ) -> Result<(), RevokeError> {
        let pending = self.begin_revoke(client, token, hint, address)?;
        if let Some(lead) = pending.lead {
            lead.run();
        }
        pending.completion.wait(self.durable_wait())
    }

    /// How long a revocation is waited for before it is answered as not durable.
    pub fn durable_wait(&self) -> Duration {
        self.core.config.durable_wait
    }

    /// [`Revoker::revoke`] without waiting: the checks are made and an access token's
    /// revocation is queued for the next batch. The caller awaits `completion` (bounded by
    /// [`Revoker::durable_wait`]) and runs `lead` if it got one.
    pub fn begin_revoke(
        self: &Arc<Self>,
        client: &Client,
        token: &str,
        hint: Option<TokenTypeHint>,
        address: Option<IpAddr>,
    ) -> Result<PendingRevocation, RevokeError> {
        if token.len() > MAX_TOKEN_LEN {
            return Ok(PendingRevocation::done());
        }
        let by = Initiator::new(Actor::Client(client.id.clone()), address);
        let now = self.core.now();
        for kind in TokenTypeHint::lookup_order(hint) {
            let found = match kind {
                TokenTypeHint::AccessToken => self.revoke_access_token(client, token, now, &by),
                TokenTypeHint::RefreshToken => self
                    .revoke_refresh_token(client, token, now, &by)
                    .map(|found| found.then(PendingRevocation::done)),
            };
            match found {
                Ok(Some(pending)) => return Ok(pending),
                Ok(None) => {}
                Err(RevokeError::ForeignToken) => {
                    // Which token, or whose, is not recorded: the entry would tell this
                    // client's operators about another client's tokens.
                    let refusal = by
                        .event(now, AuditAction::RevokeRefused)
                        .client(&client.id)
                        .failed("foreign_token");
                    self.core.record_refusal(refusal)?;
                    return Err(RevokeError::ForeignToken);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(PendingRevocation::done())
    }

    /// [`Revoker::begin_revoke`] for a caller that must not wait on the store (an event
    /// loop): `None` when the answer needs a store read or write, and the caller then calls
    /// `begin_revoke` where it may wait. Answered here: a live access token of this client
    /// (queued) and a token too long to be one (nothing to revoke). A token that verifies
    /// as our access token is never a refresh token, so the hint changes nothing.
    pub fn begin_revoke_from_memory(
        self: &Arc<Self>,
        client: &Client,
        token: &str,
        address: Option<IpAddr>,
    ) -> Option<Result<PendingRevocation, RevokeError>> {
        if token.len() > MAX_TOKEN_LEN {
            return Some(Ok(PendingRevocation::done()));
        }
        let now = self.core.now();
        let claims = match self.access_tokens.live_claims_from_memory(token, now)? {
            Ok(Some(claims)) if claims.client_id == client.id => claims,
            // Perhaps a refresh token, or another client's (whose refusal is audited): the
            // store decides.
            Ok(_) => return None,
            Err(fault) => return Some(Err(fault.into())),
        };
        let by = Initiator::new(Actor::Client(client.id.clone()), address);
        Some(Ok(self.queue_access_token(claims, now, &by)))
    }

    /// Rule 5: an access token revokes only itself, until its `exp`. Queued: see
    /// [`Revoker::commit_batch`].
    fn revoke_access_token(
        self: &Arc<Self>,
        client: &Client,
        token: &str,
        now: UnixTime,
        by: &Initiator,
    ) -> Result<Option<PendingRevocation>, RevokeError> {
        let Some(claims) = self.access_tokens.live_claims(token, now)? else {
            return Ok(None);
        };
        if claims.client_id != client.id {
            return Err(RevokeError::ForeignToken);
        }
        Ok(Some(self.queue_access_token(claims, now, by)))
    }

    /// Queues the revocation of a live access token of the client, audited as done by `by`.
    fn queue_access_token(
        self: &Arc<Self>,
        claims: AccessClaims,
        now: UnixTime,
        by: &Initiator,
    ) -> PendingRevocation {
        let audit = by
            .event(now, AuditAction::RevokeAccessToken)
            .client(&claims.client_id)
            .target(claims.jti.as_str());
        // A client's own token (`client_credentials`) has its client as `sub`: no user.
        let audit = if claims.sub == claims.client_id.as_str() {
            audit
        } else {
            audit.user(&UserId::new(claims.sub.as_str()))
        };
        let entry = Revocation::AccessToken {
            jti: claims.jti.clone(),
            until: claims.exp,
        };
        let row = AccessTokenRevocation {
            jti: claims.jti,
            client_id: claims.client_id,
            until: claims.exp,
            revoked_at: now,
            audit,
        };
        let (completion, lead) = self.queue.submit(row, entry);
        PendingRevocation {
            completion,
            lead: lead.then(|| Lead::new(Arc::clone(self))),
        }
    }

    /// Writes a batch of queued access-token revocations. Durable first: a 200 must survive
    /// a restart (and the store is what rebuilds the denylist), then visible to resource
    /// servers. One outcome for the whole batch.
    pub(super) fn commit_batch(&self, batch: &Batch) -> Result<(), RevokeError> {
        self.core.ports.store.revoke_access_tokens(&batch.rows)?;
        self.deny(&batch.entries, self.core.now())?;
        Ok(())
    }

    /// Rule 6: a refresh token revokes its whole grant: itself, its rotations, and every
    /// access token issued under it (RFC 7009 §2.1 SHOULD, done).
    fn revoke_refresh_token(
        &self,
        client: &Client,
        token: &str,
        now: UnixTime,
        by: &Initiator,
    ) -> Result<bool, RevokeError> {
        let hash = Secret::new(token).hash();
        let Some((record, grant)) = self.core.ports.store.find_refresh_token(&hash)? else {
            return Ok(false);
        };
        if grant.client_id != client.id {
            // Rule 4 concerns live tokens. One that can no longer be used (expired, rotated,
            // its grant revoked) has nothing left to revoke: 200, as for garbage, so the
            // answer tells nothing of whose it once was (rule 3).
            return if record.is_live(&grant, now) {
                Err(RevokeError::ForeignToken)
            } else {
                Ok(true)
            };
        }
        // Any genuine token of the grant (expired or rotated ones too) revokes it: the
        // client has said the authorization is over.
        self.revoke_grant(&grant.id, now, by)?;
        Ok(true)
    }

    /// Durably revokes a grant, then denies its access tokens. Shared by revocation of a
    /// refresh token and by reuse detection; audited as done by `by`.
    pub(crate) fn revoke_grant(
        &self,
        grant_id: &GrantId,
        now: UnixTime,
        by: &Initiator,
    ) -> Result<(), Fault> {
        let audit = by
            .event(now, AuditAction::RevokeGrant)
            .target(grant_id.as_str());
        let Some(grant) = self.core.ports.store.revoke_grant(grant_id, now, &audit)? else {
            return Ok(());
        };
        if grant.access_expires_at > now {
            let entry = Revocation::Grant {
                grant_id: grant.id,
                until: grant.access_expires_at,
            };
            self.deny(&[entry], now)?;
        }
        Ok(())
    }
}
