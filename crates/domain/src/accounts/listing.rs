//! Listing users a page at a time, for operators: keyset paging by id, so a page costs the
//! same at the millionth user as at the first, and a username prefix search.

use super::model::{User, UserQuery};
use super::Accounts;
use crate::error::{faults_become, Fault};
use crate::ids::UserId;
use crate::input::{is_client_id, is_name};

/// Users per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Most users per page.
pub const MAX_PAGE_SIZE: usize = 200;

/// One page: `next` is the cursor of the following page (the last id here), `None` on the
/// last page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<User>,
    pub next: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListUsersError {
    #[error("limit must be 1 to 200")]
    InvalidLimit,
    /// Not an id: no page ever ended with it.
    #[error("after must be the next of a previous page")]
    InvalidCursor,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(ListUsersError::Unavailable);

impl Accounts {
    /// Up to `limit` (default [`DEFAULT_PAGE_SIZE`], at most [`MAX_PAGE_SIZE`]) users in id
    /// order, after the id `after`, whose username starts with `username_prefix`.
    pub fn list_users(
        &self,
        limit: Option<usize>,
        after: Option<&str>,
        username_prefix: Option<&str>,
    ) -> Result<UserPage, ListUsersError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ListUsersError::InvalidLimit);
        }
        if after.is_some_and(|after| !is_client_id(after)) {
            return Err(ListUsersError::InvalidCursor);
        }
        let username_prefix = username_prefix.filter(|prefix| !prefix.is_empty());
        // A prefix no username can have (a control character, which Postgres may refuse,
        // or longer than any username) matches nobody, and never reaches the store.
        if username_prefix.is_some_and(|prefix| !is_name(prefix)) {
            return Ok(UserPage {
                users: vec![],
                next: None,
            });
        }
        // One more than asked: whether it comes back says whether there is a next page.
        let mut users = self.core.ports.store.list_users(&UserQuery {
            after: after.map(UserId::new),
            username_prefix: username_prefix.map(str::to_owned),
            limit: limit + 1,
        })?;
        let next = if users.len() > limit {
            users.truncate(limit);
            users.last().map(|user| user.id.clone())
        } else {
            None
        };
        Ok(UserPage { users, next })
    }
}
