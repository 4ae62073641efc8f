//! What an operator sees and revokes of one user's grants (the admin API, the CLI).

use super::Revoker;
use crate::audit::Initiator;
use crate::error::Fault;
use crate::ids::{GrantId, UserId};
use crate::input::is_client_id;
use crate::paging::{Page, PageRequest};
use crate::ports::{ListedGrant, UserGrantQuery};

impl Revoker {
    /// A page of `user`'s live refresh-token grants (not revoked, with a refresh token that
    /// can still be exchanged) in id order. Never a refresh token or its hash: the store
    /// returns none.
    pub fn live_grants_of(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<ListedGrant>, Fault> {
        let grants = self.core.ports.store.list_user_grants(&UserGrantQuery {
            subject: user.as_str().to_owned(),
            now: self.core.now(),
            after: page.after().map(GrantId::new),
            limit: page.fetch(),
        })?;
        Ok(page.page(grants, |listed| listed.grant.id.as_str()))
    }

    /// Revokes `user`'s grant `grant_id` as RFC 7009 revocation of one of its refresh tokens
    /// does (rule 6, [`Revoker::revoke_grant`]): durable in the store, then its access
    /// tokens denied. `Ok(false)`, having done nothing, when no grant of `user` has this id:
    /// unknown and another user's are the same answer. Revoking a revoked or expired grant
    /// again is harmless. Audited as done by `by`.
    pub fn revoke_grant_of(
        &self,
        user: &UserId,
        grant_id: &str,
        by: &Initiator,
    ) -> Result<bool, Fault> {
        if !is_client_id(grant_id) {
            return Ok(false);
        }
        let id = GrantId::new(grant_id);
        let Some(grant) = self.core.ports.store.find_grant(&id)? else {
            return Ok(false);
        };
        if grant.subject != user.as_str() {
            return Ok(false);
        }
        self.revoke_grant(&grant.id, self.core.now(), by)?;
        Ok(true)
    }
}
