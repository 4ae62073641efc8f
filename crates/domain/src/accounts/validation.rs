//! What a user's fields may hold, checked before anything is stored: one rule per field,
//! each with a fixed sentence the CLI prints and the admin API answers as its `detail`.

use super::model::Profile;
use super::password_policy::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use crate::input::is_name;
use crate::secret::Secret;

/// Longest email address (RFC 5321 §4.5.3.1.3 paths are at most 256 octets).
const MAX_EMAIL_LEN: usize = 254;

/// Which field of a new or changed user is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUser {
    #[error("{}", self.detail())]
    Username,
    #[error("{}", self.detail())]
    Password,
    #[error("{}", self.detail())]
    Name,
    #[error("{}", self.detail())]
    Email,
}

impl InvalidUser {
    /// The sentence saying what the field must be.
    pub fn detail(self) -> &'static str {
        // The numbers are MAX_NAME_LEN, MIN_PASSWORD_CHARS and MAX_PASSWORD_BYTES (a test
        // holds them equal).
        match self {
            InvalidUser::Username => "username must be 1 to 200 bytes, without control characters",
            InvalidUser::Password => "password must be 8 characters to 1024 bytes long",
            InvalidUser::Name => "name must be 1 to 200 bytes, without control characters",
            InvalidUser::Email => "email is not an email address",
        }
    }
}

pub(crate) fn check_username(username: &str) -> Result<(), InvalidUser> {
    is_name(username).then_some(()).ok_or(InvalidUser::Username)
}

pub(crate) fn check_password(password: &Secret) -> Result<(), InvalidUser> {
    let password = password.expose();
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(InvalidUser::Password);
    }
    Ok(())
}

pub(crate) fn check_profile(profile: &Profile) -> Result<(), InvalidUser> {
    if profile.name.as_deref().is_some_and(|name| !is_name(name)) {
        return Err(InvalidUser::Name);
    }
    if let Some(email) = &profile.email {
        // Deliberately loose: one `@` with something on both sides, no spaces or controls.
        // Whether it is deliverable only a verification mail can tell.
        let plausible = email.len() <= MAX_EMAIL_LEN
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plausible {
            return Err(InvalidUser::Email);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::MAX_NAME_LEN;

    #[test]
    fn the_sentences_state_the_limits_in_force() {
        assert!(InvalidUser::Username
            .detail()
            .contains(&format!("1 to {MAX_NAME_LEN} bytes")));
        assert!(InvalidUser::Name
            .detail()
            .contains(&format!("1 to {MAX_NAME_LEN} bytes")));
        assert!(InvalidUser::Password.detail().contains(&format!(
            "{MIN_PASSWORD_CHARS} characters to {MAX_PASSWORD_BYTES} bytes"
        )));
    }

    #[test]
    fn each_field_is_checked() {
        assert_eq!(check_username(""), Err(InvalidUser::Username));
        assert_eq!(check_username("a\nb"), Err(InvalidUser::Username));
        assert_eq!(check_username("alice"), Ok(()));
        assert_eq!(
            check_password(&Secret::new("short")),
            Err(InvalidUser::Password)
        );
        assert_eq!(
            check_password(&Secret::new("x".repeat(1025))),
            Err(InvalidUser::Password)
        );
        assert_eq!(check_password(&Secret::new("correct horse")), Ok(()));
        let with = |name: Option<&str>, email: Option<&str>| Profile {
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            email_verified: false,
        };
        assert_eq!(check_profile(&with(Some(""), None)), Err(InvalidUser::Name));
        for bad in ["alice", "@example.com", "a b@example.com", "a@example"] {
            assert_eq!(
                check_profile(&with(None, Some(bad))),
                Err(InvalidUser::Email),
                "{bad}"
            );
        }
        assert_eq!(
            check_profile(&with(Some("Alice"), Some("alice@example.com"))),
            Ok(())
        );
    }
}
