//! A user updating their own standard claims (the reference's Update User Information),
//! with a token carrying [`PROFILE_WRITE_SCOPE`].

use super::{ProfileError, SelfService, UserCaller};
use crate::accounts::validation::check_profile;
use crate::audit::AuditAction;
use crate::userinfo::UserClaims;

/// The scope a token needs to change its user's profile: reading claims is not writing
/// them, so a client asks for this one explicitly (RFC 6749 §3.3 scope-token).
pub const PROFILE_WRITE_SCOPE: &str = "profile:write";

/// One claim's change, as JSON Merge Patch (RFC 7396 §2) expresses it: an absent member
/// keeps the value, `null` removes it, a string replaces it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FieldChange {
    #[default]
    Keep,
    Remove,
    Set(String),
}

impl FieldChange {
    fn apply(self, current: Option<String>) -> Option<String> {
        match self {
            FieldChange::Keep => current,
            FieldChange::Remove => None,
            FieldChange::Set(value) => Some(value),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileChange {
    pub name: FieldChange,
    pub email: FieldChange,
}

impl ProfileChange {
    /// The claims the change touches, comma-separated: what the audit entry says changed.
    fn field_names(&self) -> String {
        let touched = |change: &FieldChange| *change != FieldChange::Keep;
        [
            ("name", touched(&self.name)),
            ("email", touched(&self.email)),
        ]
        .iter()
        .filter(|(_, touched)| *touched)
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(",")
    }
}

impl SelfService {
    /// Applies `change` to the caller's profile and returns every standard claim as
    /// stored. A new email address is not verified (`email_verified` false) until a
    /// verification flow says so: the user has only typed it.
    pub fn update_profile(
        &self,
        caller: &UserCaller,
        change: ProfileChange,
    ) -> Result<UserClaims, ProfileError> {
        let user = &caller.user;
        let fields = change.field_names();
        let mut profile = user.profile.clone();
        profile.name = change.name.apply(profile.name);
        let email = change.email.apply(profile.email.clone());
        if email != profile.email {
            profile.email = email;
            profile.email_verified = false;
        }
        check_profile(&profile)
            .map_err(|error| ProfileError::Invalid(error.detail().to_owned()))?;
        let audit = self
            .core
            .audit(caller.initiator(), AuditAction::UserUpdated)
            .user(&user.id)
            .client(&caller.client_id)
            .target(fields);
        if self
            .core
            .ports
            .store
            .update_user_profile(&user.id, &profile, &audit)?
            .is_none()
        {
            return Err(ProfileError::UnknownUser);
        }
        tracing::info!(user = %user.id, client = %caller.client_id, "profile updated");
        Ok(UserClaims {
            sub: user.id.to_string(),
            name: profile.name,
            preferred_username: Some(user.username.clone()),
            email_verified: profile.email.as_ref().map(|_| profile.email_verified),
            email: profile.email,
        })
    }
}
