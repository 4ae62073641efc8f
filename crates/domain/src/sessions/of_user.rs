//! What an operator sees and ends of one user's sessions (the admin API, the CLI).

use super::Sessions;
use crate::audit::Initiator;
use crate::error::Fault;
use crate::ids::{SessionId, UserId};
use crate::input::is_client_id;
use crate::paging::{Page, PageRequest};
use crate::ports::{ListedSession, UserSessionQuery};

impl Sessions {
    /// A page of `user`'s live sessions (not ended, not expired, not idle too long) in id
    /// order, each with the clients signed in through it. Never the cookie's secret: a
    /// caller shows `Session::id` (the public `sid`), never `token_hash`.
    pub fn live_sessions_of(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<ListedSession>, Fault> {
        let sessions = self
            .core
            .ports
            .store
            .list_user_sessions(&UserSessionQuery {
                user_id: user.clone(),
                now: self.core.now(),
                idle_timeout: self.core.config.session_idle_timeout,
                after: page.after().map(SessionId::new),
                limit: page.fetch(),
            })?;
        Ok(page.page(sessions, |listed| listed.session.id.as_str()))
    }

    /// Ends `user`'s session `session_id` exactly as logout does ([`Sessions::end`]: its
    /// grants revoked and denied, its codes burnt, its clients sent logout tokens with
    /// `sid`). `Ok(false)`, having done nothing, when no session of `user` has this id:
    /// unknown and another user's are the same answer. Ending an ended or expired session
    /// again is harmless (and revokes any grant born in it that is still live).
    /// Audited as done by `by`.
    pub fn end_session_of(
        &self,
        user: &UserId,
        session_id: &str,
        by: &Initiator,
    ) -> Result<bool, Fault> {
        if !is_client_id(session_id) {
            return Ok(false);
        }
        let Some(session) = self
            .core
            .ports
            .store
            .find_session_by_id(&SessionId::new(session_id))?
        else {
            return Ok(false);
        };
        if session.user_id != *user {
            return Ok(false);
        }
        self.end(&session, by)?;
        Ok(true)
    }
}
