//! The fake store's reads of a user's sessions and grants: the same rules as the diesel
//! store, in memory.

use super::{lock, FakeStore};
use crate::error::StoreError;
use crate::grant::Grant;
use crate::ids::{ClientId, GrantId, SessionId};
use crate::ports::{
    GrantListing, ListedGrant, ListedSession, SessionListing, SessionStore, UserGrantQuery,
    UserSessionQuery,
};
use crate::sessions::model::Session;

impl SessionListing for FakeStore {
    fn find_session_by_id(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        self.up()?;
        Ok(lock(&self.sessions)
            .values()
            .find(|session| session.id == *id)
            .cloned())
    }

    fn list_user_sessions(
        &self,
        query: &UserSessionQuery,
    ) -> Result<Vec<ListedSession>, StoreError> {
        self.up()?;
        let mut sessions: Vec<Session> = lock(&self.sessions)
            .values()
            .filter(|session| session.user_id == query.user_id)
            .filter(|session| session.is_live(query.now, query.idle_timeout))
            .filter(|session| query.after.as_ref().is_none_or(|after| session.id > *after))
            .cloned()
            .collect();
        sessions.sort_by(|a, b| a.id.cmp(&b.id));
        sessions.truncate(query.limit);
        sessions
            .into_iter()
            .map(|session| {
                let clients: Vec<ClientId> = self.session_clients(&session.id)?;
                Ok(ListedSession { session, clients })
            })
            .collect()
    }
}

impl GrantListing for FakeStore {
    fn find_grant(&self, id: &GrantId) -> Result<Option<Grant>, StoreError> {
        self.up()?;
        Ok(self.grant(id))
    }

    fn list_user_grants(&self, query: &UserGrantQuery) -> Result<Vec<ListedGrant>, StoreError> {
        self.up()?;
        let grants = lock(&self.grants);
        let refresh = lock(&self.refresh);
        let mut listed: Vec<ListedGrant> = grants
            .values()
            .filter(|grant| grant.subject == query.subject && !grant.is_revoked())
            .filter(|grant| query.after.as_ref().is_none_or(|after| grant.id > *after))
            .filter_map(|grant| {
                let expires_at = refresh
                    .values()
                    .filter(|token| token.grant_id == grant.id)
                    .filter(|token| token.rotated_at.is_none() && token.expires_at > query.now)
                    .map(|token| token.expires_at)
                    .max()?;
                Some(ListedGrant {
                    grant: grant.clone(),
                    expires_at,
                })
            })
            .collect();
        listed.sort_by(|a, b| a.grant.id.cmp(&b.grant.id));
        listed.truncate(query.limit);
        Ok(listed)
    }
}
