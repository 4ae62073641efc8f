//! The admin API's user directory: create a user, list users a page at a time, change a
//! user's profile.

use super::{Admin, AdminCaller, AdminOpError, UserView};
use crate::accounts::listing::{ListUsersError, UserPage};
use crate::accounts::model::Profile;
use crate::accounts::validation::{check_password, check_profile, check_username};
use crate::audit::AuditAction;
use crate::error::AdminError;
use crate::ids::UserId;
use crate::input::is_client_id;
use crate::secret::Secret;

/// A user to create. The email starts unverified: only a verification flow verifies it.
#[derive(Debug)]
pub struct NewUser {
    pub username: String,
    pub password: Secret,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A change of profile: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProfilePatch {
    pub name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub email_verified: Option<bool>,
}

impl ProfilePatch {
    /// The fields the patch sets, comma-separated: what the audit entry says changed.
    fn field_names(&self) -> String {
        [
            ("name", self.name.is_some()),
            ("email", self.email.is_some()),
            ("email_verified", self.email_verified.is_some()),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(",")
    }
}

impl Admin {
    pub fn create_user(
        &self,
        caller: &AdminCaller,
        new: NewUser,
    ) -> Result<UserView, AdminOpError> {
        let profile = Profile {
            name: new.name,
            email: new.email,
            email_verified: false,
        };
        check_username(&new.username)
            .and_then(|()| check_password(&new.password))
            .and_then(|()| check_profile(&profile))
            .map_err(AdminOpError::InvalidUser)?;
        let user = self
            .accounts
            .create_user_with_profile(&new.username, &new.password, profile, caller.initiator())
            .map_err(|error| match error {
                AdminError::Conflict(_) => AdminOpError::UsernameTaken,
                AdminError::Unavailable(fault) => AdminOpError::Unavailable(fault),
                // Checked above, with the same rules.
                AdminError::Invalid(_) => {
                    AdminOpError::InvalidUser(crate::accounts::validation::InvalidUser::Username)
                }
            })?;
        tracing::info!(caller = %caller.client_id(), user = %user.id, "admin: user created");
        Ok(user.into())
    }

    /// A page of users in id order (see `Accounts::list_users`).
    pub fn list_users(
        &self,
        caller: &AdminCaller,
        limit: Option<usize>,
        after: Option<&str>,
        username_prefix: Option<&str>,
    ) -> Result<(Vec<UserView>, Option<UserId>), AdminOpError> {
        let UserPage { users, next } = self
            .accounts
            .list_users(limit, after, username_prefix)
            .map_err(|error| match error {
                ListUsersError::InvalidLimit => {
                    AdminOpError::InvalidQuery("limit must be 1 to 200")
                }
                ListUsersError::InvalidCursor => {
                    AdminOpError::InvalidQuery("after must be the next of a previous page")
                }
                ListUsersError::Unavailable(fault) => AdminOpError::Unavailable(fault),
            })?;
        tracing::info!(caller = %caller.client_id(), users = users.len(), "admin: users listed");
        Ok((users.into_iter().map(UserView::from).collect(), next))
    }

    /// Changes the fields `patch` names. A new email is unverified unless the patch says
    /// otherwise (OpenID Connect Core §5.1: `email_verified` is about this address).
    pub fn update_user(
        &self,
        caller: &AdminCaller,
        user_id: &str,
        patch: ProfilePatch,
    ) -> Result<UserView, AdminOpError> {
        if !is_client_id(user_id) {
            return Err(AdminOpError::NotFound);
        }
        let id = UserId::new(user_id);
        let store = &self.core.ports.store;
        let user = store.find_user_by_id(&id)?.ok_or(AdminOpError::NotFound)?;
        let fields = patch.field_names();
        let mut profile = user.profile;
        if let Some(name) = patch.name {
            profile.name = name;
        }
        if let Some(email) = patch.email {
            if email != profile.email {
                profile.email_verified = false;
            }
            profile.email = email;
        }
        if let Some(verified) = patch.email_verified {
            profile.email_verified = verified;
        }
        check_profile(&profile).map_err(AdminOpError::InvalidUser)?;
        let audit = self
            .core
            .audit(caller.initiator(), AuditAction::UserUpdated)
            .user(&id)
            .target(fields);
        let user = store
            .update_user_profile(&id, &profile, &audit)?
            .ok_or(AdminOpError::NotFound)?;
        tracing::info!(caller = %caller.client_id(), user = %user.id, "admin: user updated");
        Ok(user.into())
    }
}
