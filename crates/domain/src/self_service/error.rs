//! The outcomes of the self-service use cases a caller can act on; outages are
//! `Unavailable`.

use crate::accounts::password_policy::{PasswordCheckError, PasswordRejected};
use crate::error::{faults_become, Fault};

/// Why a bearer token makes no self-service caller (RFC 6750 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelfServiceAuthError {
    /// Not one of our live access tokens, revoked, or not a user's.
    #[error("invalid_token")]
    InvalidToken,
    /// A user's live token without the scope the operation needs.
    #[error("insufficient_scope")]
    InsufficientScope,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(SelfServiceAuthError::Unavailable);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangePasswordError {
    /// The current password given is not the user's.
    #[error("the current password is wrong")]
    WrongPassword,
    /// Too many wrong passwords for this user or from this address.
    #[error("too many failed attempts; retry after {retry_after} s")]
    TooManyAttempts { retry_after: i64 },
    /// The new password breaks a rule of the policy; the message says which.
    #[error(transparent)]
    Rejected(PasswordRejected),
    /// The user went away while the request ran.
    #[error("no such user")]
    UnknownUser,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(ChangePasswordError::Unavailable);

impl From<PasswordCheckError> for ChangePasswordError {
    fn from(error: PasswordCheckError) -> Self {
        match error {
            PasswordCheckError::Rejected(why) => ChangePasswordError::Rejected(why),
            PasswordCheckError::Unavailable(fault) => ChangePasswordError::Unavailable(fault),
        }
    }
}

/// Asked too often: for this username or from this address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResetRequestError {
    #[error("too many reset requests; retry after {retry_after} s")]
    TooManyRequests { retry_after: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResetPasswordError {
    /// Unknown, expired or already used: one answer for each, so a code's state is not
    /// told to someone who does not hold a live one.
    #[error("the reset code is invalid, expired or used")]
    InvalidCode,
    #[error(transparent)]
    Rejected(PasswordRejected),
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(ResetPasswordError::Unavailable);

impl From<PasswordCheckError> for ResetPasswordError {
    fn from(error: PasswordCheckError) -> Self {
        match error {
            PasswordCheckError::Rejected(why) => ResetPasswordError::Rejected(why),
            PasswordCheckError::Unavailable(fault) => ResetPasswordError::Unavailable(fault),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// A value the profile cannot hold; the message says which and why.
    #[error("{0}")]
    Invalid(String),
    /// The user went away while the request ran.
    #[error("no such user")]
    UnknownUser,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(ProfileError::Unavailable);
