//! The admin API's view of one user's activity: their live sessions and grants, and ending
//! one of each (`Sessions::end_session_of`, `Revoker::revoke_grant_of` hold the rules).

use super::{Admin, AdminCaller, AdminOpError};
use crate::ids::{ClientId, GrantId, SessionId};
use crate::paging::{Page, PageError, PageRequest};
use crate::ports::{ListedGrant, ListedSession};
use crate::scope::Scope;
use crate::time::UnixTime;

/// A session as the admin API shows it: its public id (the `sid`), never the cookie's
/// secret nor its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionView {
    pub id: SessionId,
    /// When the user signed in, starting it (their `auth_time`).
    pub created_at: UnixTime,
    /// The last activity seen, to within a minute.
    pub last_seen_at: UnixTime,
    /// The absolute end, whatever the activity; it ends sooner if idle for the idle timeout.
    pub expires_at: UnixTime,
    /// The clients that got tokens through it, sorted.
    pub clients: Vec<ClientId>,
}

impl From<ListedSession> for SessionView {
    fn from(listed: ListedSession) -> Self {
        SessionView {
            id: listed.session.id,
            created_at: listed.session.auth_time,
            last_seen_at: listed.session.last_seen_at,
            expires_at: listed.session.expires_at,
            clients: listed.clients,
        }
    }
}

/// A refresh-token grant as the admin API shows it: never a refresh token nor a hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantView {
    pub id: GrantId,
    pub client_id: ClientId,
    pub scope: Scope,
    pub created_at: UnixTime,
    /// When its refresh token expires: after it, the grant issues nothing more.
    pub expires_at: UnixTime,
    /// The session it was born in; `None` for the password grant.
    pub session_id: Option<SessionId>,
}

impl From<ListedGrant> for GrantView {
    fn from(listed: ListedGrant) -> Self {
        GrantView {
            id: listed.grant.id,
            client_id: listed.grant.client_id,
            scope: listed.grant.scope,
            created_at: listed.grant.created_at,
            expires_at: listed.expires_at,
            session_id: listed.grant.session_id,
        }
    }
}

fn page_request(limit: Option<usize>, after: Option<&str>) -> Result<PageRequest, AdminOpError> {
    PageRequest::new(limit, after)
        .map_err(|error: PageError| AdminOpError::InvalidQuery(error.detail()))
}

impl Admin {
    /// A page of the user's live sessions in id order (default 100, at most 1000).
    pub fn list_user_sessions(
        &self,
        caller: &AdminCaller,
        user_id: &str,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<Page<SessionView>, AdminOpError> {
        let page = page_request(limit, after)?;
        let user = self.find_user(user_id)?;
        let Page { items, next } = self.sessions.live_sessions_of(&user.id, &page)?;
        tracing::info!(
            caller = %caller.client_id(),
            user = %user.id,
            sessions = items.len(),
            "admin: sessions listed"
        );
        Ok(Page {
            items: items.into_iter().map(SessionView::from).collect(),
            next,
        })
    }

    /// Ends one session of the user as logout does. `Ok` means durable and visible, as for
    /// revocation (RFC 7009 §2.2); `NoSuchSession` whether the id is unknown or another
    /// user's.
    pub fn end_user_session(
        &self,
        caller: &AdminCaller,
        user_id: &str,
        session_id: &str,
    ) -> Result<(), AdminOpError> {
        let user = self.find_user(user_id)?;
        if !self
            .sessions
            .end_session_of(&user.id, session_id, caller.initiator())?
        {
            return Err(AdminOpError::NoSuchSession);
        }
        tracing::info!(
            caller = %caller.client_id(),
            user = %user.id,
            session = session_id,
            "admin: session ended"
        );
        Ok(())
    }

    /// A page of the user's live refresh-token grants in id order (default 100, at most
    /// 1000).
    pub fn list_user_grants(
        &self,
        caller: &AdminCaller,
        user_id: &str,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<Page<GrantView>, AdminOpError> {
        let page = page_request(limit, after)?;
        let user = self.find_user(user_id)?;
        let Page { items, next } = self.revocation.live_grants_of(&user.id, &page)?;
        tracing::info!(
            caller = %caller.client_id(),
            user = %user.id,
            grants = items.len(),
            "admin: grants listed"
        );
        Ok(Page {
            items: items.into_iter().map(GrantView::from).collect(),
            next,
        })
    }

    /// Revokes one grant of the user as RFC 7009 revocation of its refresh token does.
    /// `Ok` means durable and visible; `NoSuchGrant` whether the id is unknown or another
    /// user's.
    pub fn revoke_user_grant(
        &self,
        caller: &AdminCaller,
        user_id: &str,
        grant_id: &str,
    ) -> Result<(), AdminOpError> {
        let user = self.find_user(user_id)?;
        if !self
            .revocation
            .revoke_grant_of(&user.id, grant_id, caller.initiator())?
        {
            return Err(AdminOpError::NoSuchGrant);
        }
        tracing::info!(
            caller = %caller.client_id(),
            user = %user.id,
            grant = grant_id,
            "admin: grant revoked"
        );
        Ok(())
    }
}
